package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SIGKILL certain to land between commit and publish: the killed jar runs with its relay off, so
 * none of the messages it committed can have been published. A jar started afterwards on the same
 * database delivers every one of them, on the stream and on pub/sub.
 */
class RelayAfterKillEndToEndTest {

    private static final List<String> SKUS = List.of("LAMP", "TABLE", "CHAIR");
    private static final int LINES = 30;

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redis;
    private ServiceProcess killed;
    private ServiceProcess relaying;

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redis = RedisTestServer.start();
    }

    @AfterEach
    void stop() {
        Closing.all(relaying, killed, redis, db);
    }

    @Test
    void messages_committed_by_a_killed_instance_that_never_relayed_are_all_delivered_by_the_next() throws Exception {
        killed = start("killed", Map.of("ALLOCATION_RELAY_ENABLED", "false"));
        for (String sku : SKUS) {
            assertThat(killed.post("/add_batch", "{\"ref\": \"b-" + sku + "\", \"sku\": \"" + sku + "\", \"qty\": 100}")
                    .status()).isEqualTo(201);
        }
        for (int i = 0; i < LINES; i++) {
            String sku = SKUS.get(i % SKUS.size());
            assertThat(killed.post("/allocate", "{\"orderid\": \"o" + i + "\", \"sku\": \"" + sku + "\", \"qty\": 1}")
                    .status()).isBetween(200, 299);
        }
        killed.kill();
        List<String> committed = db.query("SELECT message_id FROM outbox WHERE destination = 'stream' ORDER BY id",
                rs -> rs.getString(1));
        assertThat(committed).hasSize(LINES);
        assertThat(db.query("SELECT count(*) FROM outbox WHERE destination = 'pubsub'", rs -> rs.getLong(1)))
                .containsExactly((long) LINES);

        try (var subscriber = RedisMessages.Subscriber.subscribe(redis.url(), "line_allocated")) {
            relaying = start("relaying", Map.of());
            await("every committed message on the stream").atMost(Duration.ofSeconds(30))
                    .until(() -> RedisMessages.stream(redis.url(), "line_allocated").size() >= LINES);
            await("and on pub/sub").atMost(Duration.ofSeconds(30))
                    .until(() -> subscriber.received().size() >= LINES);
            List<JsonNode> stream = RedisMessages.stream(redis.url(), "line_allocated");
            assertThat(stream).extracting(m -> m.get("id").asText()).containsExactlyElementsOf(committed);
            assertThat(subscriber.received()).extracting(r -> r.json().get("id").asText())
                    .containsExactlyElementsOf(committed);
            assertThat(stream).extracting(m -> m.get("orderid").asText())
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, LINES)
                            .mapToObj(i -> "o" + i).toList());
            await().atMost(Duration.ofSeconds(30)).until(() -> relaying.get("/metrics").body()
                    .contains("allocation_outbox_backlog 0.0"));
            assertThat(relaying.get("/metrics").body()).contains("allocation_outbox_parked 0.0")
                    .contains("allocation_outbox_set_aside_total 0.0")
                    .contains("allocation_outbox_published_total " + (2.0 * LINES));
        }
    }

    private ServiceProcess start(String name, Map<String, String> switches) throws Exception {
        Map<String, String> env = new HashMap<>(switches);
        env.put("ALLOCATION_DB_URL", db.url());
        env.put("ALLOCATION_DB_USER", db.user());
        env.put("ALLOCATION_REDIS_URL", redis.url());
        return ServiceProcess.start(Files.createDirectories(workDir.resolve(name)), env);
    }
}

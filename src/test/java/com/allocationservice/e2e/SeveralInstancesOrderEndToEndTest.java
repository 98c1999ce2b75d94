package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadGroupParams;

/**
 * Three jars on one PostgreSQL database and one Redis, as purchasing sees them: bursts of quantity
 * changes for the same few batches, rising, sent in quick succession on the stream and on pub/sub
 * (with {@code seq}). Whichever instance handles which message, and in whatever order their
 * transactions commit, every batch ends on the last quantity sent: also when an entry left pending by a
 * consumer that died is claimed 30 s later, and when a producer's retry of an old message arrives last.
 */
class SeveralInstancesOrderEndToEndTest {

    private static final int INSTANCES = 3;
    private static final int ROUNDS = 60;
    private static final List<String> STREAM_BATCHES = List.of("s1", "s2", "s3");
    private static final List<String> PUBSUB_BATCHES = List.of("p1", "p2", "p3");
    private static final String CHANGE_BATCH_QUANTITY = "change_batch_quantity";
    private static final String GROUP = "allocation";

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redisServer;
    private RedisClient redis;
    private final List<ServiceProcess> services = new ArrayList<>();

    @BeforeEach
    void postgresql_and_redis() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redisServer = RedisTestServer.start();
        redis = RedisClient.create(URI.create(redisServer.url()));
    }

    private void startInstances() throws Exception {
        for (int i = 0; i < INSTANCES; i++) {
            Path dir = Files.createDirectory(workDir.resolve("instance-" + i));
            services.add(ServiceProcess.start(dir, Map.of(
                    "ALLOCATION_DB_URL", db.url(),
                    "ALLOCATION_DB_USER", db.user(),
                    "ALLOCATION_DB_POOL_SIZE", "8",
                    "ALLOCATION_REDIS_URL", redisServer.url())));
        }
        await("every instance subscribes").atMost(Duration.ofSeconds(90))
                .until(() -> subscribers() == INSTANCES);
    }

    @AfterEach
    void stop() {
        List<AutoCloseable> resources = new ArrayList<>(services);
        resources.addAll(Arrays.asList(redis, redisServer, db));
        Closing.all(resources);
    }

    @Test
    void bursts_of_rising_quantity_changes_leave_every_batch_on_the_last_quantity_sent() throws Exception {
        // round 0 of each stream batch was read by a consumer that then died: it is claimed 30 s later
        redis.xgroupCreate(CHANGE_BATCH_QUANTITY, GROUP, new StreamEntryID(0, 0), true);
        for (String batch : STREAM_BATCHES) {
            addEntry(batch, 100);
        }
        assertThat(redis.xreadGroup(GROUP, "died", XReadGroupParams.xReadGroupParams().count(10),
                Map.of(CHANGE_BATCH_QUANTITY, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY)).getFirst().getValue())
                .hasSize(STREAM_BATCHES.size());
        startInstances();
        ServiceProcess first = services.getFirst();
        for (String batch : STREAM_BATCHES) {
            assertThat(first.post("/add_batch", "{\"ref\": \"" + batch + "\", \"sku\": \"SKU-S\", \"qty\": 1}")
                    .status()).isEqualTo(201);
        }
        for (String batch : PUBSUB_BATCHES) {
            assertThat(first.post("/add_batch", "{\"ref\": \"" + batch + "\", \"sku\": \"SKU-" + batch
                    + "\", \"qty\": 1}").status()).isEqualTo(201);
        }

        for (int round = 1; round <= ROUNDS; round++) {
            for (String batch : STREAM_BATCHES) {
                addEntry(batch, 100 + round);
            }
            for (String batch : PUBSUB_BATCHES) {
                publish(batch, round);
            }
        }
        for (String batch : PUBSUB_BATCHES) {
            publish(batch, 1); // a producer's retry of its first message, arriving after all the others
        }

        // every stream entry is taken by one instance; every pub/sub message by each of them
        long expected = (ROUNDS + 1L) * STREAM_BATCHES.size() + (long) INSTANCES * (ROUNDS + 1) * PUBSUB_BATCHES.size();
        await("every message is handled or found superseded, the dead consumer's entries included")
                .atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                .until(() -> sum("allocation_messages_in_handled_total")
                        + sum("allocation_messages_in_superseded_total") >= expected
                        && redis.xpending(CHANGE_BATCH_QUANTITY, GROUP).getTotal() == 0);
        Map<String, Integer> last = new TreeMap<>();
        for (String batch : concat(STREAM_BATCHES, PUBSUB_BATCHES)) {
            last.put(batch, purchased(batch));
        }
        assertThat(last).as("every batch ends on the last quantity sent").allSatisfy((batch, qty) ->
                assertThat(qty).as(batch).isEqualTo(100 + ROUNDS));
        assertThat(sum("allocation_messages_in_superseded_total"))
                .as("at least the claimed entries and the late retries").isGreaterThanOrEqualTo(
                        STREAM_BATCHES.size() + (long) INSTANCES * PUBSUB_BATCHES.size());
        assertThat(sum("allocation_messages_in_dead_lettered_total")).isZero();
        assertThat(sum("allocation_messages_in_duplicates_total")).isZero();
    }

    private void addEntry(String batch, int qty) {
        redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(),
                Map.of("data", "{\"batchref\": \"" + batch + "\", \"qty\": " + qty + "}"));
    }

    private void publish(String batch, int round) {
        redis.publish(CHANGE_BATCH_QUANTITY,
                "{\"batchref\": \"" + batch + "\", \"qty\": " + (100 + round) + ", \"seq\": " + round + "}");
    }

    private long sum(String counter) {
        long total = 0;
        for (ServiceProcess service : services) {
            String metrics = service.get("/metrics").body();
            total += metrics.lines().filter(line -> line.startsWith(counter + " "))
                    .mapToLong(line -> (long) Double.parseDouble(line.substring(counter.length() + 1).strip()))
                    .sum();
        }
        return total;
    }

    private int purchased(String batch) {
        return (int) db.number("SELECT purchased_quantity FROM batches WHERE reference = ?", batch);
    }

    private long subscribers() {
        try (Jedis jedis = new Jedis(URI.create(redisServer.url()))) {
            return jedis.pubsubNumSub(CHANGE_BATCH_QUANTITY).getOrDefault(CHANGE_BATCH_QUANTITY, 0L);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar against PostgreSQL and Redis, killed while it allocates under load, or cut off from Redis
 * for a while: afterwards, every allocation that committed has its {@code line_allocated} on the
 * stream (at least once), and the read model agrees with the write model. The service reaches Redis
 * through a {@link TcpProxy}, so an outage can be made without losing what Redis already holds
 * (a stopped test Redis forgets its streams, and with them the evidence).
 */
class ServiceKilledUnderLoadTest {

    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "TASTELESS-LAMP", "OAK-TABLE");
    private static final int CLIENTS = 6;

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redis;
    private TcpProxy redisLine;
    private ServiceProcess service;

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redis = RedisTestServer.start();
        URI redisUrl = URI.create(redis.url());
        redisLine = TcpProxy.to(redisUrl.getHost(), redisUrl.getPort());
        service = ServiceProcess.start(workDir, Map.of(
                "ALLOCATION_DB_URL", db.url(),
                "ALLOCATION_DB_USER", db.user(),
                "ALLOCATION_REDIS_URL", "redis://127.0.0.1:" + redisLine.port()));
        for (String sku : SKUS) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-" + sku + "\", \"sku\": \"" + sku
                    + "\", \"qty\": 1000000}").status()).isEqualTo(201);
        }
    }

    @AfterEach
    void stop() {
        Closing.all(service, redisLine, redis, db);
    }

    @Test
    void every_committed_allocation_is_published_after_a_sigkill_under_load() throws Exception {
        AllocationLoad load = AllocationLoad.start(service, SKUS, CLIENTS);
        await("allocations under way").atMost(Duration.ofSeconds(60)).until(() -> load.accepted.size() >= 300);
        service.kill();
        load.stop();
        service.startAgain();
        AllocationLoad after = AllocationLoad.start(service, SKUS, CLIENTS);
        await().atMost(Duration.ofSeconds(60)).until(() -> after.accepted.size() >= 50);
        after.stop();

        Map<String, String> committed = committedAllocations();
        assertThat(committed).containsAllEntriesOf(load.accepted);
        assertThat(committed).containsAllEntriesOf(after.accepted);
        assertThat(committed.size()).isGreaterThanOrEqualTo(350);

        await("every committed allocation on the stream").atMost(Duration.ofSeconds(60))
                .until(() -> publishedAllocations().keySet().containsAll(committed.keySet()));
        assertThat(publishedAllocations()).isEqualTo(committed);
        readModelMatches(committed);
    }

    @Test
    void every_committed_allocation_is_published_after_redis_is_unreachable_under_load() throws Exception {
        AllocationLoad load = AllocationLoad.start(service, SKUS, CLIENTS);
        await("allocations under way").atMost(Duration.ofSeconds(60)).until(() -> load.accepted.size() >= 100);
        redisLine.cut();
        int beforeOutage = load.accepted.size();
        await("allocations during the outage").atMost(Duration.ofSeconds(60))
                .until(() -> load.accepted.size() >= beforeOutage + 200);
        Map<String, String> committedDuringOutage = committedAllocations();
        assertThat(publishedAllocations().keySet().containsAll(committedDuringOutage.keySet()))
                .as("allocations committed during the outage wait in the outbox").isFalse();
        redisLine.restore();
        await().atMost(Duration.ofSeconds(60)).until(() -> load.accepted.size() >= beforeOutage + 300);
        load.stop();

        Map<String, String> committed = committedAllocations();
        assertThat(committed).containsAllEntriesOf(load.accepted);
        await("every committed allocation on the stream").atMost(Duration.ofSeconds(60))
                .until(() -> publishedAllocations().keySet().containsAll(committed.keySet()));
        assertThat(publishedAllocations()).isEqualTo(committed);
        assertThat(service.get("/metrics").body()).containsPattern("allocation_outbox_failures_total [1-9]");
        readModelMatches(committed);
    }

    /** orderid → batchref of every line on a batch, from the write model. */
    private Map<String, String> committedAllocations() throws SQLException {
        Map<String, String> lines = new HashMap<>();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT orderid, batchref FROM order_lines WHERE batchref IS NOT NULL")) {
            while (rs.next()) {
                lines.put(rs.getString(1), rs.getString(2));
            }
            c.rollback();
        }
        return lines;
    }

    /** orderid → batchref of the whole line_allocated stream, duplicates collapsed by orderid. */
    private Map<String, String> publishedAllocations() {
        Map<String, String> published = new HashMap<>();
        for (JsonNode message : RedisMessages.stream(redis.url(), "line_allocated")) {
            published.put(message.get("orderid").asText(), message.get("batchref").asText());
        }
        return published;
    }

    private void readModelMatches(Map<String, String> committed) {
        committed.forEach((orderid, batchref) -> {
            ServiceProcess.Answer answer = service.get("/allocations/" + orderid);
            assertThat(answer.status()).as(orderid).isEqualTo(200);
            JsonNode allocations = RedisMessages.parse(answer.body());
            assertThat(allocations).as(orderid).hasSize(1);
            assertThat(allocations.get(0).get("batchref").asText()).as(orderid).isEqualTo(batchref);
        });
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.integration.RedisTestServer;
import com.allocationservice.integration.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * The jar against PostgreSQL and Redis, as deployed: other services change batch quantities by
 * Redis message, on the pub/sub channel and on the stream, and the orders move.
 */
class RedisMessagesEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WITHIN_SECONDS = Duration.ofSeconds(15);
    private static final String CHANGE_BATCH_QUANTITY = "change_batch_quantity";

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redisServer;
    private RedisClient redis;
    private ServiceProcess service;

    @BeforeEach
    void start_the_service_against_postgresql_and_redis() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redisServer = RedisTestServer.start();
        redis = RedisClient.create(URI.create(redisServer.url()));
        service = ServiceProcess.start(workDir, Map.of(
                "ALLOCATION_DB_URL", db.url(),
                "ALLOCATION_DB_USER", db.user(),
                "ALLOCATION_REDIS_URL", redisServer.url()));
        await("the service subscribes to " + CHANGE_BATCH_QUANTITY).atMost(WITHIN_SECONDS)
                .until(() -> subscribers(CHANGE_BATCH_QUANTITY) > 0);
    }

    @AfterEach
    void stop() {
        service.close();
        redis.close();
        redisServer.close();
        db.close();
    }

    @Test
    void change_batch_quantity_on_pubsub_then_on_the_stream_reallocates_the_order() throws Exception {
        addBatch("warehouse", null);
        addBatch("ship-1", "2031-01-01");
        addBatch("ship-2", "2031-02-01");
        assertThat(allocate("order-1", 8)).isEqualTo("warehouse");

        redis.publish(CHANGE_BATCH_QUANTITY, "{\"batchref\": \"warehouse\", \"qty\": 5}");
        awaitAllocation("order-1", "ship-1");

        redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(),
                Map.of("data", "{\"batchref\": \"ship-1\", \"qty\": 5}"));
        awaitAllocation("order-1", "ship-2");
        await("the stream entry is acknowledged").atMost(WITHIN_SECONDS)
                .until(() -> redis.xpending(CHANGE_BATCH_QUANTITY, "allocation").getTotal() == 0);
    }

    private void addBatch(String ref, String eta) {
        String body = "{\"ref\": \"" + ref + "\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": "
                + (eta == null ? "null" : "\"" + eta + "\"") + "}";
        assertThat(service.post("/add_batch", body).status()).isEqualTo(201);
    }

    private String allocate(String orderid, int qty) throws Exception {
        ServiceProcess.Answer answer = service.post("/allocate",
                "{\"orderid\": \"" + orderid + "\", \"sku\": \"LAMP\", \"qty\": " + qty + "}");
        assertThat(answer.status()).as(answer.body()).isEqualTo(202);
        return JSON.readTree(answer.body()).get("batchref").asText();
    }

    private void awaitAllocation(String orderid, String batchref) {
        await(orderid + " on " + batchref).atMost(WITHIN_SECONDS).until(() -> {
            JsonNode allocations = JSON.readTree(service.get("/allocations/" + orderid).body());
            return allocations.isArray() && batchref.equals(allocations.get(0).get("batchref").asText());
        });
    }

    private long subscribers(String channel) {
        try (Jedis jedis = new Jedis(URI.create(redisServer.url()))) {
            return jedis.pubsubNumSub(channel).getOrDefault(channel, 0L);
        }
    }
}

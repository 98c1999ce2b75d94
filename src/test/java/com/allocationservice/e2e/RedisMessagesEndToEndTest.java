package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/**
 * The jar against PostgreSQL and Redis, as deployed: other services change batch quantities by
 * Redis message, on the pub/sub channel and on the stream, the orders move, and the moves go out on
 * both the pub/sub channels and the streams. A message delivered twice has one effect.
 */
class RedisMessagesEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WITHIN_SECONDS = Duration.ofSeconds(15);
    private static final String CHANGE_BATCH_QUANTITY = "change_batch_quantity";
    private static final String LINE_ALLOCATED = "line_allocated";
    private static final String LINE_DEALLOCATED = "line_deallocated";

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
        Closing.all(service, redis, redisServer, db);
    }

    @Test
    void change_batch_quantity_on_pubsub_then_on_the_stream_reallocates_the_order_and_says_so_on_both()
            throws Exception {
        addBatch("warehouse", null);
        addBatch("ship-1", "2031-01-01");
        addBatch("ship-2", "2031-02-01");
        try (RedisMessages.Subscriber subscriber =
                RedisMessages.Subscriber.subscribe(redisServer.url(), LINE_ALLOCATED, LINE_DEALLOCATED)) {
            assertThat(allocate("order-1", 8)).isEqualTo("warehouse");

            redis.publish(CHANGE_BATCH_QUANTITY, "{\"batchref\": \"warehouse\", \"qty\": 5}");
            awaitAllocation("order-1", "ship-1");
            awaitMovedOnPubSubAndStream(subscriber, "order-1", "ship-1", 1);

            redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(),
                    Map.of("data", "{\"batchref\": \"ship-1\", \"qty\": 5}"));
            awaitAllocation("order-1", "ship-2");
            awaitMovedOnPubSubAndStream(subscriber, "order-1", "ship-2", 2);
            await("the stream entry is acknowledged").atMost(WITHIN_SECONDS)
                    .until(() -> redis.xpending(CHANGE_BATCH_QUANTITY, "allocation").getTotal() == 0);
        }
    }

    @Test
    void a_stream_message_sent_twice_or_delivered_again_has_one_effect() throws Exception {
        addBatch("warehouse", null);
        addBatch("ship-1", "2031-01-01");
        addBatch("ship-2", "2031-02-01");
        assertThat(allocate("order-1", 8)).isEqualTo("warehouse");
        long before = productVersion();

        // A producer sends the same message twice: two entries, one JSON id.
        String change = "{\"id\": \"change-1\", \"batchref\": \"warehouse\", \"qty\": 5}";
        redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(), Map.of("data", change));
        redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(), Map.of("data", change));
        awaitProcessed(2);
        assertThat(allocations("order-1")).isEqualTo("ship-1");
        assertThat(productVersion()).isEqualTo(before + 1);
        assertThat(metric("allocation_messages_in_duplicates_total")).isEqualTo(1);
        awaitStreamLength(LINE_ALLOCATED, 2);
        awaitStreamLength(LINE_DEALLOCATED, 1);

        // An entry without id, handled and acknowledged, then delivered again to the group (as after
        // a consumer died between commit and XACK): its entry id is its message id.
        redis.xadd(CHANGE_BATCH_QUANTITY, XAddParams.xAddParams(),
                Map.of("data", "{\"batchref\": \"ship-1\", \"qty\": 5}"));
        awaitProcessed(3);
        assertThat(allocations("order-1")).isEqualTo("ship-2");
        long afterHandling = productVersion();
        assertThat(afterHandling).isEqualTo(before + 2);

        redis.xgroupSetID(CHANGE_BATCH_QUANTITY, "allocation", new StreamEntryID(0, 0));
        awaitProcessed(3 + 3);
        assertThat(productVersion()).isEqualTo(afterHandling);
        assertThat(metric("allocation_messages_in_handled_total")).isEqualTo(2);
        assertThat(allocations("order-1")).isEqualTo("ship-2");
        assertThat(db.number("SELECT count(*) FROM order_lines")).isEqualTo(1);
        awaitStreamLength(LINE_ALLOCATED, 3);
        awaitStreamLength(LINE_DEALLOCATED, 2);
    }

    private void awaitMovedOnPubSubAndStream(RedisMessages.Subscriber subscriber, String orderid, String batchref,
            int moves) {
        await("line_allocated " + orderid + " on " + batchref + " on the channel").atMost(WITHIN_SECONDS)
                .until(() -> subscriber.received().stream()
                        .filter(m -> m.channel().equals(LINE_ALLOCATED)).map(RedisMessages.Subscriber.Received::json)
                        .anyMatch(m -> isLine(m, orderid) && batchref.equals(m.path("batchref").asText())));
        await("line_allocated " + orderid + " on " + batchref + " on the stream").atMost(WITHIN_SECONDS)
                .until(() -> RedisMessages.stream(redisServer.url(), LINE_ALLOCATED).stream()
                        .anyMatch(m -> isLine(m, orderid) && batchref.equals(m.path("batchref").asText())));
        await(moves + " line_deallocated for " + orderid + " on the channel").atMost(WITHIN_SECONDS)
                .until(() -> subscriber.received().stream()
                        .filter(m -> m.channel().equals(LINE_DEALLOCATED))
                        .filter(m -> isLine(m.json(), orderid)).count() == moves);
        await(moves + " line_deallocated for " + orderid + " on the stream").atMost(WITHIN_SECONDS)
                .until(() -> RedisMessages.stream(redisServer.url(), LINE_DEALLOCATED).stream()
                        .filter(m -> isLine(m, orderid)).count() == moves);
    }

    private static boolean isLine(JsonNode message, String orderid) {
        return orderid.equals(message.path("orderid").asText()) && "LAMP".equals(message.path("sku").asText());
    }

    private void awaitAcknowledged() {
        await("every stream entry is acknowledged").atMost(WITHIN_SECONDS)
                .until(() -> redis.xpending(CHANGE_BATCH_QUANTITY, "allocation").getTotal() == 0);
    }

    private void awaitStreamLength(String stream, int length) {
        await(length + " entries on " + stream).atMost(WITHIN_SECONDS)
                .until(() -> RedisMessages.stream(redisServer.url(), stream).size() == length);
    }

    /** Waits until the consumer handled or skipped this many stream entries, and acknowledged them all. */
    private void awaitProcessed(long entries) {
        await(entries + " stream entries processed").atMost(WITHIN_SECONDS)
                .until(() -> metric("allocation_messages_in_handled_total")
                        + metric("allocation_messages_in_duplicates_total") == entries);
        awaitAcknowledged();
    }

    private long metric(String name) {
        for (String line : service.get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no metric " + name);
    }

    private long productVersion() {
        return db.number("SELECT version FROM products WHERE sku = 'LAMP'");
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

    private String allocations(String orderid) throws Exception {
        JsonNode allocations = JSON.readTree(service.get("/allocations/" + orderid).body());
        return allocations.isArray() && allocations.size() == 1 ? allocations.get(0).get("batchref").asText() : null;
    }

    private void awaitAllocation(String orderid, String batchref) {
        await(orderid + " on " + batchref).atMost(WITHIN_SECONDS).until(() -> batchref.equals(allocations(orderid)));
    }

    private long subscribers(String channel) {
        try (Jedis jedis = new Jedis(URI.create(redisServer.url()))) {
            return jedis.pubsubNumSub(channel).getOrDefault(channel, 0L);
        }
    }
}

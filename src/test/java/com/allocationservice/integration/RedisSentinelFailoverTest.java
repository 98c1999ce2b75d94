package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.RedisSentinelTestSet;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The service on {@code ALLOCATION_REDIS_URL=redis-sentinel://...#allocation} with a primary, a replica
 * and three Sentinels of the test's own: the relay publishes through the Sentinels' primary; with the
 * replica stopped, {@code WAIT} keeps the rows in the outbox (shown on {@code /status} and in the
 * metrics) until it is back; after the primary is SIGKILLed and Sentinel promotes the replica,
 * publishing, the stream consumer and the pub/sub listener all go on with the new primary, no restart.
 */
class RedisSentinelFailoverTest {

    private RedisSentinelTestSet redis;
    private TestService api;

    @BeforeEach
    void start() {
        redis = RedisSentinelTestSet.start();
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_REDIS_URL", redis.url(),
                "ALLOCATION_RELAY_ENABLED", "true", "ALLOCATION_CONSUMER_ENABLED", "true",
                "ALLOCATION_REDIS_CONNECT_TIMEOUT_MS", "1000", "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "2000"));
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 100, \"eta\": null}")
                .statusCode()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        try {
            if (api != null) {
                api.close();
            }
        } finally {
            redis.close();
        }
    }

    @Test
    void publishes_through_the_sentinels_primary_and_keeps_rows_until_a_replica_confirms_them() {
        allocate("o1");
        await().atMost(Duration.ofSeconds(10)).until(() -> backlog() == 0);
        assertThat(orderIds(redis.firstPrimary().port())).contains("o1");
        JsonNode replicas = TestService.json(api.get("/status")).get("redis_replicas");
        assertThat(replicas.get("confirmed").asLong()).isEqualTo(1);
        assertThat(replicas.get("wanted").asLong()).isEqualTo(1);

        RedisSentinelTestSet.signal(redis.firstReplica(), "STOP");
        long shortBefore = metric("allocation_redis_replication_waits_short_total");
        allocate("o2");
        // two rounds at least fell short of the replica: the rows stayed through both
        await().atMost(Duration.ofSeconds(20)).until(
                () -> metric("allocation_redis_replication_waits_short_total") >= shortBefore + 2);
        assertThat(backlog()).as("o2's rows stay in the outbox while no replica confirms them").isEqualTo(2);
        JsonNode status = TestService.json(api.get("/status"));
        assertThat(status.get("redis").asText()).isEqualTo("UP");
        assertThat(status.get("redis_replicas").get("confirmed").asLong()).isZero();
        assertThat(metric("allocation_redis_replicas_confirmed")).isZero();

        RedisSentinelTestSet.signal(redis.firstReplica(), "CONT");
        await().atMost(Duration.ofSeconds(20)).until(() -> backlog() == 0);
        assertThat(TestService.json(api.get("/status")).get("redis_replicas").get("confirmed").asLong()).isEqualTo(1);
        assertThat(orderIds(redis.firstReplica().port())).as("on the replica too").contains("o1", "o2");
    }

    @Test
    void after_the_primary_is_killed_and_the_replica_promoted_publishing_and_both_consumers_go_on() {
        allocate("before");
        await().atMost(Duration.ofSeconds(10)).until(() -> backlog() == 0);
        // the consumer group exists, and the stream reader and the subscription are on the first primary
        await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(redis.firstPrimary().port()) == 1);

        redis.firstPrimary().stop();   // SIGKILL
        HostAndPort promoted = new HostAndPort("127.0.0.1", redis.firstReplica().port());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> redis.currentPrimary().equals(promoted));

        allocate("after");
        await().atMost(Duration.ofSeconds(30)).until(() -> orderIds(promoted.getPort()).contains("after"));
        // the new primary has no replica to confirm it: the rows stay until the old primary is back, as its replica
        assertThat(backlog()).isEqualTo(2);
        redis.firstPrimary().restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> backlog() == 0);
        assertThat(orderIds(promoted.getPort())).contains("before", "after");

        // the stream consumer reads the new primary; the same message id twice is applied once
        try (Jedis jedis = RedisSentinelTestSet.dataNode(promoted.getPort())) {
            String change = "{\"id\": \"change-1\", \"batchref\": \"b1\", \"qty\": 50}";
            jedis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", change));
            jedis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", change));
            await().atMost(Duration.ofSeconds(30)).until(() -> purchased("b1") == 50
                    && metric("allocation_messages_in_duplicates_total") >= 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> jedis.xpending("change_batch_quantity",
                    "allocation").getTotal() == 0);

            // the pub/sub listener is subscribed on the new primary
            await().atMost(Duration.ofSeconds(30)).until(() -> subscribers(promoted.getPort()) == 1);
            jedis.publish("change_batch_quantity", "{\"batchref\": \"b1\", \"qty\": 60}");
            await().atMost(Duration.ofSeconds(10)).until(() -> purchased("b1") == 60);
        }
        assertThat(metric("allocation_messages_in_handled_total")).isEqualTo(2);
    }

    /**
     * A failover asked of Sentinel leaves the old primary running, as a replica: the subscription on it
     * would stay open (it even gets the new primary's messages, through replication, while the link
     * holds), so the listener moves it to the new primary itself.
     */
    @Test
    void after_a_failover_that_demotes_the_primary_the_subscription_moves_to_the_new_one() {
        allocate("before");
        await().atMost(Duration.ofSeconds(10)).until(() -> backlog() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(redis.firstPrimary().port()) == 1);

        HostAndPort promoted = new HostAndPort("127.0.0.1", redis.firstReplica().port());
        redis.failover();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> redis.currentPrimary().equals(promoted));

        await().atMost(Duration.ofSeconds(15)).until(() -> subscribers(promoted.getPort()) == 1
                && subscribers(redis.firstPrimary().port()) == 0);
        allocate("after");
        await().atMost(Duration.ofSeconds(30)).until(() -> backlog() == 0);
        assertThat(orderIds(promoted.getPort())).contains("before", "after");
        try (Jedis jedis = RedisSentinelTestSet.dataNode(promoted.getPort())) {
            jedis.xadd("change_batch_quantity", XAddParams.xAddParams(),
                    Map.of("data", "{\"batchref\": \"b1\", \"qty\": 70}"));
            await().atMost(Duration.ofSeconds(30)).until(() -> purchased("b1") == 70);
        }
    }

    /**
     * A primary the Sentinels cannot reach (cut off from them, not from the service) stays a primary
     * after they promote the replica, and nothing ends the subscription on it: the listener moves it
     * to the new primary itself, as the relay's and the stream reader's next commands go there.
     */
    @Test
    void after_a_failover_that_leaves_the_old_primary_running_the_subscription_moves_to_the_new_one() {
        await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(redis.firstPrimary().port()) == 1);

        redis.cutOffFromSentinels(redis.firstPrimary());
        HostAndPort promoted = new HostAndPort("127.0.0.1", redis.firstReplica().port());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> redis.currentPrimary().equals(promoted));

        await().atMost(Duration.ofSeconds(15)).until(() -> subscribers(promoted.getPort()) == 1
                && subscribers(redis.firstPrimary().port()) == 0);
        try (Jedis jedis = RedisSentinelTestSet.dataNode(promoted.getPort())) {
            jedis.publish("change_batch_quantity", "{\"batchref\": \"b1\", \"qty\": 80}");
            await().atMost(Duration.ofSeconds(10)).until(() -> purchased("b1") == 80);
        }
    }

    private void allocate(String order) {
        assertThat(api.post("/allocate", "{\"orderid\": \"" + order + "\", \"sku\": \"LAMP\", \"qty\": 1}")
                .statusCode()).isEqualTo(202);
    }

    private long backlog() {
        return api.db().number("SELECT count(*) FROM outbox");
    }

    private long purchased(String batch) {
        return api.db().number("SELECT purchased_quantity FROM batches WHERE reference = '" + batch + "'");
    }

    /** The order ids of the line_allocated stream on the server at this port. */
    private static Set<String> orderIds(int port) {
        Set<String> ids = new HashSet<>();
        try (Jedis jedis = RedisSentinelTestSet.dataNode(port)) {
            List<StreamEntry> entries = jedis.xrange("line_allocated", "-", "+");
            Pattern order = Pattern.compile("\"orderid\":\"([^\"]+)\"");
            for (StreamEntry entry : entries) {
                Matcher matcher = order.matcher(entry.getFields().get("data"));
                if (matcher.find()) {
                    ids.add(matcher.group(1));
                }
            }
        }
        return ids;
    }

    private static long subscribers(int port) {
        try (Jedis jedis = RedisSentinelTestSet.dataNode(port)) {
            return jedis.pubsubNumSub("change_batch_quantity").getOrDefault("change_batch_quantity", 0L);
        }
    }

    /** A metric's value (the sum of its series) from {@code GET /metrics}. */
    private long metric(String name) {
        Matcher lines = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? (\\S+)$").matcher(api.get("/metrics").body());
        double sum = 0;
        boolean found = false;
        while (lines.find()) {
            sum += Double.parseDouble(lines.group(2));
            found = true;
        }
        if (!found) {
            throw new AssertionError("no metric " + name);
        }
        return (long) sum;
    }
}

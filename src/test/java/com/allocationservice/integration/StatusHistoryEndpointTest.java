package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.bootstrap.StatusHistory;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestClock;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code GET /status/history}, the page's live charts, on the real service: allocations (some out of
 * stock) driven through the HTTP API, the sampler advanced by hand on a clock the test moves (its own
 * loop set to an hour, so it takes no sample meanwhile), and the figures read from PostgreSQL and Redis
 * at each sample, a gap when Redis is gone.
 */
class StatusHistoryEndpointTest {

    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");

    @Test
    void serves_each_intervals_rates_latencies_and_the_figures_read_at_its_end() throws Exception {
        TestClock clock = new TestClock(START);
        try (RedisTestServer redisServer = RedisTestServer.start();
             TestService api = TestService.start(TestDatabase.Kind.POSTGRES, Map.of("ALLOCATION_REDIS_URL",
                     redisServer.url(), "ALLOCATION_CHART_INTERVAL_SECONDS", "3600"), clock);
             RedisClient redis = RedisClient.create(URI.create(redisServer.url()))) {
            StatusHistory history = api.service().history();
            JsonNode none = TestService.json(api.get("/status/history"));
            assertThat(none.get("time")).isEmpty();
            assertThat(none.get("interval_seconds").asInt()).isEqualTo(3600);
            assertThat(none.get("instance").asText()).contains("(pid " + ProcessHandle.current().pid() + ")");

            assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}")
                    .statusCode()).isEqualTo(201);
            for (int i = 1; i <= 4; i++) {
                assertThat(api.post("/allocate", "{\"orderid\": \"o" + i + "\", \"sku\": \"LAMP\", \"qty\": 2}")
                        .statusCode()).isEqualTo(202);
            }
            for (int i = 5; i <= 7; i++) {
                assertThat(api.post("/allocate", "{\"orderid\": \"o" + i + "\", \"sku\": \"LAMP\", \"qty\": 5}")
                        .statusCode()).isEqualTo(409);
            }
            assertThat(api.post("/allocate", "{\"orderid\": \"o8\", \"sku\": \"NO-SUCH\", \"qty\": 1}").statusCode())
                    .as("not an out-of-stock answer").isEqualTo(400);
            // the charts are told of a request with the metrics, once it is answered: wait until the metrics show them
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(api.get("/metrics").body()).contains(
                    "http_server_requests_seconds_count{method=\"POST\",route=\"/allocate\",status=\"202\"} 4",
                    "http_server_requests_seconds_count{method=\"POST\",route=\"/allocate\",status=\"409\"} 3",
                    "http_server_requests_seconds_count{method=\"POST\",route=\"/allocate\",status=\"400\"} 1"));
            // three messages in the stream no consumer has read yet, two dead letters, one parked outbox row
            redis.xgroupCreate("change_batch_quantity", "allocation", StreamEntryID.XGROUP_LAST_ENTRY, true);
            for (int i = 0; i < 3; i++) {
                redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("ref", "b1", "qty", "1"));
            }
            redis.xadd("change_batch_quantity.dead_letter", XAddParams.xAddParams(), Map.of("data", "x", "error", "y"));
            redis.xadd("change_batch_quantity.dead_letter", XAddParams.xAddParams(), Map.of("data", "x", "error", "y"));
            parkOneOutboxRow(api.db());

            clock.advance(Duration.ofSeconds(10));
            history.sample();

            JsonNode first = TestService.json(api.get("/status/history"));
            assertThat(first.get("time")).hasSize(1);
            assertThat(first.get("time").get(0).asLong()).isEqualTo(START.getEpochSecond() + 10);
            assertThat(first.get("allocations_per_second").get(0).asDouble()).isEqualTo(0.4);
            assertThat(first.get("out_of_stock_per_second").get(0).asDouble()).isEqualTo(0.3);
            double p50 = first.get("allocate_p50_ms").get(0).asDouble();
            double p99 = first.get("allocate_p99_ms").get(0).asDouble();
            assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
            assertThat(first.get("outbox_backlog").get(0).asLong())
                    .isEqualTo(api.db().number("SELECT count(*) FROM outbox")).isPositive();
            assertThat(first.get("outbox_parked").get(0).asLong()).isEqualTo(1);
            assertThat(first.get("stream_lag").get(0).asLong()).isEqualTo(3);
            assertThat(first.get("dead_letters").get(0).asLong()).isEqualTo(2);

            // a quiet interval, Redis gone: no rate, no percentile, and a gap where Redis's figures were
            redisServer.stop();
            clock.advance(Duration.ofSeconds(20));
            history.sample();

            JsonNode second = TestService.json(api.get("/status/history"));
            assertThat(second.get("time")).hasSize(2);
            assertThat(second.get("time").get(1).asLong()).isEqualTo(START.getEpochSecond() + 30);
            assertThat(second.get("allocations_per_second").get(1).asDouble()).isZero();
            assertThat(second.get("out_of_stock_per_second").get(1).asDouble()).isZero();
            assertThat(second.get("allocate_p50_ms").get(1).isNull()).isTrue();
            assertThat(second.get("allocate_p99_ms").get(1).isNull()).isTrue();
            assertThat(second.get("stream_lag").get(1).isNull()).isTrue();
            assertThat(second.get("dead_letters").get(1).isNull()).isTrue();
            assertThat(second.get("outbox_parked").get(1).asLong()).as("the database still answers").isEqualTo(1);
            assertThat(second.get("stream_lag").get(0).asLong()).as("the earlier sample is kept").isEqualTo(3);
        }
    }

    @Test
    void without_redis_its_figures_are_gaps_from_the_start() {
        TestClock clock = new TestClock(START);
        try (TestService api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_CHART_INTERVAL_SECONDS",
                "3600"), clock)) {
            clock.advance(Duration.ofSeconds(10));
            api.service().history().sample();

            JsonNode history = TestService.json(api.get("/status/history"));
            assertThat(history.get("stream_lag").get(0).isNull()).isTrue();
            assertThat(history.get("dead_letters").get(0).isNull()).isTrue();
            assertThat(history.get("outbox_backlog").get(0).asLong()).isZero();
        }
    }

    /** Moves the oldest outbox row to outbox_parked, as the relay does after its last attempt. */
    private static void parkOneOutboxRow(TestDatabase db) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.executeUpdate("""
                    INSERT INTO outbox_parked (id, message_id, destination, type, sku, product_version, occurred_at,
                                               payload, attempts, error, parked_at)
                    SELECT id, message_id, destination, type, sku, product_version, occurred_at, payload, 10, 'refused',
                           CURRENT_TIMESTAMP
                    FROM outbox WHERE id = (SELECT min(id) FROM outbox)""");
            st.executeUpdate("DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox)");
        }
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code GET /status}: the database, Redis, the outbox backlog and parked rows, and the dead letters
 * in one JSON object, each as the servers say, and within about a second when Redis is gone.
 */
class StatusTest {

    @Test
    void reports_the_database_redis_the_outbox_and_the_dead_letters() throws Exception {
        try (RedisTestServer redisServer = RedisTestServer.start();
             TestService api = TestService.start(TestDatabase.Kind.POSTGRES, Map.of("ALLOCATION_REDIS_URL", redisServer.url()));
             RedisClient redis = RedisClient.create(URI.create(redisServer.url()))) {
            JsonNode empty = TestService.json(api.get("/status"));
            assertThat(empty.get("database").asText()).isEqualTo("UP");
            assertThat(empty.get("redis").asText()).isEqualTo("UP");
            assertThat(empty.get("outbox_backlog").asLong()).isZero();
            assertThat(empty.get("outbox_parked").asLong()).isZero();
            assertThat(empty.get("dead_letters").asLong()).isZero();

            // the test service runs no relay: the messages of these commands wait in the outbox
            assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}")
                    .statusCode()).isEqualTo(201);
            for (String order : new String[] {"o1", "o2"}) {
                assertThat(api.post("/allocate", "{\"orderid\": \"" + order + "\", \"sku\": \"LAMP\", \"qty\": 1}")
                        .statusCode()).isEqualTo(202);
            }
            redis.xadd("change_batch_quantity.dead_letter", XAddParams.xAddParams(), Map.of("data", "x", "error", "y"));
            redis.xadd("change_batch_quantity.dead_letter", XAddParams.xAddParams(), Map.of("data", "x", "error", "y"));
            parkOneOutboxRow(api.db());

            JsonNode busy = TestService.json(api.get("/status"));
            assertThat(busy.get("outbox_backlog").asLong()).isEqualTo(api.db().number("SELECT count(*) FROM outbox")).isGreaterThan(1);
            assertThat(busy.get("outbox_parked").asLong()).isEqualTo(1);
            assertThat(busy.get("dead_letters").asLong()).isEqualTo(2);

            redisServer.stop();
            long start = System.nanoTime();
            JsonNode redisGone = TestService.json(api.get("/status"));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(redisGone.get("redis").asText()).isEqualTo("DOWN");
            assertThat(redisGone.get("dead_letters").isNull()).isTrue();
            assertThat(redisGone.get("database").asText()).isEqualTo("UP");
            assertThat(tookMs).as("answered within about a second").isLessThan(2500);
        }
    }

    @Test
    void says_when_redis_is_not_configured() {
        try (TestService api = TestService.start(TestDatabase.Kind.H2)) {
            JsonNode status = TestService.json(api.get("/status"));

            assertThat(status.get("database").asText()).isEqualTo("UP");
            assertThat(status.get("redis").asText()).isEqualTo("NOT_CONFIGURED");
            assertThat(status.get("dead_letters").isNull()).isTrue();
            assertThat(status.get("outbox_backlog").asLong()).isZero();
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

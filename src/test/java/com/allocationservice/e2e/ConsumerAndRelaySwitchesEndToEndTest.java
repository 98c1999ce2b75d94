package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code ALLOCATION_CONSUMER_ENABLED=false} and {@code ALLOCATION_RELAY_ENABLED=false}, as the README
 * says: an instance that only serves HTTP, consuming nothing and publishing nothing; an instance with
 * the defaults, started later against the same database and Redis, does both.
 */
class ConsumerAndRelaySwitchesEndToEndTest {

    private static final String ALLOCATE_ORDER_1 = "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 8}";
    private static final String SHRINK_WAREHOUSE = "{\"batchref\": \"warehouse\", \"qty\": 5}";

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redisServer;
    private RedisClient redis;
    private ServiceProcess httpOnly;
    private ServiceProcess worker;

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redisServer = RedisTestServer.start();
        redis = RedisClient.create(URI.create(redisServer.url()));
    }

    @AfterEach
    void stop() {
        Closing.all(worker, httpOnly, redis, redisServer, db);
    }

    @Test
    void an_instance_with_consumer_and_relay_off_serves_http_but_neither_consumes_nor_publishes() throws Exception {
        httpOnly = start("http-only",
                Map.of("ALLOCATION_CONSUMER_ENABLED", "false", "ALLOCATION_RELAY_ENABLED", "false"));
        assertThat(httpOnly.post("/add_batch", "{\"ref\": \"warehouse\", \"sku\": \"LAMP\", \"qty\": 10}").status())
                .isEqualTo(201);
        assertThat(httpOnly.post("/add_batch",
                "{\"ref\": \"ship-1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": \"2031-01-01\"}").status())
                .isEqualTo(201);
        assertThat(httpOnly.post("/allocate", ALLOCATE_ORDER_1).body()).contains("warehouse");

        assertThat(redis.publish("change_batch_quantity", SHRINK_WAREHOUSE)).as("pub/sub receivers").isZero();
        redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", SHRINK_WAREHOUSE));
        await("nothing consumed, nothing published").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> httpOnly.get("/allocations/order-1").body().contains("warehouse")
                        && redis.xlen("line_allocated") == 0
                        && db.number("SELECT count(*) FROM outbox") > 0);

        worker = start("worker", Map.of());
        await("the worker consumes the waiting stream entry").atMost(Duration.ofSeconds(15))
                .until(() -> httpOnly.get("/allocations/order-1").body().contains("ship-1"));
        await("the worker publishes what the HTTP-only instance committed").atMost(Duration.ofSeconds(15))
                .until(() -> RedisMessages.stream(redisServer.url(), "line_allocated").stream()
                        .map(m -> m.path("batchref").asText()).toList().equals(List.of("warehouse", "ship-1")));
    }

    private ServiceProcess start(String name, Map<String, String> switches) throws Exception {
        Map<String, String> env = new HashMap<>(switches);
        env.put("ALLOCATION_DB_URL", db.url());
        env.put("ALLOCATION_DB_USER", db.user());
        env.put("ALLOCATION_REDIS_URL", redisServer.url());
        return ServiceProcess.start(Files.createDirectories(workDir.resolve(name)), env);
    }
}

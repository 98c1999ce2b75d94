package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TcpProxy;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * A pub/sub subscription reads with no timeout, so a connection dropped silently on the way (a NAT or
 * a proxy that forgot it, a partition) would leave the jar deaf to pub/sub for good. The jar reaches
 * Redis through a proxy that strands its open connections: they stay open and carry nothing. The
 * subscription's read times out and it subscribes again, and quantity changes published afterwards
 * are applied; on a live connection, a quiet channel does not time out (the subscription is pinged).
 */
class PubSubDroppedConnectionEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    private RedisTestServer redisServer;
    private TcpProxy proxy;
    private RedisClient redis;
    private ServiceProcess service;

    @BeforeEach
    void start() {
        redisServer = RedisTestServer.start();
        proxy = TcpProxy.to("127.0.0.1", redisServer.port());
        redis = RedisClient.create(URI.create(redisServer.url()));
        service = ServiceProcess.start(workDir, Map.of(
                "ALLOCATION_REDIS_URL", "redis://127.0.0.1:" + proxy.port(),
                "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "1000"));
    }

    @AfterEach
    void stop() {
        Closing.all(service, redis, proxy, redisServer);
    }

    @Test
    void a_subscription_whose_connection_went_silent_is_replaced_and_hears_again() {
        assertThat(service.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}").status())
                .isEqualTo(201);
        publishUntilPurchasedIs(3, Duration.ofSeconds(30));
        int subscribedSoFar = subscriptions();

        // a quiet channel for several read timeouts: the pings keep the live subscription alive
        await().pollDelay(Duration.ofMillis(3500)).until(() -> true);
        assertThat(subscriptions()).as("subscriptions after a quiet spell").isEqualTo(subscribedSoFar);
        assertThat(service.log()).doesNotContain("Subscription to change_batch_quantity lost");

        proxy.strand();

        publishUntilPurchasedIs(7, Duration.ofSeconds(20));
        assertThat(service.log()).contains("Subscription to change_batch_quantity lost");
    }

    /** Pub/sub is at most once: the change is published again at each poll until the jar applied one. */
    private void publishUntilPurchasedIs(int qty, Duration within) {
        await("pub/sub sets batch b1 to " + qty).atMost(within).pollInterval(Duration.ofMillis(250)).until(() -> {
            redis.publish("change_batch_quantity", "{\"batchref\": \"b1\", \"qty\": " + qty + "}");
            return purchased() == qty;
        });
    }

    private int subscriptions() {
        return (int) service.log().lines().filter(l -> l.contains("Subscribed to pub/sub channel")).count();
    }

    private int purchased() throws Exception {
        return JSON.readTree(service.get("/products/LAMP/stock").body()).get("batches").get(0).get("purchased").asInt();
    }
}

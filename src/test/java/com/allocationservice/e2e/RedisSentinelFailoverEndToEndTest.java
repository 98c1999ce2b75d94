package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.params.XAddParams;

/**
 * The jar (embedded H2) on {@code ops/ha-local/up redis}'s primary, replica and three Sentinels,
 * through the Sentinel URL it prints: while 8 clients allocate, the replica is paused (SIGSTOP) and
 * its link cut by the primary, so it lacks the messages of that while, and then the primary is
 * SIGKILLed and the replica resumed; Sentinel promotes it. Every request answers 2xx (allocations do not need Redis); once the
 * old primary is back, as the new one's replica, the relay drains and every allocation's event is on
 * the new primary's stream, including the ones the replica missed, which only {@code WAIT} kept in the outbox; and a
 * quantity change added to the new primary's stream is consumed by the same process.
 */
class RedisSentinelFailoverEndToEndTest {

    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "TASTELESS-LAMP", "OAK-TABLE");

    @TempDir
    Path workDir;

    private HaLocal ha;
    private ServiceProcess service;
    private Process oldPrimaryAgain;

    @BeforeEach
    void start() throws Exception {
        ha = HaLocal.up("redis", workDir);
        String url = ha.printed("ALLOCATION_REDIS_URL");
        assertThat(url).startsWith("redis-sentinel://").endsWith("#allocation");
        service = ServiceProcess.start(workDir, Map.of("ALLOCATION_REDIS_URL", url,
                "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "2000"));
        for (String sku : SKUS) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-" + sku + "\", \"sku\": \"" + sku
                    + "\", \"qty\": 1000000}").status()).isEqualTo(201);
        }
    }

    @AfterEach
    void stop() throws Exception {
        try {
            Closing.all(service, oldPrimaryAgain == null ? null : () -> {
                oldPrimaryAgain.destroyForcibly();
                oldPrimaryAgain.waitFor();
            });
        } finally {
            if (ha != null) {
                ha.close();
            }
        }
    }

    @Test
    void allocations_go_on_and_every_event_reaches_the_promoted_replica_whose_stream_is_consumed() throws Exception {
        AllocationLoad load = AllocationLoad.start(service, SKUS, 8);
        await("allocations under way").atMost(Duration.ofSeconds(30)).until(() -> load.accepted.size() >= 200);

        // the replica misses the messages of a while: paused, and cut off by the primary (a paused replica
        // alone would still find them in its socket's buffer); only WAIT keeps them in the outbox
        long replica = ha.pid("redis2");
        HaLocal.signal("STOP", replica);
        try {
            try (Jedis primary = new Jedis("127.0.0.1", ha.base + 31)) {
                primary.sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "replica");
            }
            long before = load.accepted.size();
            await("allocations while the replica is paused").atMost(Duration.ofSeconds(10))
                    .until(() -> load.accepted.size() >= before + 50);
            HaLocal.signal("KILL", ha.pid("redis1"));
        } finally {
            HaLocal.signal("CONT", replica);
        }
        await("Sentinel promotes the replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> primaryPort() == ha.base + 32);
        long promotedAt = System.nanoTime();
        await("allocations after the failover").atMost(Duration.ofSeconds(30))
                .until(() -> load.acceptedSentAfter(promotedAt) >= 100);
        load.stop();
        System.out.printf("%d allocations accepted, %d refused%n", load.accepted.size(), load.refused.size());
        assertThat(load.refused).as("no answer but 202: allocations do not need Redis").isEmpty();

        // the new primary has no replica until the old one is back; Sentinel makes it one
        oldPrimaryAgain = new ProcessBuilder("redis-server", "--port", Integer.toString(ha.base + 31), "--bind",
                "127.0.0.1", "--dir", ha.dir.resolve("redis1").toString(), "--save", "", "--appendonly", "no")
                .directory(ha.dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ha.dir.resolve("redis1-again.log").toFile()).start();
        String newPrimary = "redis://127.0.0.1:" + (ha.base + 32);
        await("every allocation's event on the new primary's stream").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> orderIds(newPrimary).containsAll(load.accepted.keySet()));

        try (Jedis jedis = new Jedis("127.0.0.1", ha.base + 32)) {
            jedis.xadd("change_batch_quantity", XAddParams.xAddParams(),
                    Map.of("data", "{\"id\": \"after-failover\", \"batchref\": \"batch-OAK-TABLE\", \"qty\": 2000000}"));
        }
        await("the change on the new primary's stream consumed").atMost(Duration.ofSeconds(30))
                .until(() -> RedisMessages.parse(service.get("/products/OAK-TABLE/stock").body())
                        .get("batches").get(0).get("purchased").asLong() == 2_000_000);
    }

    private static Set<String> orderIds(String url) {
        Set<String> ids = new HashSet<>();
        for (JsonNode message : RedisMessages.stream(url, "line_allocated")) {
            ids.add(message.get("orderid").asText());
        }
        return ids;
    }

    private int primaryPort() {
        try (Jedis sentinel = new Jedis("127.0.0.1", ha.base + 41)) {
            return Integer.parseInt(sentinel.sentinelGetMasterAddrByName("allocation").get(1));
        }
    }
}

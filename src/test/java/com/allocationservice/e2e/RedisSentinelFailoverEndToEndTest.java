package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
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

    private static final Path UP = Path.of("ops/ha-local/up");
    private static final Path DOWN = Path.of("ops/ha-local/down");
    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "TASTELESS-LAMP", "OAK-TABLE");

    @TempDir
    Path workDir;

    private int base;
    private Path haDir;
    private Thread downOnExit;
    private ServiceProcess service;
    private Process oldPrimaryAgain;

    @BeforeEach
    void start() throws Exception {
        base = freePortBase();
        haDir = Path.of(System.getProperty("java.io.tmpdir"), "allocation-ha-redis-test-" + base);
        downOnExit = Thread.ofPlatform().unstarted(this::down);
        Runtime.getRuntime().addShutdownHook(downOnExit);   // a JVM stopped mid-test leaves no set behind
        String printed = run(Duration.ofSeconds(60), UP.toString(), "redis");
        String url = printed.lines().filter(line -> line.startsWith("ALLOCATION_REDIS_URL=")).findFirst()
                .orElseThrow(() -> new AssertionError("no ALLOCATION_REDIS_URL in: " + printed))
                .substring("ALLOCATION_REDIS_URL=".length());
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
            if (downOnExit != null) {   // null: freePortBase() failed, nothing was started
                down();
                Runtime.getRuntime().removeShutdownHook(downOnExit);
            }
        }
    }

    @Test
    void allocations_go_on_and_every_event_reaches_the_promoted_replica_whose_stream_is_consumed() throws Exception {
        AllocationLoad load = AllocationLoad.start(service, SKUS, 8);
        await("allocations under way").atMost(Duration.ofSeconds(30)).until(() -> load.accepted.size() >= 200);

        // the replica misses the messages of a while: paused, and cut off by the primary (a paused replica
        // alone would still find them in its socket's buffer); only WAIT keeps them in the outbox
        long replica = pid("redis2");
        signal("STOP", replica);
        try {
            try (Jedis primary = new Jedis("127.0.0.1", base + 31)) {
                primary.sendCommand(Protocol.Command.CLIENT, "KILL", "TYPE", "replica");
            }
            long before = load.accepted.size();
            await("allocations while the replica is paused").atMost(Duration.ofSeconds(10))
                    .until(() -> load.accepted.size() >= before + 50);
            signal("KILL", pid("redis1"));
        } finally {
            signal("CONT", replica);
        }
        await("Sentinel promotes the replica").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> primaryPort() == base + 32);
        long promotedAt = System.nanoTime();
        await("allocations after the failover").atMost(Duration.ofSeconds(30))
                .until(() -> load.acceptedSentAfter(promotedAt) >= 100);
        load.stop();
        System.out.printf("%d allocations accepted, %d refused%n", load.accepted.size(), load.refused.size());
        assertThat(load.refused).as("no answer but 202: allocations do not need Redis").isEmpty();

        // the new primary has no replica until the old one is back; Sentinel makes it one
        oldPrimaryAgain = new ProcessBuilder("redis-server", "--port", Integer.toString(base + 31), "--bind",
                "127.0.0.1", "--dir", haDir.resolve("redis1").toString(), "--save", "", "--appendonly", "no")
                .directory(haDir.toFile()).redirectErrorStream(true)
                .redirectOutput(haDir.resolve("redis1-again.log").toFile()).start();
        String newPrimary = "redis://127.0.0.1:" + (base + 32);
        await("every allocation's event on the new primary's stream").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> orderIds(newPrimary).containsAll(load.accepted.keySet()));

        try (Jedis jedis = new Jedis("127.0.0.1", base + 32)) {
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
        try (Jedis sentinel = new Jedis("127.0.0.1", base + 41)) {
            return Integer.parseInt(sentinel.sentinelGetMasterAddrByName("allocation").get(1));
        }
    }

    private long pid(String name) throws IOException {
        return Long.parseLong(Files.readString(haDir.resolve(name + ".pid")).strip());
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor())
                .as("kill -%s %d", signal, pid).isZero();
    }

    private void down() {
        try {
            run(Duration.ofSeconds(60), DOWN.toString());
        } catch (Exception e) {
            System.out.println("ops/ha-local/down failed: " + e);
        }
    }

    /** Runs the script with this set's HA_DIR and HA_PORT_BASE; its stdout (stderr goes to the test's output). */
    private String run(Duration within, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("HA_DIR", haDir.toString());
        builder.environment().put("HA_PORT_BASE", Integer.toString(base));
        Path output = Files.createTempFile(workDir, "script", ".out");
        Process process = builder.redirectOutput(output.toFile()).start();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + within);
        }
        String printed = Files.readString(output);
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + printed).isZero();
        return printed;
    }

    /**
     * A port base in 20000..32600, below the ephemeral ports (from 32768) that clients' connections take,
     * whose ports for the Redis part (base+31, 32, 41..43) are all free now.
     */
    private static int freePortBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int candidate = 20_000 + 100 * ThreadLocalRandom.current().nextInt(127);
            if (IntStream.of(31, 32, 41, 42, 43).allMatch(offset -> free(candidate + offset))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free port base found");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar on a two-node PostgreSQL cluster run by Patroni in synchronous mode ({@code ops/ha-local/up
 * postgres}, on ports of its own), reached through a URL that names both nodes: while 8 clients
 * allocate, the leader stops sending WAL to the standby for a second, then its Patroni and PostgreSQL
 * are SIGKILLed together, as a crashed machine goes.
 * The same process answers 2xx again within 30 s of the kill (the other node took over), and
 * afterwards, on the new primary, every line answered 202 is stored once on the batch its answer
 * named, no batch holds more than it has, every other answer was a 503 with a message, and every
 * stored allocation reached the Redis stream.
 */
class PatroniFailoverEndToEndTest {

    private static final Path UP = Path.of("ops/ha-local/up");
    private static final Path DOWN = Path.of("ops/ha-local/down");
    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "TASTELESS-LAMP", "OAK-TABLE");
    private static final int QUANTITY = 1_000_000;

    @TempDir
    Path workDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private int base;
    private Path haDir;
    private Thread downOnExit;
    private String dbUrl;
    private RedisTestServer redis;
    private ServiceProcess service;

    @BeforeEach
    void cluster() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/patroni")) && Files.isExecutable(Path.of("/usr/bin/etcd")),
                "no patroni or etcd (apt-get install patroni etcd-server): skipped");
        base = freePortBase();
        haDir = Path.of(System.getProperty("java.io.tmpdir"), "allocation-ha-test-" + base);
        downOnExit = Thread.ofPlatform().unstarted(this::down);
        Runtime.getRuntime().addShutdownHook(downOnExit);   // a JVM stopped mid-test leaves no cluster behind
        String printed = run(Duration.ofSeconds(120), UP.toString(), "postgres");
        dbUrl = printed.lines().filter(line -> line.startsWith("ALLOCATION_DB_URL=")).findFirst()
                .orElseThrow(() -> new AssertionError("no ALLOCATION_DB_URL in: " + printed))
                .substring("ALLOCATION_DB_URL=".length());
        redis = RedisTestServer.start();
        service = ServiceProcess.start(workDir, Map.of("ALLOCATION_DB_URL", dbUrl, "ALLOCATION_DB_USER", "postgres",
                "ALLOCATION_REDIS_URL", redis.url()));
        for (String sku : SKUS) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-" + sku + "\", \"sku\": \"" + sku
                    + "\", \"qty\": " + QUANTITY + "}").status()).isEqualTo(201);
        }
    }

    @AfterEach
    void stop() {
        try {
            Closing.all(service, redis);
        } finally {
            if (downOnExit != null) {
                down();
                Runtime.getRuntime().removeShutdownHook(downOnExit);
            }
        }
    }

    @Test
    void the_same_process_allocates_again_soon_after_the_leader_is_killed_and_loses_no_acknowledged_line()
            throws Exception {
        long pid = service.pid();
        AllocationLoad load = AllocationLoad.start(service, SKUS, 8);
        await("allocations under way").atMost(Duration.ofSeconds(30)).until(() -> load.accepted.size() >= 200);

        int leader = leader().orElseThrow(() -> new AssertionError("no Patroni leader"));
        // The leader stops sending WAL a second before the crash. Asynchronous replication would
        // acknowledge that second's commits and lose them in the failover; in synchronous mode they
        // wait for the standby and are never acknowledged.
        ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(Files.readAllLines(
                haDir.resolve("pg" + leader + "/data/postmaster.pid")).getFirst())).orElseThrow();
        List<ProcessHandle> backends = postmaster.children().toList();
        signal("STOP", walSender(backends));
        Thread.sleep(1_000);
        long killedAt = System.nanoTime();
        kill(ProcessHandle.of(Long.parseLong(Files.readString(haDir.resolve("patroni" + leader + ".pid")).strip()))
                .orElseThrow());
        kill(postmaster);
        backends.forEach(ProcessHandle::destroyForcibly);   // the stopped WAL sender among them; the others may be gone

        await("a 202 for a request sent after the kill").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50)).until(() -> load.acceptedSentAfter(killedAt) > 0);
        System.out.printf("first 202 %d ms after the leader was killed%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
        assertThat(leader()).as("the other node leads").contains(3 - leader);
        long resumedAt = System.nanoTime();
        await("more allocations after the failover").atMost(Duration.ofSeconds(30))
                .until(() -> load.acceptedSentAfter(resumedAt) >= 100);
        load.stop();
        assertThat(service.isAlive()).isTrue();
        assertThat(service.pid()).as("the same process, never restarted").isEqualTo(pid);
        await("/health/ready UP").atMost(Duration.ofSeconds(10))
                .until(() -> service.get("/health/ready").status() == 200);

        System.out.printf("%d lines accepted, %d refused%n", load.accepted.size(), load.refused.size());
        assertThat(load.refused).as("every refusal is a 503 with a message").allSatisfy(refused -> {
            assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
            assertThat(RedisMessages.parse(refused.body()).path("message").asText()).as(refused.toString()).isNotBlank();
        });
        Map<String, String> stored = storedLines();
        Map<String, String> lost = new HashMap<>(load.accepted);
        lost.entrySet().removeIf(line -> line.getValue().equals(stored.get(line.getKey())));
        assertThat(lost).as("lines answered 202 but not stored on the batch named, of %d", load.accepted.size()).isEmpty();
        noBatchOverAllocated();

        await("every stored allocation on the stream").atMost(Duration.ofSeconds(30))
                .until(() -> published().keySet().containsAll(stored.keySet()));
        assertThat(published()).isEqualTo(stored);
    }

    /** orderid → batchref of every stored line, on the primary now; an orderid stored twice fails. */
    private Map<String, String> storedLines() throws SQLException {
        Map<String, String> lines = new HashMap<>();
        try (Connection c = DriverManager.getConnection(dbUrl, "postgres", ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT orderid, batchref FROM order_lines")) {
            while (rs.next()) {
                String before = lines.put(rs.getString(1), rs.getString(2));
                assertThat(before).as("%s stored once", rs.getString(1)).isNull();
            }
        }
        return lines;
    }

    private void noBatchOverAllocated() throws SQLException {
        try (Connection c = DriverManager.getConnection(dbUrl, "postgres", ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT b.reference, b.purchased_quantity, b.allocated_quantity,"
                     + " (SELECT COALESCE(SUM(l.qty), 0) FROM order_lines l WHERE l.batchref = b.reference)"
                     + " FROM batches b")) {
            int batches = 0;
            while (rs.next()) {
                batches++;
                assertThat(rs.getLong(4)).as("lines on %s", rs.getString(1)).isEqualTo(rs.getLong(3))
                        .isLessThanOrEqualTo(rs.getLong(2));
            }
            assertThat(batches).isEqualTo(SKUS.size());
        }
    }

    /** orderid → batchref of the line_allocated stream, duplicates collapsed by orderid. */
    private Map<String, String> published() {
        Map<String, String> published = new HashMap<>();
        for (JsonNode message : RedisMessages.stream(redis.url(), "line_allocated")) {
            published.put(message.get("orderid").asText(), message.get("batchref").asText());
        }
        return published;
    }

    /** The node (1 or 2) whose Patroni answers 200 on /primary. */
    private Optional<Integer> leader() {
        return IntStream.of(1, 2).boxed().filter(node -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (base + 10 + node) + "/primary"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200;
            } catch (IOException unreachable) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }).findFirst();
    }

    /** The backend sending WAL to the standby: the one whose title says so. */
    private static long walSender(List<ProcessHandle> backends) {
        return backends.stream().filter(backend -> {
            try {
                return Files.readString(Path.of("/proc", Long.toString(backend.pid()), "cmdline")).contains("walsender");
            } catch (IOException gone) {
                return false;
            }
        }).findFirst().orElseThrow(() -> new AssertionError("no walsender on the leader")).pid();
    }

    private static void signal(String signal, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start().waitFor())
                .as("kill -%s %d", signal, pid).isZero();
    }

    /** SIGKILL. */
    private static void kill(ProcessHandle process) {
        assertThat(process.destroyForcibly()).as("SIGKILL sent to %d", process.pid()).isTrue();
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
     * A port base in 20000..32600 whose ports for the PostgreSQL part (base+1..base+21) are all free
     * now: below Linux's ephemeral ports (from 32768), so no outgoing connection takes one meanwhile.
     */
    private static int freePortBase() {
        for (int attempt = 0; attempt < 50; attempt++) {
            int candidate = 20_000 + 100 * ThreadLocalRandom.current().nextInt(127);
            if (IntStream.of(1, 2, 11, 12, 20, 21).allMatch(offset -> free(candidate + offset))) {
                return candidate;
            }
        }
        throw new IllegalStateException("no free port base found");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
import java.util.Set;
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
 * stored allocation reached the Redis stream. The views read from the standby before the failover
 * ({@code ALLOCATION_READ_DB_URL} with {@code targetServerType=preferSecondary}), and from the new
 * primary after it.
 */
class PatroniFailoverEndToEndTest {

    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "TASTELESS-LAMP", "OAK-TABLE");
    private static final int QUANTITY = 1_000_000;

    @TempDir
    Path workDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private HaLocal ha;
    private String dbUrl;
    private RedisTestServer redis;
    private ServiceProcess service;

    @BeforeEach
    void cluster() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/patroni")) && Files.isExecutable(Path.of("/usr/bin/etcd")),
                "no patroni or etcd (apt-get install patroni etcd-server): skipped");
        ha = HaLocal.up("postgres", workDir);
        dbUrl = ha.printed("ALLOCATION_DB_URL");
        redis = RedisTestServer.start();
        service = ServiceProcess.start(workDir, Map.of("ALLOCATION_DB_URL", dbUrl, "ALLOCATION_DB_USER", "postgres",
                "ALLOCATION_READ_DB_URL", dbUrl.replace("targetServerType=primary", "targetServerType=preferSecondary"),
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
            if (ha != null) {
                ha.close();
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
        readsFromTheStandby(load, leader);
        Set<String> readBefore = Set.copyOf(load.accepted.keySet());
        // The leader stops sending WAL a second before the crash. Asynchronous replication would
        // acknowledge that second's commits and lose them in the failover; in synchronous mode they
        // wait for the standby and are never acknowledged.
        ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(Files.readAllLines(
                ha.dir.resolve("pg" + leader + "/data/postmaster.pid")).getFirst())).orElseThrow();
        List<ProcessHandle> backends = postmaster.children().toList();
        HaLocal.signal("STOP", walSender(backends));
        Thread.sleep(1_000);
        long killedAt = System.nanoTime();
        kill(ProcessHandle.of(ha.pid("patroni" + leader))
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
        String late = load.accepted.keySet().stream().filter(orderid -> !readBefore.contains(orderid)).findAny().orElseThrow();
        assertThat(service.get("/allocations/" + late).body()).as("the views, on the new primary now")
                .contains(load.accepted.get(late));
    }

    /**
     * Before the failover the views ({@code ALLOCATION_READ_DB_URL}, preferSecondary) read from the
     * standby: a line answered 202 shows there once the standby has applied it, and the read side's
     * sessions are on the standby, none on the leader.
     */
    private void readsFromTheStandby(AllocationLoad load, int leader) throws Exception {
        Map.Entry<String, String> line = load.accepted.entrySet().iterator().next();
        await("a 202's line read back").atMost(Duration.ofSeconds(10)).until(() ->
                service.get("/allocations/" + line.getKey()).body().contains(line.getValue()));
        assertThat(readSessions(3 - leader)).as("read-side sessions on the standby").isPositive();
        assertThat(readSessions(leader)).as("read-side sessions on the leader").isZero();
    }

    private int readSessions(int node) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + (ha.base + node) + "/allocation",
                "postgres", ""); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'allocation-read'")) {
            rs.next();
            return rs.getInt(1);
        }
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
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (ha.base + 10 + node) + "/primary"))
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

    /** SIGKILL. */
    private static void kill(ProcessHandle process) {
        assertThat(process.destroyForcibly()).as("SIGKILL sent to %d", process.pid()).isTrue();
    }
}

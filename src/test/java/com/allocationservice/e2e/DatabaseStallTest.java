package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.TcpProxy;
import com.allocationservice.support.TestDatabase;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar reaches PostgreSQL through a {@link TcpProxy} that stalls (a partition: connections stay
 * open, no byte goes through). With small timeouts configured, every request ends with a 503 within
 * its timeout instead of hanging, liveness stays up, readiness goes down within about a second, and
 * the service answers 2xx again once the database does. A database that stalls as the service starts
 * (or a machine so busy that a login takes longer than the connect timeout) does not stop the start.
 */
class DatabaseStallTest {

    private static final int CONNECT_MS = 1_000;
    private static final int SOCKET_MS = 2_000;
    /** A request's bound (socket timeout, plus waiting for and checking a connection), plus a second for a busy machine. */
    private static final long BOUND_MS = SOCKET_MS + CONNECT_MS * 3 / 2 + 1_000;

    @TempDir
    Path workDir;

    private TestDatabase db;
    private TcpProxy line;
    private ServiceProcess service;
    private final AtomicInteger orders = new AtomicInteger();

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        URI server = URI.create(db.url().substring("jdbc:".length()));
        line = TcpProxy.to(server.getHost(), server.getPort());
    }

    /** Starts the jar through the proxy with the small timeouts, and adds a batch. */
    private void startService() {
        URI server = URI.create(db.url().substring("jdbc:".length()));
        service = ServiceProcess.start(workDir, Map.of(
                "ALLOCATION_DB_URL", "jdbc:postgresql://127.0.0.1:" + line.port() + server.getPath(),
                "ALLOCATION_DB_USER", db.user(),
                "ALLOCATION_DB_POOL_SIZE", "4",
                "ALLOCATION_DB_CONNECT_TIMEOUT_MS", Integer.toString(CONNECT_MS),
                "ALLOCATION_DB_SOCKET_TIMEOUT_MS", Integer.toString(SOCKET_MS),
                "ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "1500",
                "ALLOCATION_DB_LOCK_TIMEOUT_MS", "1000"));
        assertThat(service.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 1000, \"eta\": null}")
                .status()).isEqualTo(201);
    }

    @AfterEach
    void stop() {
        Closing.all(service, line, db);
    }

    @Test
    void requests_end_with_503_within_the_timeout_while_the_database_stalls_and_succeed_once_it_answers()
            throws Exception {
        startService();
        assertThat(allocate().status()).isEqualTo(202);
        Readers readers = Readers.start(service, 4);
        await("reads flowing").atMost(Duration.ofSeconds(30)).until(() -> readers.okSince(0) >= 20);

        line.stall();
        long stalledAt = System.nanoTime();

        // reads in flight at the stall, on connections just used (so the pool does not validate them)
        await("every reader ended a request it began after the stall").atMost(Duration.ofMillis(4 * BOUND_MS))
                .until(() -> readers.allEndedOneStartedAfter(stalledAt));
        readers.stop();
        assertThat(readers.longestMillis()).as("the longest read, in ms").isLessThan(BOUND_MS);
        assertThat(readers.statusesSince(stalledAt)).containsOnly(503);
        for (int i = 0; i < 3; i++) {
            ServiceProcess.Answer write = timed("allocate", BOUND_MS, this::allocate);
            assertThat(write.status()).as(write.body()).isEqualTo(503);
            assertThat(write.body()).contains("\"message\"").containsIgnoringCase("unavailable");
            ServiceProcess.Answer read = timed("read", BOUND_MS, () -> service.get("/allocations/order-1"));
            assertThat(read.status()).as(read.body()).isEqualTo(503);
        }
        ServiceProcess.Answer ready = timed("readiness", 2_000, () -> service.get("/health/ready"));
        assertThat(ready.status()).isEqualTo(503);
        assertThat(ready.body()).contains("\"status\":\"DOWN\"").contains("\"message\"");
        ServiceProcess.Answer live = timed("liveness", 500, () -> service.get("/health/live"));
        assertThat(live.status()).isEqualTo(200);

        line.restore();

        await("a 2xx once the database answers again").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200)).until(() -> allocate().status() == 202);
        assertThat(service.get("/allocations/order-1").status()).isEqualTo(200);
        assertThat(service.get("/health/ready").status()).isEqualTo(200);
    }

    @Test
    void a_database_that_stalls_as_the_service_starts_is_tried_again_until_it_answers() {
        line.stall();
        Path log = workDir.resolve("service.log");
        Thread.ofPlatform().daemon().start(() -> {
            await("a connection attempt at start-up timed out").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(log) && Files.readString(log).contains("cannot be reached yet"));
            line.restore();
        });
        startService();
        assertThat(service.log()).contains("The database cannot be reached yet");
        assertThat(allocate().status()).isEqualTo(202);
    }

    /** Threads reading one order in a loop, keeping the pool's connections freshly used. */
    private static final class Readers {
        private record Done(long startedAt, long millis, int status) {
        }

        private final List<Done> done = new CopyOnWriteArrayList<>();
        private final Map<Integer, Long> lastStartedAt = new ConcurrentHashMap<>();
        private final List<Thread> threads = new ArrayList<>();
        private volatile boolean running = true;

        static Readers start(ServiceProcess service, int count) {
            Readers readers = new Readers();
            for (int t = 0; t < count; t++) {
                int id = t;
                readers.threads.add(Thread.ofPlatform().daemon().start(() -> {
                    while (readers.running) {
                        long start = System.nanoTime();
                        int status;
                        try {
                            status = service.get("/allocations/order-1").status();
                        } catch (RuntimeException e) {
                            status = -1;
                        }
                        readers.done.add(new Done(start, (System.nanoTime() - start) / 1_000_000, status));
                        readers.lastStartedAt.merge(id, start, Math::max);
                    }
                }));
            }
            return readers;
        }

        long okSince(long nanos) {
            return done.stream().filter(d -> d.startedAt() >= nanos && d.status() == 200).count();
        }

        boolean allEndedOneStartedAfter(long nanos) {
            return lastStartedAt.size() == threads.size()
                    && lastStartedAt.values().stream().allMatch(started -> started > nanos);
        }

        long longestMillis() {
            return done.stream().mapToLong(Done::millis).max().orElse(0);
        }

        List<Integer> statusesSince(long nanos) {
            return done.stream().filter(d -> d.startedAt() > nanos).map(Done::status).toList();
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(1));
            }
        }
    }

    private ServiceProcess.Answer allocate() {
        return service.post("/allocate", "{\"orderid\": \"order-" + orders.incrementAndGet()
                + "\", \"sku\": \"LAMP\", \"qty\": 1}");
    }

    private static ServiceProcess.Answer timed(String what, long boundMillis, Supplier<ServiceProcess.Answer> request) {
        long start = System.nanoTime();
        ServiceProcess.Answer answer = request.get();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(millis).as(what + " answered " + answer.status() + " after ms").isLessThan(boundMillis);
        return answer;
    }
}

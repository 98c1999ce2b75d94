package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.allocationservice.support.RedisMessages;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar on the embedded default with {@code ./data} on a file system of its own, an 8 MB tmpfs
 * mounted by the test (it runs as root, as CI does; elsewhere it is skipped, saying why): filled up
 * under load, then freed; and made read-only before a start.
 */
class EmbeddedStorageFaultsTest {

    private static final String SKU = "RED-CHAIR";

    @TempDir
    Path workDir;

    private Path data;
    private boolean mounted;

    @AfterEach
    void unmount() throws Exception {
        if (mounted) {
            run("chattr", "-i", data.resolve("allocation.mv.db").toString());
            run("umount", "-l", data.toString());
        }
    }

    @Test
    void below_its_free_space_reserve_the_service_answers_503_storage_full_and_2xx_again_seconds_after_space_is_freed()
            throws Exception {
        fullDisk((load, filler) -> {
            fillAllBut(filler, RESERVE + 512 * 1024);
            return load.call();
        }, true);
    }

    /**
     * Another process takes every byte while requests run, so H2's own write fails on the full disk (not
     * the reserve's check): H2 closes the database, which the pool opens again only once space is back.
     */
    @Test
    void a_disk_filled_to_the_last_byte_under_load_answers_503_storage_full_and_2xx_again_seconds_after_space_is_freed()
            throws Exception {
        fullDisk((load, filler) -> {
            Load started = load.call();
            Awaitility.await("some 202s first").atMost(Duration.ofSeconds(30)).until(() -> started.count(202) >= 20);
            fillAllBut(filler, 0);
            return started;
        }, false);
    }

    /** More than the default reserve on the test's 8 MB file system (a tenth of it). */
    private static final long RESERVE = 1024 * 1024;

    private interface Filling {
        Load fill(java.util.concurrent.Callable<Load> startLoad, Path filler) throws Exception;
    }

    /**
     * Fills {@code ./data} as {@code filling} says, under load, until requests get 503; then frees the
     * space, and checks that the same process answers 2xx again and that, after a SIGKILL and a restart,
     * every allocation answered 202 is there.
     */
    private void fullDisk(Filling filling, boolean byTheReserve) throws Exception {
        mountSmallDataDirectory();
        Map<String, String> accepted = new ConcurrentHashMap<>();
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of())) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-1\", \"sku\": \"" + SKU
                    + "\", \"qty\": 100000000}").status()).isEqualTo(201);
            Path filler = data.resolve("filler");
            Load load = filling.fill(() -> Load.start(service, accepted, 4), filler);
            Awaitility.await("503s while the disk is full").atMost(Duration.ofSeconds(60))
                    .until(() -> load.count(503) >= 50);
            // readiness writes at most once a second: DOWN within about a second of the first refused write
            Awaitility.await("readiness DOWN while the disk is full").atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(200)).until(() -> service.get("/health/ready").status() == 503);
            ServiceProcess.Answer ready = service.get("/health/ready");
            assertThat(ready.status()).as("readiness while the disk is full: %s", ready.body()).isEqualTo(503);
            if (byTheReserve) {
                assertThat(ready.body()).contains("storage full");
            }
            assertThat(service.get("/health/live").status()).isEqualTo(200);
            load.stop();

            assertThat(load.statuses).as("no 500 on a full disk; log: %s", tail(service.log()))
                    .containsOnly(202, 503);
            // H2's own failure also closes the database: requests then in it name that ("storage failed")
            assertThat(load.bodies503).as("every 503 names the cause").isNotEmpty()
                    .allSatisfy(body -> assertThat(body).contains(byTheReserve
                            ? "Storage is unavailable (storage full)" : "Storage is unavailable (storage "));

            Files.delete(filler);
            long freed = System.nanoTime();
            Awaitility.await("a 2xx after space was freed").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(100)).until(() -> allocate(service, accepted, "after-" + System.nanoTime()) == 202);
            System.out.printf("first 2xx %d ms after space was freed%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - freed));
            Awaitility.await("ready again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> service.get("/health/ready").status() == 200);
            assertThat(service.isAlive()).as("the same process").isTrue();

            service.kill();
            service.startAgain();
            List<String> lost = new ArrayList<>();
            accepted.forEach((orderid, batchref) -> {
                ServiceProcess.Answer answer = service.get("/allocations/" + orderid);
                if (answer.status() != 200
                        || !batchref.equals(RedisMessages.parse(answer.body()).get(0).get("batchref").asText())) {
                    lost.add(orderid + " (" + answer.status() + " " + answer.body() + ")");
                }
            });
            if (!lost.isEmpty()) {
                Files.writeString(Path.of("target", "embedded-storage-faults-service.log"), service.log());
            }
            assertThat(lost).as("of %d allocations answered 202, after a full disk and a SIGKILL (log in "
                    + "target/embedded-storage-faults-service.log)", accepted.size()).isEmpty();
        }
    }

    @Test
    void a_read_only_data_directory_stops_start_up_naming_it() throws Exception {
        mountSmallDataDirectory();
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of())) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-1\", \"sku\": \"" + SKU
                    + "\", \"qty\": 10}").status()).isEqualTo(201);
        }
        assumeTrue(run("mount", "-o", "remount,ro", data.toString()) == 0, "cannot remount the tmpfs read-only");

        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir,
                Map.of("ALLOCATION_HTTP_PORT", "0"));

        assertThat(exit.code()).as(exit.output()).isNotZero();
        assertThat(exit.output()).contains("Cannot start the allocation service")
                .contains(data.toAbsolutePath().toString()).contains("read-only");
    }

    @Test
    void a_disk_with_less_free_space_than_the_reserve_stops_start_up_naming_it_and_the_setting() throws Exception {
        mountSmallDataDirectory();   // 8 MB

        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir,
                Map.of("ALLOCATION_HTTP_PORT", "0", "ALLOCATION_DB_MIN_FREE_MB", "64"));

        assertThat(exit.code()).as(exit.output()).isNotZero();
        assertThat(exit.output()).contains("Cannot start the allocation service")
                .contains(data.toAbsolutePath().toString()).contains("storage full")
                .contains("below ALLOCATION_DB_MIN_FREE_MB (64 MB)");
    }

    @Test
    void a_database_file_that_cannot_be_written_stops_start_up_naming_its_directory() throws Exception {
        mountSmallDataDirectory();
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of())) {
            assertThat(service.post("/add_batch", "{\"ref\": \"batch-1\", \"sku\": \"" + SKU
                    + "\", \"qty\": 10}").status()).isEqualTo(201);
        }
        // chattr +i: even root cannot open the file for writing, so H2 opens it read-only without a word
        assumeTrue(run("chattr", "+i", data.resolve("allocation.mv.db").toString()) == 0,
                "chattr +i is not supported here");

        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir,
                Map.of("ALLOCATION_HTTP_PORT", "0"));

        assertThat(exit.code()).as(exit.output()).isNotZero();
        assertThat(exit.output()).contains("Cannot start the allocation service")
                .contains(data.toAbsolutePath().toString()).contains("storage read-only");
    }

    private void mountSmallDataDirectory() throws Exception {
        data = workDir.resolve("data");
        Files.createDirectories(data);
        int status = run("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", data.toString());
        assumeTrue(status == 0, "cannot mount a tmpfs on " + data + " (not root, or no mount permission): skipped");
        mounted = true;
    }

    /**
     * Writes zeros to {@code filler} until the file system has about {@code leave} bytes free, or, for
     * 0, until it has none (the write that finds it full ends the filling).
     */
    private static void fillAllBut(Path filler, long leave) throws IOException {
        long free = Files.getFileStore(filler.getParent()).getUsableSpace();
        byte[] block = new byte[leave == 0 ? 4096 : 64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (long written = 0; leave == 0 || written + block.length <= free - leave; written += block.length) {
                out.write(block);
            }
        } catch (IOException e) {
            if (leave != 0 || !String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    private static int allocate(ServiceProcess service, Map<String, String> accepted, String orderid) {
        ServiceProcess.Answer answer = service.post("/allocate",
                "{\"orderid\": \"" + orderid + "\", \"sku\": \"" + SKU + "\", \"qty\": 1}");
        if (answer.status() == 202) {
            accepted.put(orderid, RedisMessages.parse(answer.body()).get("batchref").asText());
        }
        return answer.status();
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        int status = process.waitFor();
        if (status != 0) {
            System.out.println(String.join(" ", command) + ": " + output.strip());
        }
        return status;
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 6_000));
    }

    /** Clients allocating one line per request, with long order ids so the disk fills soon. */
    private static final class Load {
        final List<Integer> statuses = new CopyOnWriteArrayList<>();
        final List<String> bodies503 = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger next = new AtomicInteger();
        private final List<Thread> clients = new ArrayList<>();

        static Load start(ServiceProcess service, Map<String, String> accepted, int clients) {
            Load load = new Load();
            String padding = "x".repeat(150);
            for (int c = 0; c < clients; c++) {
                load.clients.add(Thread.ofPlatform().start(() -> {
                    while (load.running.get()) {
                        String orderid = "order-" + load.next.incrementAndGet() + "-" + padding;
                        ServiceProcess.Answer answer = service.post("/allocate",
                                "{\"orderid\": \"" + orderid + "\", \"sku\": \"" + SKU + "\", \"qty\": 1}");
                        load.statuses.add(answer.status());
                        if (answer.status() == 202) {
                            accepted.put(orderid, RedisMessages.parse(answer.body()).get("batchref").asText());
                        } else if (answer.status() == 503) {
                            load.bodies503.add(answer.body());
                        }
                    }
                }));
            }
            return load;
        }

        long count(int status) {
            return statuses.stream().filter(s -> s == status).count();
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread client : clients) {
                client.join();
            }
        }
    }
}

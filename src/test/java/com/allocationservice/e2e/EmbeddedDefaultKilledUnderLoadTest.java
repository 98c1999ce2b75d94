package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.RedisMessages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar started as the README runs it (no {@code ALLOCATION_*} setting: the embedded H2 database
 * in {@code ./data} of a fresh working directory), SIGKILLed 3 to 5 seconds into a load of 8
 * clients, restarted on the same directory, several rounds: every allocation answered 202 in any
 * round is still there, on the batch it was answered with.
 */
class EmbeddedDefaultKilledUnderLoadTest {

    private static final List<String> SKUS = List.of("RED-CHAIR", "BLUE-SOFA", "OAK-TABLE");
    private static final int CLIENTS = 8;
    private static final int ROUNDS = 3;

    @TempDir
    Path workDir;

    @Test
    void no_allocation_answered_202_is_lost_when_the_embedded_default_is_killed_under_load() throws Exception {
        Map<String, String> accepted = new ConcurrentHashMap<>();
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of())) {
            for (String sku : SKUS) {
                assertThat(service.post("/add_batch", "{\"ref\": \"batch-" + sku + "\", \"sku\": \"" + sku
                        + "\", \"qty\": 100000000}").status()).isEqualTo(201);
            }
            for (int round = 1; round <= ROUNDS; round++) {
                Load load = Load.start(service, round);
                Thread.sleep(ThreadLocalRandom.current().nextLong(3_000, 5_001));
                service.kill();
                load.stop();
                assertThat(load.accepted).as("allocations answered 202 in round %d; the service's log ends with %s",
                        round, tail(service.log())).hasSizeGreaterThan(20);
                accepted.putAll(load.accepted);
                service.startAgain();

                List<String> lost = new ArrayList<>();
                accepted.forEach((orderid, batchref) -> {
                    ServiceProcess.Answer answer = service.get("/allocations/" + orderid);
                    if (answer.status() != 200
                            || !batchref.equals(RedisMessages.parse(answer.body()).get(0).get("batchref").asText())) {
                        lost.add(orderid + " (" + answer.status() + " " + answer.body() + ")");
                    }
                });
                assertThat(lost).as("of %d allocations answered 202, after %d SIGKILLs", accepted.size(), round)
                        .isEmpty();
            }
        }
        assertThat(workDir.resolve("data/allocation.mv.db")).as("the database is the working directory's ./data")
                .satisfies(file -> assertThat(Files.size(file)).isPositive());
    }

    private static String tail(String log) {
        return log.substring(Math.max(0, log.length() - 6_000));
    }

    /** Client threads allocating one line per request, remembering orderid → batchref of each 202. */
    private static final class Load {
        final Map<String, String> accepted = new ConcurrentHashMap<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicInteger next = new AtomicInteger();
        private final List<Thread> clients = new ArrayList<>();

        static Load start(ServiceProcess service, int round) {
            Load load = new Load();
            for (int c = 0; c < CLIENTS; c++) {
                load.clients.add(Thread.ofPlatform().start(() -> {
                    while (load.running.get()) {
                        int n = load.next.incrementAndGet();
                        String orderid = "order-" + round + "-" + n;
                        try {
                            ServiceProcess.Answer answer = service.post("/allocate", "{\"orderid\": \"" + orderid
                                    + "\", \"sku\": \"" + SKUS.get(n % SKUS.size()) + "\", \"qty\": 1}");
                            if (answer.status() == 202) {
                                load.accepted.put(orderid, RedisMessages.parse(answer.body()).get("batchref").asText());
                            }
                        } catch (RuntimeException connectionLost) {
                            // the process was killed: this request has no answer, so it promised nothing
                        }
                    }
                }));
            }
            return load;
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread client : clients) {
                client.join();
            }
        }
    }
}

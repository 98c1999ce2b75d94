package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Outcome;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.RedisConsumer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A quantity change takes its SKU's lane: on a hot SKU it waits its turn instead of racing the allocations. */
class QuantityChangeLaneTest {

    private static final int THREADS = 24;
    private static final int ORDERS_PER_THREAD = 15;
    private static final int CHANGES = 40;

    @Test
    void quantity_changes_sent_while_allocations_queue_on_the_same_sku_never_conflict() throws Exception {
        try (ConsumerFixture fixture = new ConsumerFixture()) {
            fixture.bus.handle(new CreateBatch("wh", "LAMP", 1_000, null));
            RedisConsumer consumer = fixture.startConsumer("c1");

            CyclicBarrier start = new CyclicBarrier(THREADS + 1);
            ExecutorService threads = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> allocations = new ArrayList<>();
            try {
                for (int t = 0; t < THREADS; t++) {
                    int thread = t;
                    allocations.add(threads.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int o = 0; o < ORDERS_PER_THREAD; o++) {
                            Object batch = fixture.bus.handle(new Allocate("o-" + thread + "-" + o, "LAMP", 1));
                            assertThat(batch).isEqualTo(new Outcome.Allocated("wh"));
                        }
                        return null;
                    }));
                }
                start.await(30, TimeUnit.SECONDS);
                for (int i = 1; i <= CHANGES; i++) {
                    fixture.publish("{\"batchref\": \"wh\", \"qty\": " + (1_000 + i) + ", \"seq\": " + i + "}");
                }
                for (Future<?> allocation : allocations) {
                    allocation.get(2, TimeUnit.MINUTES);
                }
            } finally {
                threads.shutdownNow();
            }

            await().atMost(Duration.ofSeconds(30)).until(() -> consumer.handled() == CHANGES);
            assertThat(consumer.deadLettered()).isZero();
            assertThat(consumer.failures()).isZero();
            assertThat(fixture.bus.commandRetries()).as("no command lost a race: the changes queued in the lane")
                    .isZero();
            assertThat(fixture.purchased("wh")).isEqualTo(1_000 + CHANGES);
        }
    }
}

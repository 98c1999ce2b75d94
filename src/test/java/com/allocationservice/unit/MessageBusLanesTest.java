package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.service.MessageBus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MessageBusLanesTest {

    private static final MessageBus.Lanes BY_SKU = command -> ((Allocate) command).sku();

    @Test
    void commands_of_one_lane_never_run_at_the_same_time() throws Exception {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        MessageBus bus = bus((command, uow) -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            Thread.onSpinWait();
            Thread.yield();
            running.decrementAndGet();
            return null;
        });
        runTogether(32, 200, i -> bus.handle(new Allocate("o" + i, "HOT-SKU", 1)));
        assertThat(mostAtOnce).hasValue(1);
    }

    @Test
    void commands_of_different_lanes_run_side_by_side() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        MessageBus bus = bus((command, uow) -> {
            bothInside.countDown();
            try {
                // Each waits for the other: this returns true only if the two lanes overlap.
                return bothInside.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        List<Object> results = runTogether(2, 1, i -> bus.handle(new Allocate("o" + i, "SKU-" + i, 1)));
        assertThat(results).containsOnly(true);
    }

    @Test
    void without_lanes_commands_of_one_sku_may_overlap() throws Exception {
        CountDownLatch bothInside = new CountDownLatch(2);
        MessageBus bus = new MessageBus(new FakeUnitOfWork(), (command, uow) -> {
            bothInside.countDown();
            try {
                return bothInside.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, event -> List.of(), MessageBus.RetryPolicy.DEFAULT);
        List<Object> results = runTogether(2, 1, i -> bus.handle(new Allocate("o" + i, "HOT-SKU", 1)));
        assertThat(results).containsOnly(true);
    }

    private static MessageBus bus(MessageBus.CommandHandler handler) {
        return new MessageBus(new FakeUnitOfWork(), handler, event -> List.of(), MessageBus.RetryPolicy.DEFAULT,
                BY_SKU);
    }

    @FunctionalInterface
    private interface Call {
        Object run(int index);
    }

    /** Runs {@code perThread} calls on each of {@code threads} real threads released at once. */
    private static List<Object> runTogether(int threads, int perThread, Call call) throws Exception {
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Future<List<Object>>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<Object> results = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        results.add(call.run(thread * perThread + i));
                    }
                    return results;
                }));
            }
            List<Object> all = new ArrayList<>();
            for (Future<List<Object>> future : futures) {
                all.addAll(future.get(60, TimeUnit.SECONDS));
            }
            return all;
        }
    }
}

package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Outcome;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.MessageBus;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * One bus, many real threads. Each group must get a unit of work of its own and each caller its own
 * results: the book's bus, with one unit of work and one queue in fields, fails here (the
 * store's units of work refuse to be used by a thread that did not begin them, or after closing).
 */
class MessageBusConcurrencyTest {

    private static final int THREADS = 16;
    private static final LocalDate TOMORROW = LocalDate.of(2026, 1, 11);

    private final FakeSharedStore store = new FakeSharedStore();
    private final MessageBus bus = Bootstrap.bus(store);
    private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();

    @Test
    void each_thread_gets_its_own_results_and_its_own_events_and_each_group_its_own_unit_of_work() throws Exception {
        int stock = 40;
        int allocations = 60;
        Map<Integer, List<Object>> results = new ConcurrentHashMap<>();

        runOnThreads(t -> {
            String sku = "SKU-" + t;
            bus.handle(new CreateBatch("batch-" + t, sku, stock, null));
            List<Object> mine = new ArrayList<>();
            for (int i = 0; i < allocations; i++) {
                mine.add(bus.handle(new Allocate(t + "-" + i, sku, 1)));
            }
            results.put(t, mine);
        });

        assertThat(failures).isEmpty();
        for (int t = 0; t < THREADS; t++) {
            List<Object> expected = new ArrayList<>();
            for (int i = 0; i < allocations; i++) {
                expected.add(i < stock ? new Outcome.Allocated("batch-" + t) : new Outcome.OutOfStock("SKU-" + t));
            }
            assertThat(results.get(t)).as("results of thread %d", t).isEqualTo(expected);
            assertThat(store.outbox()).as("out-of-stock events of SKU-%d", t)
                    .filteredOn(new OutOfStock("SKU-" + t)::equals).hasSize(allocations - stock);
            Product product = store.product("SKU-" + t).orElseThrow();
            assertThat(product.version()).isEqualTo(1 + stock);
            assertThat(product.batch("batch-" + t).orElseThrow().allocatedQuantity()).isEqualTo(stock);
        }
        assertThat(store.conflicts()).isZero();
        assertThat(bus.groupedCommands()).as("commands run in groups").isEqualTo(THREADS * (1 + allocations));
        assertThat(store.begun()).as("units of work begun, one per group of commands").isEqualTo(bus.groups());
        assertThat(store.closed()).isEqualTo(store.begun());
    }

    @Test
    void contended_allocations_on_one_sku_never_over_allocate_cross_results_or_lose_a_line() throws Exception {
        bus.handle(new CreateBatch("warehouse", "HOT-SKU", 100, null));
        bus.handle(new CreateBatch("ship", "HOT-SKU", 100, TOMORROW));
        int allocations = 20;
        Map<String, String> allocated = new ConcurrentHashMap<>();
        Map<Integer, Integer> outOfStockAnswers = new ConcurrentHashMap<>();
        Queue<String> conflictAnswers = new ConcurrentLinkedQueue<>();

        runOnThreads(t -> {
            int outOfStock = 0;
            for (int i = 0; i < allocations; i++) {
                String orderid = t + "-" + i;
                try {
                    switch (bus.handle(new Allocate(orderid, "HOT-SKU", 1))) {
                        case Outcome.Allocated a -> allocated.put(orderid, a.batchref());
                        case Outcome.OutOfStock o -> outOfStock++;
                    }
                } catch (ConcurrencyConflict conflict) {
                    conflictAnswers.add(orderid);
                }
            }
            outOfStockAnswers.put(t, outOfStock);
        });

        assertThat(failures).isEmpty();
        int outOfStock = outOfStockAnswers.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(allocated.size() + outOfStock + conflictAnswers.size()).isEqualTo(THREADS * allocations);
        if (outOfStock > 0) {
            assertThat(allocated).hasSize(200);
        }
        Product product = store.product("HOT-SKU").orElseThrow();
        for (Batch batch : product.batches()) {
            assertThat(batch.allocatedQuantity()).as("%s", batch).isBetween(0, batch.purchasedQuantity());
        }
        assertThat(product.batches().stream().mapToInt(Batch::allocatedQuantity).sum()).isEqualTo(allocated.size());
        assertThat(product.version()).isEqualTo(2 + allocated.size());
        assertThat(product.lines()).hasSize(allocated.size())
                .allSatisfy(line -> assertThat(line.batchref())
                        .as("answer given for %s", line.line().orderid())
                        .isEqualTo(allocated.get(line.line().orderid())));
        if (allocated.size() > 100) {
            assertThat(product.batch("warehouse").orElseThrow().availableQuantity()).isZero();
        }
        assertThat(store.outbox()).as("an out-of-stock event for each such answer")
                .filteredOn(OutOfStock.class::isInstance).hasSize(outOfStock);
        assertThat(store.conflicts()).as("every conflict was retried or answered")
                .isEqualTo(bus.commandRetries() + conflictAnswers.size());
        assertThat(store.closed()).isEqualTo(store.begun());
        System.out.printf("contended allocations: %d allocated, %d out of stock, %d conflicts answered, %d retries%n",
                allocated.size(), outOfStock, conflictAnswers.size(), bus.commandRetries());
    }

    /** Runs the body on THREADS named threads released together by a barrier; collects what they throw. */
    private void runOnThreads(IntConsumer body) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int index = t;
            threads.add(Thread.ofPlatform().name(threadName(t)).start(() -> {
                try {
                    start.await(30, TimeUnit.SECONDS);
                    body.accept(index);
                } catch (Throwable failure) {
                    failures.add(failure);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(120));
            assertThat(thread.isAlive()).as("%s still running", thread.getName()).isFalse();
        }
    }

    private static String threadName(int t) {
        return "bus-test-" + t;
    }
}

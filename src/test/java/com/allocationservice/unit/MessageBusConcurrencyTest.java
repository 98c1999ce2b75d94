package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.MessageBus;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * One bus, many real threads. Each message must get a unit of work of its own and each caller its own
 * results and events: the book's bus, with one unit of work and one queue in fields, fails here (the
 * store's units of work refuse to be used by a thread that did not begin them, or after closing).
 */
class MessageBusConcurrencyTest {

    private static final int THREADS = 16;
    private static final LocalDate TOMORROW = LocalDate.of(2026, 1, 11);

    private final FakeSharedStore store = new FakeSharedStore();
    private final ThreadRecordingNotifications notifications = new ThreadRecordingNotifications();
    private final MessageBus bus = Bootstrap.bus(store, notifications);
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
                expected.add(i < stock ? Optional.of("batch-" + t) : Optional.empty());
            }
            assertThat(results.get(t)).as("results of thread %d", t).isEqualTo(expected);
            assertThat(notifications.sentOn(threadName(t))).as("notifications sent on thread %d", t)
                    .hasSize(allocations - stock)
                    .containsOnly("Out of stock for SKU-" + t);
            Product product = store.product("SKU-" + t).orElseThrow();
            assertThat(product.version()).isEqualTo(1 + stock);
            assertThat(product.batch("batch-" + t).orElseThrow().allocatedQuantity()).isEqualTo(stock);
        }
        assertThat(store.conflicts()).isZero();
        assertThat(bus.groupedCommands()).as("commands run in groups").isEqualTo(THREADS * (1 + allocations));
        assertThat(store.begun()).as("units of work begun, one per group of commands and one per event handling")
                .isEqualTo(bus.groups() + THREADS * (allocations - stock));
        assertThat(store.closed()).isEqualTo(store.begun());
    }

    @Test
    void contended_allocations_on_one_sku_never_over_allocate_cross_results_or_lose_a_line() throws Exception {
        bus.handle(new CreateBatch("warehouse", "HOT-SKU", 100, null));
        bus.handle(new CreateBatch("ship", "HOT-SKU", 100, TOMORROW));
        int allocations = 20;
        Map<String, Optional<?>> allocated = new ConcurrentHashMap<>();
        Map<Integer, Integer> outOfStockAnswers = new ConcurrentHashMap<>();
        Queue<String> conflictAnswers = new ConcurrentLinkedQueue<>();

        runOnThreads(t -> {
            int outOfStock = 0;
            for (int i = 0; i < allocations; i++) {
                String orderid = t + "-" + i;
                try {
                    Optional<?> result = (Optional<?>) bus.handle(new Allocate(orderid, "HOT-SKU", 1));
                    if (result.isPresent()) {
                        allocated.put(orderid, result);
                    } else {
                        outOfStock++;
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
                .allSatisfy(line -> assertThat(Optional.of(line.batchref()))
                        .as("answer given for %s", line.line().orderid())
                        .isEqualTo(allocated.get(line.line().orderid())));
        if (allocated.size() > 100) {
            assertThat(product.batch("warehouse").orElseThrow().availableQuantity()).isZero();
        }
        for (int t = 0; t < THREADS; t++) {
            assertThat(notifications.sentOn(threadName(t))).as("notifications sent on thread %d", t)
                    .hasSize(outOfStockAnswers.get(t));
        }
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

    /** Notes the thread every notification was sent on. */
    /** Event routes whose one handler records each out-of-stock notice with the thread it ran on. */
    private static final class ThreadRecordingNotifications implements MessageBus.EventRoutes {
        private final Map<String, Queue<String>> byThread = new ConcurrentHashMap<>();

        @Override
        public List<MessageBus.EventHandler> handlersFor(Event event) {
            if (!(event instanceof OutOfStock outOfStock)) {
                return List.of();
            }
            return List.of((e, uow) -> byThread.computeIfAbsent(Thread.currentThread().getName(),
                    name -> new ConcurrentLinkedQueue<>()).add("Out of stock for " + outOfStock.sku()));
        }

        List<String> sentOn(String threadName) {
            return List.copyOf(byThread.getOrDefault(threadName, new ConcurrentLinkedQueue<>()));
        }
    }
}

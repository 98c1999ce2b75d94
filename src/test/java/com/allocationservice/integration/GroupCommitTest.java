package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Outcome;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.DomainException;
import com.allocationservice.support.StubRoutes;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.TestDatabase;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Group commit on both databases: a gate command holds one group open while a mix of every command,
 * some failing, some with message ids, arrives; they then commit as one group, and the database holds
 * exactly what each was answered, with the outbox rows and message ids of the kept commands only.
 */
class GroupCommitTest {

    private static final Allocate GATE = new Allocate("gate", "GATE", 1);

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_group_of_every_command_keeps_what_each_was_answered_and_nothing_of_the_failures(TestDatabase.Kind kind)
            throws Exception {
        try (TestDatabase db = TestDatabase.create(kind);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            CountDownLatch open = new CountDownLatch(1);
            MessageBus bus = new MessageBus(JdbcUnitOfWork.factory(db.dataSource()), StubRoutes.aroundProduction((command, uow) -> {
                if (command == GATE) {
                    await().until(() -> open.getCount() == 0);
                }
                Outcome result = StubRoutes.production(command, uow);
                if (command instanceof Allocate a && a.orderid().equals("explodes")) {
                    throw new IllegalStateException("a handler that fails after changing the product");
                }
                return result;
            }), MessageBus.RetryPolicy.DEFAULT);
            bus.handle(new CreateBatch("gate-batch", "GATE", 1, null));
            bus.handle(new CreateBatch("wh", "LAMP", 10, null));
            bus.handle(new CreateBatch("ship", "LAMP", 10, LocalDate.of(2031, 1, 1)));
            bus.handle(new Allocate("old", "LAMP", 4));
            bus.handle(new ChangeBatchQuantity("wh", 8), "m-seen");
            long outboxBefore = db.number("SELECT COUNT(*) FROM outbox");

            CompletableFuture<Object> gate = CompletableFuture.supplyAsync(() -> bus.handle(GATE), threads);
            await().until(() -> bus.groups() == 6);
            List<CompletableFuture<Object>> results = new ArrayList<>();
            send(bus, threads, results, new Allocate("o1", "LAMP", 3), null);
            send(bus, threads, results, new Allocate("o2", "NO-SUCH-SKU", 1), null);
            send(bus, threads, results, new Allocate("old", "LAMP", 5), null);
            send(bus, threads, results, new Allocate("explodes", "LAMP", 1), null);
            send(bus, threads, results, new Allocate("o3", "TABLE", 1), null);
            send(bus, threads, results, new CreateBatch("t1", "TABLE", 5, null), null);
            send(bus, threads, results, new Allocate("o4", "TABLE", 2), "m-fresh");
            send(bus, threads, results, new ChangeBatchQuantity("wh", 2), "m-seen");
            send(bus, threads, results, new ChangeBatchQuantity("wh", 5), null);
            send(bus, threads, results, new Deallocate("o1", "LAMP"), null);
            send(bus, threads, results, new Allocate("o5", "LAMP", 100), null);
            open.countDown();
            gate.join();
            CompletableFuture.allOf(results.stream().map(f -> f.exceptionally(e -> null))
                    .toArray(CompletableFuture[]::new)).join();

            assertThat(bus.groups()).as("five alone, the gate, then one group of eleven").isEqualTo(7);
            assertThat(results.get(0).join()).isEqualTo(new Outcome.Allocated("wh"));
            assertThat(failure(results.get(1))).isInstanceOf(DomainException.InvalidSku.class);
            assertThat(failure(results.get(2))).isInstanceOf(DomainException.LineConflict.class);
            assertThat(failure(results.get(3))).hasMessageContaining("fails after changing");
            assertThat(failure(results.get(4))).as("TABLE does not exist yet").isInstanceOf(DomainException.InvalidSku.class);
            assertThat(results.get(5).join()).isEqualTo(Outcome.Done.DONE);
            assertThat(results.get(6).join()).isEqualTo(Optional.of(new Outcome.Allocated("t1")));
            assertThat(results.get(7).join()).as("a duplicate").isEqualTo(Optional.empty());
            assertThat(results.get(8).join()).as("applied").isEqualTo(Outcome.Done.DONE);
            assertThat(results.get(9).join()).isEqualTo(Outcome.Done.DONE);
            assertThat(results.get(10).join()).isEqualTo(new Outcome.OutOfStock("LAMP"));

            // wh: 8 -> 5 with old (4) and o1 (3) on it: o1, placed last, moves to the ship; then o1 is freed
            assertThat(db.query("SELECT orderid || ' ' || COALESCE(batchref, '-') FROM order_lines WHERE sku <> 'GATE'",
                    rs -> rs.getString(1))).containsExactlyInAnyOrder("old wh", "o4 t1");
            assertThat(db.query("SELECT reference || ' ' || purchased_quantity || '/' || allocated_quantity FROM batches"
                    + " WHERE sku <> 'GATE'", rs -> rs.getString(1))).containsExactlyInAnyOrder("wh 5/4", "ship 10/0", "t1 5/2");
            assertThat(db.query("SELECT message_id FROM inbox", rs -> rs.getString(1)))
                    .containsExactlyInAnyOrder("m-seen", "m-fresh");
            // o1 allocated (version 5); wh shrunk: o1, placed last, moved to the ship (6); o1 freed (7);
            // o5 out of stock (7, and an email); o4 allocated on TABLE: each event with its own version
            assertThat(db.query("SELECT type || ' v' || product_version FROM outbox WHERE destination = 'stream'"
                    + " AND sku = 'LAMP' ORDER BY id", rs -> rs.getString(1)).subList((int) outboxBefore / 2, 6))
                    .containsExactly("line_allocated v5", "line_deallocated v6", "line_allocated v6",
                            "line_deallocated v7", "out_of_stock v7");
            assertThat(db.query("SELECT type || ' v' || product_version FROM outbox WHERE destination = 'stream'"
                    + " AND sku = 'TABLE' ORDER BY id", rs -> rs.getString(1))).containsExactly("line_allocated v2");
            assertThat(db.number("SELECT COUNT(*) FROM outbox WHERE destination = 'email'")).isEqualTo(1);
            assertThat(db.query("SELECT COUNT(*) FROM order_lines WHERE orderid = 'explodes'", rs -> rs.getLong(1)))
                    .containsExactly(0L);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_group_costs_the_same_statements_for_one_command_as_for_twenty(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            AtomicInteger statements = new AtomicInteger();
            CountDownLatch open = new CountDownLatch(1);
            MessageBus bus = new MessageBus(JdbcUnitOfWork.factory(counting(db.dataSource(), statements)),
                    StubRoutes.aroundProduction((command, uow) -> {
                        if (command == GATE) {
                            await().until(() -> open.getCount() == 0);
                        }
                        return StubRoutes.production(command, uow);
                    }), MessageBus.RetryPolicy.DEFAULT);
            bus.handle(new CreateBatch("gate-batch", "GATE", 1, null));
            for (int sku = 0; sku < 20; sku++) {
                bus.handle(new CreateBatch("b" + sku, "SKU-" + sku, 100, null));
                bus.handle(new Allocate("history-" + sku, "SKU-" + sku, 1));
            }

            int before = statements.get();
            bus.handle(new Allocate("alone", "SKU-0", 1));
            int alone = statements.get() - before;

            before = statements.get();
            CompletableFuture<Object> gate = CompletableFuture.supplyAsync(() -> bus.handle(GATE), threads);
            await().until(() -> bus.groups() == 1 + 40 + 1 + 1);
            List<CompletableFuture<Object>> results = new ArrayList<>();
            for (int sku = 0; sku < 20; sku++) {
                send(bus, threads, results, new Allocate("grouped-" + sku, "SKU-" + sku, 1), null);
            }
            open.countDown();
            gate.join();
            results.forEach(CompletableFuture::join);
            int gateAndGroup = statements.get() - before;

            assertThat(alone).as("the load, then the compare-and-set, batch, line (carrying its history entry) "
                    + "and outbox as one").isEqualTo(2);
            assertThat(gateAndGroup).as("the gate's group and the group of twenty: the same statements each")
                    .isEqualTo(2 * alone);
        }
    }

    /** The data source, counting every statement prepared on its connections. */
    private static DataSource counting(DataSource dataSource, AtomicInteger statements) {
        return (DataSource) Proxy.newProxyInstance(GroupCommitTest.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(method, dataSource, args);
                    if (!(result instanceof Connection connection)) {
                        return result;
                    }
                    return Proxy.newProxyInstance(GroupCommitTest.class.getClassLoader(), new Class<?>[] {Connection.class},
                            (p, m, a) -> {
                                if (m.getName().startsWith("prepare")) {
                                    statements.incrementAndGet();
                                }
                                return invoke(m, connection, a);
                            });
                });
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Sends the command on a thread of its own and waits until it is seen waiting for the next group. */
    private static void send(MessageBus bus, ExecutorService threads, List<CompletableFuture<Object>> results,
            Command<?> command, String messageId) {
        int waiting = bus.waitingCommands();
        results.add(CompletableFuture.supplyAsync(
                () -> messageId == null ? bus.handle(command) : bus.handle(command, messageId), threads));
        await().atMost(Duration.ofSeconds(10)).until(() -> bus.waitingCommands() == waiting + 1);
    }

    private static Throwable failure(CompletableFuture<Object> result) {
        return result.handle((value, failure) -> failure.getCause()).join();
    }
}

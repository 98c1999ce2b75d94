package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Outcome;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Product;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.support.StubRoutes;
import com.allocationservice.service.Backoff;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.MessageBus.RetryPolicy;
import com.allocationservice.service.Tracing;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.FakeUnitOfWork;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Group commit's promises, with fakes and real threads. A gate command holds the first group open
 * while the commands under test arrive one by one (each seen waiting before the next is sent), so the
 * second group holds exactly them, in a known arrival order.
 */
class MessageBusGroupTest {

    private static final Allocate GATE = new Allocate("gate", "LAMP", 1);

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final FakeUnitOfWork store = new FakeUnitOfWork();
    /** The commit (counted from 1) that fails as if the database were gone; 0: none. */
    private volatile int failingCommit;
    /** Whether that commit is kept before it fails, as when the connection breaks after the COMMIT was sent. */
    private volatile boolean failingCommitKept;
    private final AtomicInteger commits = new AtomicInteger();
    private final CountDownLatch open = new CountDownLatch(1);
    private final Map<Command, AtomicInteger> runs = new ConcurrentHashMap<>();
    private volatile Runnable beforeFirstRun = () -> { };
    private final FakeTracing tracing = new FakeTracing();
    private final List<Thread> handlerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final MessageBus bus = new MessageBus(this::begin, StubRoutes.aroundProduction((command, uow) -> {
        if (runs.computeIfAbsent(command, c -> new AtomicInteger()).incrementAndGet() == 1) {
            if (command == GATE) {
                awaitOpen();
            }
            beforeFirstRun.run();
        }
        if (command instanceof Allocate a && a.orderid().equals("no-commit")) {
            return uow.products().get(Need.line(a.sku(), a.orderid())).orElseThrow().allocate(new OrderLine("no-commit",
                    a.sku(), a.qty())).<Outcome>map(Outcome.Allocated::new).orElseThrow();
        }
        handlerThreads.add(Thread.currentThread());
        Outcome result = StubRoutes.production(command, uow);
        if (command instanceof Allocate a && a.orderid().equals("breaks")) {
            throw new AssertionError("a bug: an Error, which no handler's failure is");
        }
        if (command instanceof Allocate a && a.orderid().equals("explodes")) {
            throw new IllegalStateException("a handler that fails after changing the product");
        }
        if (command instanceof Allocate a && a.orderid().equals("conflicts") && runs.get(command).get() == 1) {
            throw new ConcurrencyConflict("a handler that loses a race after changing the product");
        }
        return result;
    }), new RetryPolicy(5, new Backoff(Duration.ofMillis(1), Duration.ofMillis(64), true)), tracing);

    @Test
    void each_command_of_a_group_gets_its_own_result_and_a_failing_one_harms_no_other() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));

        List<CompletableFuture<Object>> results = inOneGroup(
                new Allocate("o1", "LAMP", 2),
                new Allocate("o2", "NO-SUCH-SKU", 1),
                new Allocate("gate", "LAMP", 5),
                new Allocate("o3", "LAMP", 100),
                new Allocate("explodes", "LAMP", 4),
                new Allocate("o4", "LAMP", 3));

        assertThat(results.get(0).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(outcome(results.get(1))).isInstanceOf(DomainException.InvalidSku.class);
        assertThat(outcome(results.get(2))).isInstanceOf(DomainException.LineConflict.class);
        assertThat(results.get(3).get()).isEqualTo(new Outcome.OutOfStock("LAMP"));
        assertThat(outcome(results.get(4))).hasMessageContaining("fails after changing");
        assertThat(results.get(5).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(bus.groups()).as("the batch, the gate, then one group of six").isEqualTo(3);
        Product lamp = store.stored("LAMP").orElseThrow();
        assertThat(lamp.batch("b1").orElseThrow().allocatedQuantity()).isEqualTo(1 + 2 + 3);
        assertThat(lamp.lines()).extracting(a -> a.line().orderid() + ":" + a.line().qty())
                .containsExactlyInAnyOrder("gate:1", "o1:2", "o4:3");
        assertThat(store.stored("NO-SUCH-SKU")).isEmpty();
    }

    @Test
    void the_commands_of_one_sku_run_in_arrival_order() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 6, null));

        List<CompletableFuture<Object>> results = inOneGroup(
                new Allocate("first", "LAMP", 3),
                new Allocate("second", "LAMP", 3),
                new Allocate("third", "LAMP", 2));

        assertThat(results.get(0).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(results.get(1).get()).as("only 2 left after the gate and the first").isEqualTo(new Outcome.OutOfStock("LAMP"));
        assertThat(results.get(2).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(store.stored("LAMP").orElseThrow().lines())
                .extracting(a -> a.line().orderid() + " at version " + a.sequence())
                .as("placed one after the other").containsExactlyInAnyOrder("gate at version 2",
                        "first at version 3", "third at version 4");
    }

    @Test
    void a_product_changed_by_another_instance_retries_only_the_commands_that_touched_it() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        bus.handle(new CreateBatch("t1", "TABLE", 10, null));
        MessageBus otherInstance = Bootstrap.bus(store);
        Allocate lamp = new Allocate("o1", "LAMP", 1);
        Allocate table = new Allocate("o2", "TABLE", 1);
        beforeFirstRun = () -> {
            if (runs.containsKey(table) && runs.get(table).get() == 1) {
                // the other instance commits a change to TABLE while this group has it loaded
                CompletableFuture.runAsync(() -> otherInstance.handle(new Allocate("elsewhere", "TABLE", 4)), threads).join();
            }
        };

        List<CompletableFuture<Object>> results = inOneGroup(lamp, table);

        assertThat(results.get(0).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(results.get(1).get()).isEqualTo(new Outcome.Allocated("t1"));
        assertThat(runs.get(lamp)).as("LAMP's command ran once").hasValue(1);
        assertThat(runs.get(table)).as("TABLE's command ran again").hasValue(2);
        assertThat(bus.commandRetries()).isEqualTo(1);
        assertThat(store.stored("TABLE").orElseThrow().batch("t1").orElseThrow().allocatedQuantity()).isEqualTo(4 + 1);
        assertThat(store.stored("LAMP").orElseThrow().batch("b1").orElseThrow().allocatedQuantity()).isEqualTo(1 + 1);
    }

    @Test
    void a_command_undone_by_a_conflict_or_by_not_committing_leaves_nothing_and_a_product_created_serves_the_next()
            throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));

        List<CompletableFuture<Object>> results = inOneGroup(
                new Allocate("conflicts", "LAMP", 4),
                new Allocate("no-commit", "LAMP", 2),
                new CreateBatch("t1", "TABLE", 5, null),
                new Allocate("o1", "TABLE", 2),
                new Allocate("o2", "LAMP", 3));

        assertThat(results.get(0).get()).as("run again, alone").isEqualTo(new Outcome.Allocated("b1"));
        assertThat(results.get(1).get()).as("answered, but nothing kept").isEqualTo(new Outcome.Allocated("b1"));
        assertThat(results.get(3).get()).isEqualTo(new Outcome.Allocated("t1"));
        assertThat(results.get(4).get()).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(runs.get(new Allocate("conflicts", "LAMP", 4))).hasValue(2);
        assertThat(store.stored("LAMP").orElseThrow().batch("b1").orElseThrow().allocatedQuantity())
                .as("the gate, o2, then the conflicting command once").isEqualTo(1 + 3 + 4);
        assertThat(store.stored("LAMP").orElseThrow().line("no-commit")).isEmpty();
        assertThat(store.stored("LAMP").orElseThrow().line("conflicts").orElseThrow().sequence())
                .as("placed when run again, after o2: the first run was undone")
                .isGreaterThan(store.stored("LAMP").orElseThrow().line("o2").orElseThrow().sequence());
        assertThat(store.stored("TABLE").orElseThrow().batch("t1").orElseThrow().allocatedQuantity()).isEqualTo(2);
    }

    @Test
    void a_group_whose_commit_fails_fails_each_of_its_commands_and_keeps_none_of_their_message_ids() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        failingCommit = 3;

        List<CompletableFuture<Object>> results = inOneGroupWithIds(new Allocate("o1", "LAMP", 1), "m1",
                new Allocate("o2", "LAMP", 1), "m2", new Allocate("o3", "NO-SUCH-SKU", 1), "m3");

        assertThat(outcome(results.get(0))).isInstanceOf(StorageUnavailable.class)
                .satisfies(e -> assertThat(((StorageUnavailable) e).outcomeUnknown()).as("nothing was kept").isFalse())
                .satisfies(e -> assertThat(((StorageUnavailable) e).reason()).as("unreachable").isNull());
        assertThat(outcome(results.get(1))).isInstanceOf(StorageUnavailable.class);
        assertThat(outcome(results.get(2))).as("its own failure").isInstanceOf(DomainException.InvalidSku.class);
        assertThat(store.stored("LAMP").orElseThrow().lines()).extracting(a -> a.line().orderid()).containsExactly("gate");
        assertThat(store.handledMessages()).isEmpty();
    }

    @Test
    void a_group_whose_commit_outcome_is_unknown_fails_its_commands_runs_none_again_and_a_retry_doubles_nothing()
            throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        failingCommit = 3;
        failingCommitKept = true;
        Allocate o1 = new Allocate("o1", "LAMP", 2);
        ChangeBatchQuantity keyless = new ChangeBatchQuantity("b1", 20);

        List<CompletableFuture<Object>> results = inOneGroup(o1, new Allocate("o2", "LAMP", 3),
                new Allocate("o3", "NO-SUCH-SKU", 1), keyless);

        assertThat(results.get(0)).as("failed, not run again and answered").isCompletedExceptionally();
        assertThat(outcome(results.get(0))).isInstanceOf(StorageUnavailable.class)
                .satisfies(e -> assertThat(((StorageUnavailable) e).outcomeUnknown()).isTrue())
                .satisfies(e -> assertThat(((StorageUnavailable) e).reason()).isEqualTo("commit outcome unknown"));
        assertThat(outcome(results.get(1))).isInstanceOf(StorageUnavailable.class);
        assertThat(outcome(results.get(2))).as("its own failure").isInstanceOf(DomainException.InvalidSku.class);
        assertThat(outcome(results.get(3))).isInstanceOf(StorageUnavailable.class);
        assertThat(runs.get(o1)).as("not run again by the bus: it may have been kept").hasValue(1);
        assertThat(runs.get(keyless)).hasValue(1);
        assertThat(bus.commandRetries()).isZero();
        assertThat(store.stored("LAMP").orElseThrow().batch("b1").orElseThrow().allocatedQuantity())
                .as("kept: the gate, o1, o2").isEqualTo(1 + 2 + 3);
        assertThat(store.stored("LAMP").orElseThrow().version())
                .as("each change once (the batch, the gate, o1, o2, the quantity): a keyless change run again bumps it again")
                .isEqualTo(5);

        assertThat(bus.handle(o1)).as("the client's retry").isEqualTo(new Outcome.Allocated("b1"));
        assertThat(store.stored("LAMP").orElseThrow().batch("b1").orElseThrow().allocatedQuantity()).isEqualTo(1 + 2 + 3);
        assertThat(bus.handle(new Allocate("o4", "LAMP", 1))).as("the next group commits").isEqualTo(new Outcome.Allocated("b1"));
    }

    @Test
    void the_message_id_of_a_failed_command_is_not_kept_with_the_rest_of_its_group() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));

        List<CompletableFuture<Object>> results = inOneGroupWithIds(new Allocate("o1", "LAMP", 1), "m1",
                new Allocate("o2", "NO-SUCH-SKU", 1), "m2", new Allocate("no-commit", "LAMP", 1), "m3");

        assertThat(results.get(0).get()).isEqualTo(Optional.of(new Outcome.Allocated("b1")));
        assertThat(outcome(results.get(1))).isInstanceOf(DomainException.InvalidSku.class);
        assertThat(store.handledMessages()).as("neither the failed command's nor the uncommitted one's").containsExactly("m1");
    }

    @Test
    void a_burst_runs_in_groups_of_at_most_the_largest_group() {
        bus.handle(new CreateBatch("b1", "LAMP", 10_000, null));
        CompletableFuture<Object> gate = CompletableFuture.supplyAsync(() -> bus.handle(GATE), threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.containsKey(GATE));
        List<CompletableFuture<Object>> burst = new ArrayList<>();
        for (int i = 0; i <= MessageBus.MAX_GROUP; i++) {
            Allocate allocate = new Allocate("burst-" + i, "LAMP", 1);
            burst.add(CompletableFuture.supplyAsync(() -> bus.handle(allocate), threads));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> bus.waitingCommands() == MessageBus.MAX_GROUP + 1);
        long groupsBefore = bus.groups();

        open.countDown();
        gate.join();
        burst.forEach(CompletableFuture::join);

        assertThat(bus.groups() - groupsBefore).as("a full group, then the one left over").isEqualTo(2);
        assertThat(bus.groupedCommands()).isEqualTo(1 + 1 + MessageBus.MAX_GROUP + 1);
    }

    @Test
    void an_error_in_a_group_fails_that_groups_commands_keeps_none_of_them_and_the_next_command_runs() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));

        List<CompletableFuture<Object>> results = inOneGroup(new Allocate("o1", "LAMP", 1),
                new Allocate("o2", "LAMP", 1), new Allocate("breaks", "LAMP", 1));

        assertThat(results).allSatisfy(result -> assertThat(outcome(result))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("a bug: an Error"));
        Object next = CompletableFuture.supplyAsync(() -> bus.handle(new Allocate("o3", "LAMP", 2)), threads)
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(next).isEqualTo(new Outcome.Allocated("b1"));
        assertThat(store.stored("LAMP").orElseThrow().lines()).extracting(a -> a.line().orderid())
                .containsExactlyInAnyOrder("gate", "o3");
    }

    @Test
    void a_failure_around_a_group_fails_its_commands_and_the_next_group_runs() throws Exception {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        tracing.failNextGroup = true;

        assertThat(CompletableFuture.supplyAsync(() -> bus.handle(new Allocate("o1", "LAMP", 1)), threads)
                .handle((value, failure) -> failure.getCause()).get(10, java.util.concurrent.TimeUnit.SECONDS))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("the tracer failed");
        Object next = CompletableFuture.supplyAsync(() -> bus.handle(new Allocate("o2", "LAMP", 2)), threads)
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(next).isEqualTo(new Outcome.Allocated("b1"));
    }

    @Test
    void groups_run_on_a_platform_thread_while_their_senders_on_virtual_threads_wait() {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        handlerThreads.clear();

        inOneGroup(new Allocate("o1", "LAMP", 1), new Allocate("o2", "LAMP", 1)).forEach(CompletableFuture::join);

        assertThat(handlerThreads).hasSize(3).allSatisfy(thread -> assertThat(thread.isVirtual()).isFalse());
    }

    /** Three commands, each with its message id, as one group. */
    private List<CompletableFuture<Object>> inOneGroupWithIds(Command first, String firstId, Command second,
            String secondId, Command third, String thirdId) {
        Map<Command, String> ids = Map.of(first, firstId, second, secondId, third, thirdId);
        return inOneGroup(command -> bus.handle(command, ids.get(command)), first, second, third);
    }

    /** The unit of work the bus uses: the store's, with one commit failing as if the database were gone. */
    private UnitOfWork.Group begin() {
        UnitOfWork.Group work = store.begin();
        return (UnitOfWork.Group) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {UnitOfWork.Group.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && commits.incrementAndGet() == failingCommit) {
                        if (failingCommitKept) {
                            work.commit();
                            throw new StorageUnavailable(StorageUnavailable.OUTCOME_UNKNOWN, "the answer to COMMIT was lost", null);
                        }
                        throw new StorageUnavailable("the database went away", null);
                    }
                    try {
                        return method.invoke(work, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * Sends the gate, then each command once the one before it is seen waiting, then opens the gate:
     * the commands run as one group, in this order.
     */
    private List<CompletableFuture<Object>> inOneGroup(Command... commands) {
        return inOneGroup(bus::handle, commands);
    }

    private List<CompletableFuture<Object>> inOneGroup(Function<Command, Object> send, Command... commands) {
        CompletableFuture<Object> gate = CompletableFuture.supplyAsync(() -> bus.handle(GATE), threads);
        await().atMost(Duration.ofSeconds(10)).until(() -> runs.containsKey(GATE));
        List<CompletableFuture<Object>> results = new ArrayList<>();
        for (Command command : commands) {
            int waiting = bus.waitingCommands();
            results.add(CompletableFuture.supplyAsync(() -> send.apply(command), threads));
            await().atMost(Duration.ofSeconds(10)).until(() -> bus.waitingCommands() == waiting + 1);
        }
        long groupsBefore = bus.groups();
        open.countDown();
        assertThat(gate.join()).isEqualTo(new Outcome.Allocated("b1"));
        CompletableFuture.allOf(results.stream().map(f -> f.exceptionally(e -> null))
                .toArray(CompletableFuture[]::new)).join();
        assertThat(bus.groups() - groupsBefore).as("one group for all of them, plus retries")
                .isEqualTo(1 + bus.commandRetries());
        return results;
    }

    @Test
    void a_groups_span_is_a_child_of_its_first_commands_wait_and_links_the_waits_of_the_others() {
        bus.handle(new CreateBatch("b1", "LAMP", 100, null));
        List<CompletableFuture<Object>> results = inOneGroup(new Allocate("o1", "LAMP", 1),
                new Allocate("o2", "LAMP", 1), new Allocate("o3", "LAMP", 1));
        results.forEach(CompletableFuture::join);

        assertThat(tracing.groups).as("the batch's group, the gate's, then one of three").hasSize(3);
        FakeTracing.Group last = tracing.groups.get(2);
        assertThat(last.leader().name()).as("o1's (after the batch's and the gate's)").isEqualTo("wait 3");
        assertThat(last.others()).extracting(FakeTracing.FakeSpan::name).containsExactly("wait 4", "wait 5");
        assertThat(tracing.groups.get(1).others()).as("the gate ran alone").isEmpty();
        assertThat(tracing.waits).as("a wait per command").hasSize(5)
                .allSatisfy(wait -> assertThat(wait.ended).as(wait.name() + " ended").isTrue());
        assertThat(tracing.groups).allSatisfy(group -> assertThat(group.span().ended).isTrue());
    }

    /** Records the spans the bus asks for, named in order: wait 1, wait 2, ... */
    private static final class FakeTracing implements Tracing {
        record Group(FakeSpan leader, List<FakeSpan> others, FakeSpan span) {
        }

        static final class FakeSpan implements Tracing.Span {
            private final String name;
            volatile boolean ended;

            FakeSpan(String name) {
                this.name = name;
            }

            String name() {
                return name;
            }

            @Override
            public void end() {
                ended = true;
            }
        }

        final List<FakeSpan> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<Group> groups = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Whether the next group's span fails to start. */
        volatile boolean failNextGroup;

        @Override
        public synchronized Tracing.Span startWait() {
            FakeSpan span = new FakeSpan("wait " + (waits.size() + 1));
            waits.add(span);
            return span;
        }

        @Override
        public Tracing.Span startGroup(Tracing.Span leader, List<Tracing.Span> others) {
            if (failNextGroup) {
                failNextGroup = false;
                throw new IllegalStateException("the tracer failed");
            }
            FakeSpan span = new FakeSpan("group");
            groups.add(new Group((FakeSpan) leader, others.stream().map(FakeSpan.class::cast).toList(), span));
            return span;
        }
    }

    @AfterEach
    void stop() {
        open.countDown();
        threads.close();
    }

    private static Throwable outcome(CompletableFuture<Object> result) {
        return result.handle((value, failure) -> failure.getCause()).join();
    }

    private void awaitOpen() {
        try {
            open.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package com.allocationservice.integration;

import com.allocationservice.domain.Outcome;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two buses on one PostgreSQL database stand for two instances: each runs its own groups of commands.
 * A group locks its products as it loads them, so overlapping groups of the two wait for each other
 * instead of losing the version compare-and-set and retrying.
 */
class CrossInstanceConflictTest {

    private static final int THREADS_PER_BUS = 12;
    private static final int ORDERS_PER_THREAD = 8;
    private static final int CHANGES = 48;

    @Test
    void two_instances_racing_on_one_sku_store_exactly_what_they_answered() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 16)) {
            List<MessageBus> buses = List.of(Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource())),
                    Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource())));
            buses.getFirst().handle(new CreateBatch("wh", "LAMP", 60, null));
            buses.getFirst().handle(new CreateBatch("ship", "LAMP", 0, LocalDate.of(2031, 1, 1)));

            // allocations of 1 to 3 from every thread; keyed changes raising the ship's quantity, in shuffled order
            List<List<Command<?>>> work = new ArrayList<>();
            Map<String, Integer> wanted = new HashMap<>();
            List<Command<?>> changes = new ArrayList<>();
            for (int i = 1; i <= CHANGES; i++) {
                changes.add(new ChangeBatchQuantity("ship", 5 * i, new ChangeKey(1_700_000_000_000L + i / 3, i % 3)));
            }
            Collections.shuffle(changes, new Random(42));
            for (int t = 0; t < 2 * THREADS_PER_BUS; t++) {
                List<Command<?>> commands = new ArrayList<>();
                for (int o = 0; o < ORDERS_PER_THREAD; o++) {
                    String orderid = "order-" + t + "-" + o;
                    int qty = 1 + (t + o) % 3;
                    wanted.put(orderid, qty);
                    commands.add(new Allocate(orderid, "LAMP", qty));
                    commands.add(changes.get((t * ORDERS_PER_THREAD + o) % CHANGES));
                }
                work.add(commands);
            }

            Map<String, String> answered = runTogether(buses, work);

            long retries = buses.stream().mapToLong(MessageBus::commandRetries).sum();
            assertThat(retries).as("the two instances waited for each other: retries").isLessThan(wanted.size() / 20);

            Map<String, String> stored = new HashMap<>();
            db.query("SELECT orderid, COALESCE(batchref, 'none') FROM order_lines", rs ->
                    stored.put(rs.getString(1), rs.getString(2)));
            Map<String, String> placed = new HashMap<>(answered);
            placed.values().removeIf("none"::equals);
            assertThat(stored).as("every line answered with a batch, on that batch, and no other line")
                    .isEqualTo(placed);
            Map<String, Integer> linesPerBatch = new HashMap<>();
            stored.forEach((orderid, batch) -> linesPerBatch.merge(batch, wanted.get(orderid), Integer::sum));
            List<int[]> batches = db.query("SELECT purchased_quantity, allocated_quantity FROM batches "
                    + "ORDER BY reference DESC", rs -> new int[] {rs.getInt(1), rs.getInt(2)});
            int[] wh = batches.get(0);
            int[] ship = batches.get(1);
            assertThat(wh[1]).as("wh: allocated = its lines").isEqualTo(linesPerBatch.getOrDefault("wh", 0));
            assertThat(ship[1]).as("ship: allocated = its lines").isEqualTo(linesPerBatch.getOrDefault("ship", 0));
            assertThat(wh[1]).as("wh not oversold").isLessThanOrEqualTo(wh[0]);
            assertThat(ship[1]).as("ship not oversold").isLessThanOrEqualTo(ship[0]);
            assertThat(ship[0]).as("the ship ends on the change sent last, whatever order they ran in")
                    .isEqualTo(5 * CHANGES);
        }
    }

    /**
     * Two instances, each with a pool of its own, hammer one hot SKU and a few shared ones at once,
     * with quantity changes among the allocations: their groups overlap on nearly every commit. They
     * must wait for each other, not lose compare-and-sets and retry, and store exactly what they answered.
     */
    @Test
    void two_instances_hammering_a_hot_sku_and_shared_skus_wait_for_each_other_instead_of_retrying()
            throws Exception {
        int threadsPerBus = 12;
        int commandsPerThread = 24;
        List<String> shared = List.of("DESK", "CHAIR", "SOFA", "BED", "RUG", "SHELF");
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 8);
             HikariDataSource otherPool = Database.pool(db.url(), db.user(), "", 8)) {
            List<MessageBus> buses = List.of(Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource())),
                    Bootstrap.bus(JdbcUnitOfWork.factory(otherPool)));
            buses.getFirst().handle(new CreateBatch("HOT-wh", "HOT", 120, null));
            buses.getFirst().handle(new CreateBatch("HOT-ship", "HOT", 0, LocalDate.of(2031, 1, 1)));
            for (String sku : shared) {
                buses.getFirst().handle(new CreateBatch(sku + "-wh", sku, 40, null));
            }

            // every thread: allocations of 1 to 3, one in two on the hot SKU, the others on shared SKUs,
            // and every fourth command a keyed change raising the hot SKU's shipment, in shuffled order
            List<Command<?>> changes = new ArrayList<>();
            for (int i = 1; i <= CHANGES; i++) {
                changes.add(new ChangeBatchQuantity("HOT-ship", 5 * i, new ChangeKey(1_700_000_000_000L + i / 3, i % 3)));
            }
            Collections.shuffle(changes, new Random(7));
            Map<String, Allocate> sent = new HashMap<>();
            List<List<Command<?>>> work = new ArrayList<>();
            Random random = new Random(19);
            for (int t = 0; t < 2 * threadsPerBus; t++) {
                List<Command<?>> commands = new ArrayList<>();
                for (int c = 0; c < commandsPerThread; c++) {
                    if (c % 4 == 3) {
                        commands.add(changes.get((t * commandsPerThread + c) % CHANGES));
                        continue;
                    }
                    String sku = c % 2 == 0 ? "HOT" : shared.get(random.nextInt(shared.size()));
                    Allocate allocate = new Allocate("order-" + t + "-" + c, sku, 1 + random.nextInt(3));
                    sent.put(allocate.orderid(), allocate);
                    commands.add(allocate);
                }
                work.add(commands);
            }

            Map<String, String> answered = runTogether(buses, work);


            Map<String, String> stored = new HashMap<>();
            db.query("SELECT orderid, COALESCE(batchref, 'none') FROM order_lines", rs ->
                    stored.put(rs.getString(1), rs.getString(2)));
            Map<String, String> placed = new HashMap<>(answered);
            placed.values().removeIf("none"::equals);
            assertThat(answered).as("every allocation answered").hasSize(sent.size());
            assertThat(stored).as("every line answered with a batch, on that batch, and no other line")
                    .isEqualTo(placed);
            assertThat(db.number("SELECT COUNT(*) FROM order_lines")).as("each line stored once").isEqualTo(placed.size());
            Map<String, Integer> onBatch = new HashMap<>();
            stored.forEach((orderid, batch) -> onBatch.merge(batch, sent.get(orderid).qty(), Integer::sum));
            Map<String, int[]> batches = new HashMap<>();
            db.query("SELECT reference, purchased_quantity, allocated_quantity FROM batches", rs ->
                    batches.put(rs.getString(1), new int[] {rs.getInt(2), rs.getInt(3)}));
            assertThat(batches).hasSize(2 + shared.size());
            batches.forEach((reference, quantities) -> {
                assertThat(quantities[1]).as(reference + ": allocated = its lines")
                        .isEqualTo(onBatch.getOrDefault(reference, 0));
                assertThat(quantities[1]).as(reference + " not oversold").isLessThanOrEqualTo(quantities[0]);
            });
            assertThat(batches.get("HOT-ship")[0]).as("the shipment ends on the change sent last")
                    .isEqualTo(5 * CHANGES);
            // a shared SKU's stock only shrinks: what was out of stock then still is
            sent.forEach((orderid, allocate) -> {
                if (answered.get(orderid).equals("none") && !allocate.sku().equals("HOT")) {
                    int free = batches.entrySet().stream().filter(b -> b.getKey().startsWith(allocate.sku() + "-"))
                            .mapToInt(b -> b.getValue()[0] - b.getValue()[1]).max().orElseThrow();
                    assertThat(allocate.qty()).as(orderid + " was really out of stock").isGreaterThan(free);
                }
            });

            long retries = buses.stream().mapToLong(MessageBus::commandRetries).sum();
            assertThat((double) retries / sent.size())
                    .as("retries per allocation (%d retries, %d allocations)", retries, sent.size())
                    .isLessThan(0.05);
        }
    }

    /**
     * An instance's group, paused before its commit, as if slow: it holds the products its load locked
     * until {@code release} opens.
     */
    private record Paused(UnitOfWork.Group real, CountDownLatch release) implements UnitOfWork.Group {
        @Override
        public ProductRepository products() {
            return real.products();
        }

        @Override
        public Set<String> claimVersions() {
            return real.claimVersions();
        }

        @Override
        public void commit() {
            try {
                assertThat(release.await(30, TimeUnit.SECONDS)).as("released").isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            real.commit();
        }

        @Override
        public boolean[] recordMessages(List<String> messageIds) {
            return real.recordMessages(messageIds);
        }

        @Override
        public void forgetMessages(Collection<String> messageIds) {
            real.forgetMessages(messageIds);
        }

        @Override
        public void recordHistory(java.util.List<com.allocationservice.service.LineHistory> entries) {
            real.recordHistory(entries);
        }

        @Override
        public void close() {
            real.close();
        }
    }

    /**
     * The group of the second instance finds the product held by the first one's, which took the last
     * of its stock: it waits for that commit, then decides on what was committed (out of stock), with
     * no retry. Waiting on the load's lock alone would read the batch as it was before the wait.
     */
    @Test
    void a_group_that_finds_its_product_held_by_another_instance_waits_and_decides_on_what_that_committed()
            throws Exception {
        assertThat(whileAnotherInstanceTakesTheStock(new Allocate("o2", "LAMP", 1), "10/10"))
                .isEqualTo(new Outcome.OutOfStock("LAMP"));
    }

    /** The same for a command that names a batch, not its SKU: the batch's owner is what it waits for. */
    @Test
    void a_group_changing_a_batch_whose_product_another_instance_holds_waits_for_it() throws Exception {
        assertThat(whileAnotherInstanceTakesTheStock(new ChangeBatchQuantity("wh", 12), "12/10"))
                .isEqualTo(Outcome.Done.DONE);
    }

    /**
     * Runs {@code command} at a second instance while the first holds LAMP (10 in stock) between the
     * load and the commit of allocating all of it; returns what the second answered, once it
     * is seen waiting, the first released, and the stored batch ({@code stored}: purchased/allocated)
     * and the second's retries (none) checked.
     */
    private static Outcome whileAnotherInstanceTakesTheStock(Command<?> command, String stored) throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 4);
             HikariDataSource otherPool = Database.pool(db.url(), db.user(), "", 2)) {
            UnitOfWork.Factory real = JdbcUnitOfWork.factory(db.dataSource());
            CountDownLatch release = new CountDownLatch(1);
            MessageBus first = Bootstrap.bus(() -> new Paused(real.begin(), release));
            MessageBus second = Bootstrap.bus(JdbcUnitOfWork.factory(otherPool));
            second.handle(new CreateBatch("wh", "LAMP", 10, null));
            ExecutorService threads = Executors.newFixedThreadPool(2);
            Outcome answer;
            try {
                Future<Outcome.Allocation> firstAnswer = threads.submit(() -> first.handle(new Allocate("o1", "LAMP", 10)));
                await().atMost(Duration.ofSeconds(20)).until(() -> db.number("SELECT COUNT(*) FROM pg_locks l "
                        + "JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'products' AND l.granted "
                        + "AND l.mode = 'RowShareLock'") > 0);
                Future<Outcome> secondAnswer = threads.submit(() -> second.handle(command));
                await().atMost(Duration.ofSeconds(20)).until(db::hasSessionWaitingOnLock);
                release.countDown();

                assertThat(firstAnswer.get(20, TimeUnit.SECONDS)).isEqualTo(new Outcome.Allocated("wh"));
                answer = secondAnswer.get(20, TimeUnit.SECONDS);
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
            assertThat(second.commandRetries()).as("the second instance waited instead of retrying").isZero();
            assertThat(db.query("SELECT orderid FROM order_lines", rs -> rs.getString(1))).containsExactly("o1");
            assertThat(db.query("SELECT purchased_quantity || '/' || allocated_quantity FROM batches",
                    rs -> rs.getString(1))).containsExactly(stored);
            return answer;
        }
    }

    /**
     * A product held longer than the lock timeout answers "storage busy" (an HTTP 503) once the timeout
     * has passed, changing nothing: not an internal error, and not a retry that would wait as long again.
     */
    @Test
    void a_product_held_past_the_lock_timeout_is_storage_busy() throws Exception {
        Settings.Timeouts shortLocks = Settings.fromEnvironment(Map.of("ALLOCATION_DB_LOCK_TIMEOUT_MS", "300")).timeouts();
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 4);
             HikariDataSource otherPool = Database.pool(db.url(), db.user(), "", 2, shortLocks, 0)) {
            UnitOfWork.Factory real = JdbcUnitOfWork.factory(db.dataSource());
            CountDownLatch release = new CountDownLatch(1);
            MessageBus first = Bootstrap.bus(() -> new Paused(real.begin(), release));
            MessageBus second = Bootstrap.bus(JdbcUnitOfWork.factory(otherPool));
            second.handle(new CreateBatch("wh", "LAMP", 10, null));
            ExecutorService threads = Executors.newFixedThreadPool(1);
            try {
                Future<Outcome.Allocation> firstAnswer = threads.submit(() -> first.handle(new Allocate("o1", "LAMP", 2)));
                await().atMost(Duration.ofSeconds(20)).until(() -> db.number("SELECT COUNT(*) FROM pg_locks l "
                        + "JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'products' AND l.granted "
                        + "AND l.mode = 'RowShareLock'") > 0);
                long start = System.nanoTime();
                assertThatThrownBy(() -> second.handle(new ChangeBatchQuantity("wh", 5)))
                        .isInstanceOfSatisfying(StorageUnavailable.class,
                                e -> assertThat(e.reason()).isEqualTo("storage busy"));
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
                release.countDown();
                assertThat(firstAnswer.get(20, TimeUnit.SECONDS)).isEqualTo(new Outcome.Allocated("wh"));
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
            assertThat(second.commandRetries()).isZero();
            assertThat(db.query("SELECT purchased_quantity || '/' || allocated_quantity FROM batches",
                    rs -> rs.getString(1))).containsExactly("10/2");
        }
    }

    /**
     * Runs each list of commands on a thread of its own, the threads alternating between the buses, all
     * started at once; returns each allocation's answer (its batch, or "none" when out of stock). A
     * {@code ConcurrencyConflict} or any other failure fails the test.
     */
    private static Map<String, String> runTogether(List<MessageBus> buses, List<List<Command<?>>> work)
            throws Exception {
        Map<String, String> answered = new ConcurrentHashMap<>();
        CyclicBarrier start = new CyclicBarrier(work.size());
        ExecutorService threads = Executors.newFixedThreadPool(work.size());
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < work.size(); t++) {
                MessageBus bus = buses.get(t % buses.size());
                List<Command<?>> commands = work.get(t);
                done.add(threads.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    for (Command<?> command : commands) {
                        if (command instanceof Allocate a) {
                            answered.put(a.orderid(), switch (bus.handle(a)) {
                                case Outcome.Allocated allocated -> allocated.batchref();
                                case Outcome.OutOfStock outOfStock -> "none";
                            });
                        } else {
                            bus.handle(command);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get(3, TimeUnit.MINUTES);
            }
        } finally {
            threads.shutdownNow();
        }
        return answered;
    }
}

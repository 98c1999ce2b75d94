package com.allocationservice.integration;

import com.allocationservice.domain.Outcome;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.TestDatabase;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two buses on one PostgreSQL database stand for two instances: each runs its own groups of commands,
 * so only the version compare-and-set orders them, and real conflicts happen and are retried.
 */
class CrossInstanceConflictTest {

    private static final int THREADS_PER_BUS = 12;
    private static final int ORDERS_PER_THREAD = 8;
    private static final int CHANGES = 48;

    @Test
    void two_instances_racing_on_one_sku_retry_and_store_exactly_what_they_answered() throws Exception {
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

            Map<String, String> answered = new ConcurrentHashMap<>();
            CyclicBarrier start = new CyclicBarrier(work.size());
            ExecutorService threads = Executors.newFixedThreadPool(work.size());
            List<Future<?>> done = new ArrayList<>();
            try {
                for (int t = 0; t < work.size(); t++) {
                    MessageBus bus = buses.get(t % 2);
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
                    future.get(3, TimeUnit.MINUTES); // a ConcurrencyConflict or any other failure fails here
                }
            } finally {
                threads.shutdownNow();
            }

            long retries = buses.stream().mapToLong(MessageBus::commandRetries).sum();
            assertThat(retries).as("the two instances really conflicted, and retried").isPositive();

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
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The JDBC unit of work and repository, held to the same contract on H2 and PostgreSQL. */
class JdbcUnitOfWorkContractTest {

    private TestDatabase db;
    private UnitOfWork.Factory uows;

    private void open(TestDatabase.Kind kind) {
        db = TestDatabase.create(kind);
        uows = JdbcUnitOfWork.factory(db.dataSource());
    }

    @AfterEach
    void closeDatabase() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void saved_products_batches_and_lines_round_trip(TestDatabase.Kind kind) {
        open(kind);
        inUow(uow -> {
            Product lamp = Product.create("LAMP");
            uow.products().add(lamp);
            lamp.addBatch(new Batch("warehouse", "LAMP", 10, null));
            lamp.addBatch(new Batch("ship", "LAMP", 20, LocalDate.of(2031, 5, 17)));
            lamp.allocate(new OrderLine("o1", "LAMP", 7));
            lamp.allocate(new OrderLine("o2", "LAMP", 5));
            uow.commit();
        });

        try (UnitOfWork uow = uows.begin()) {
            Product lamp = uow.products().get(Need.lineAndBackorders("LAMP", "o2")).orElseThrow();
            assertThat(lamp.sku()).isEqualTo("LAMP");
            assertThat(lamp.version()).isEqualTo(4);
            assertThat(lamp.batches()).extracting(Batch::reference, Batch::purchasedQuantity,
                            Batch::allocatedQuantity, b -> b.eta().orElse(null))
                    .containsExactlyInAnyOrder(
                            org.assertj.core.groups.Tuple.tuple("warehouse", 10, 7, null),
                            org.assertj.core.groups.Tuple.tuple("ship", 20, 5, LocalDate.of(2031, 5, 17)));
            assertThat(lamp.lines()).containsExactly(new LineAllocation(new OrderLine("o2", "LAMP", 5), "ship", 4));
        }
        try (UnitOfWork uow = uows.begin()) {
            Product byBatch = uow.products().get(Need.batch("warehouse")).orElseThrow();
            assertThat(byBatch.lines()).extracting(a -> a.line().orderid()).containsExactly("o1");
        }
        assertThat(longs("SELECT version FROM products WHERE sku = 'LAMP'")).containsExactly(4L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void unknown_products_and_batches_are_empty(TestDatabase.Kind kind) {
        open(kind);
        try (UnitOfWork uow = uows.begin()) {
            assertThat(uow.products().get(Need.backorders("NOPE"))).isEmpty();
            assertThat(uow.products().get(Need.lineAndBackorders("NOPE", "o1"))).isEmpty();
            assertThat(uow.products().get(Need.batch("nope"))).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void closing_without_commit_rolls_back(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);

        try (UnitOfWork uow = uows.begin()) {
            Product lamp = uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow();
            lamp.allocate(new OrderLine("o1", "LAMP", 3));
            uow.products().add(Product.create("TABLE"));
        }

        assertThat(longs("SELECT COUNT(*) FROM order_lines")).containsExactly(0L);
        assertThat(longs("SELECT COUNT(*) FROM products")).containsExactly(1L);
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(0L);
        assertThat(longs("SELECT version FROM products")).containsExactly(1L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void commit_persists(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);

        inUow(uow -> {
            uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
            uow.commit();
        });

        assertThat(strings("SELECT orderid || ':' || qty || ':' || batchref FROM order_lines"))
                .containsExactly("o1:3:b-LAMP");
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(3L);
    }

    /** On H2, which takes no lock when it loads; on PostgreSQL the second waits for the first (below). */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.Kind.class, names = "H2")
    void a_stale_product_fails_to_commit_and_writes_nothing(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);

        try (UnitOfWork first = uows.begin(); UnitOfWork second = uows.begin()) {
            Product a = first.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow();
            Product b = second.products().get(Need.lineAndBackorders("LAMP", "o2")).orElseThrow();
            a.allocate(new OrderLine("o1", "LAMP", 3));
            b.allocate(new OrderLine("o2", "LAMP", 4));
            first.commit();

            assertThatThrownBy(second::commit).isInstanceOf(ConcurrencyConflict.class);
        }

        assertThat(strings("SELECT orderid FROM order_lines")).containsExactly("o1");
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(3L);
        assertThat(longs("SELECT version FROM products")).containsExactly(2L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void every_change_bumps_the_stored_version_by_one(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);
        assertThat(storedVersion()).isEqualTo(1);

        change(p -> p.allocate(new OrderLine("o1", "LAMP", 3)), "o1");
        assertThat(storedVersion()).isEqualTo(2);

        change(p -> p.allocate(new OrderLine("o1", "LAMP", 3)), "o1");
        assertThat(storedVersion()).as("allocating the same line again changes nothing").isEqualTo(2);

        inUow(uow -> {
            uow.products().get(Need.batch("b-LAMP")).orElseThrow().changeBatchQuantity("b-LAMP", 50);
            uow.commit();
        });
        assertThat(storedVersion()).isEqualTo(3);
        assertThat(longs("SELECT purchased_quantity FROM batches")).containsExactly(50L);

        inUow(uow -> {
            uow.products().get(Need.backorders("LAMP")).orElseThrow().addBatch(new Batch("b2", "LAMP", 5, null));
            uow.commit();
        });
        assertThat(storedVersion()).isEqualTo(4);

        change(p -> p.deallocate("o1"), "o1");
        assertThat(storedVersion()).isEqualTo(5);
        assertThat(longs("SELECT COUNT(*) FROM order_lines")).containsExactly(0L);
    }

    /**
     * On PostgreSQL a unit of work locks the products it loads: a second one loading the same product
     * waits for the first to end, then gets the product as the first committed it, and commits.
     */
    @Test
    void on_postgresql_a_second_unit_of_work_waits_for_the_first_and_loads_what_it_committed() throws Exception {
        open(TestDatabase.Kind.POSTGRES);
        createProduct("LAMP", 10);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (UnitOfWork first = uows.begin()) {
            first.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
            Future<Long> second = thread.submit(() -> {
                try (UnitOfWork uow = uows.begin()) {
                    Product lamp = uow.products().get(Need.lineAndBackorders("LAMP", "o2")).orElseThrow();
                    long loaded = lamp.version();
                    lamp.allocate(new OrderLine("o2", "LAMP", 4));
                    uow.commit();
                    return loaded;
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(db::hasSessionWaitingOnLock);
            assertThat(second).isNotDone();
            first.commit();

            assertThat(second.get(20, TimeUnit.SECONDS)).as("the version the second loaded").isEqualTo(2L);
        } finally {
            thread.shutdownNow();
        }
        assertThat(strings("SELECT orderid FROM order_lines ORDER BY orderid")).containsExactly("o1", "o2");
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(7L);
        assertThat(longs("SELECT version FROM products")).containsExactly(3L);
    }

    /**
     * A product that does not exist yet has no row to lock: of two units of work creating it, the
     * one that commits second finds it inserted (the compare-and-set of a new product) and writes nothing.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void of_two_units_of_work_creating_one_product_the_second_fails_to_commit_and_writes_nothing(
            TestDatabase.Kind kind) {
        open(kind);
        try (UnitOfWork first = uows.begin(); UnitOfWork second = uows.begin()) {
            assertThat(first.products().get(Need.backorders("LAMP"))).isEmpty();
            assertThat(second.products().get(Need.backorders("LAMP"))).isEmpty();
            for (var uow : List.of(first, second)) {
                Product lamp = Product.create("LAMP");
                uow.products().add(lamp);
                lamp.addBatch(new Batch(uow == first ? "b1" : "b2", "LAMP", 10, null));
            }
            first.commit();

            assertThatThrownBy(second::commit).isInstanceOf(ConcurrencyConflict.class);
        }
        assertThat(strings("SELECT reference FROM batches")).containsExactly("b1");
        assertThat(longs("SELECT version FROM products")).containsExactly(1L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void allocating_loads_only_the_line_it_needs_not_the_skus_history(TestDatabase.Kind kind) throws SQLException {
        open(kind);
        createProduct("LAMP", 1_000_000);
        int history = 10_000;
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("INSERT INTO order_lines "
                     + "(orderid, sku, qty, batchref, placed_version) VALUES (?, 'LAMP', 1, 'b-LAMP', 1)")) {
            for (int i = 0; i < history; i++) {
                st.setString(1, "old-" + i);
                st.addBatch();
            }
            st.executeBatch();
            try (PreparedStatement up = c.prepareStatement("UPDATE batches SET allocated_quantity = ?")) {
                up.setInt(1, history);
                up.executeUpdate();
            }
            c.commit();
        }

        try (UnitOfWork uow = uows.begin()) {
            Product lamp = uow.products().get(Need.lineAndBackorders("LAMP", "new")).orElseThrow();
            assertThat(lamp.lines()).isEmpty();
            assertThat(lamp.allocate(new OrderLine("new", "LAMP", 1))).contains("b-LAMP");
            uow.commit();
        }
        try (UnitOfWork uow = uows.begin()) {
            assertThat(uow.products().get(Need.lineAndBackorders("LAMP", "old-42")).orElseThrow().lines())
                    .extracting(a -> a.line().orderid()).containsExactly("old-42");
        }
        try (UnitOfWork uow = uows.begin()) {
            assertThat(uow.products().get(Need.backorders("LAMP")).orElseThrow().lines()).isEmpty();
        }
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(history + 1L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void backorders_round_trip_and_are_filled_by_new_stock(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);
        change(p -> p.allocate(new OrderLine("o1", "LAMP", 8)), "o1");

        inUow(uow -> {
            uow.products().get(Need.batch("b-LAMP")).orElseThrow().changeBatchQuantity("b-LAMP", 5);
            uow.commit();
        });
        assertThat(strings("SELECT orderid || ':' || COALESCE(batchref, 'none') FROM order_lines"))
                .containsExactly("o1:none");
        assertThat(longs("SELECT allocated_quantity FROM batches")).containsExactly(0L);

        try (UnitOfWork uow = uows.begin()) {
            Product lamp = uow.products().get(Need.backorders("LAMP")).orElseThrow();
            assertThat(lamp.line("o1")).map(LineAllocation::isBackorder).contains(true);
            assertThat(lamp.line("o1")).map(a -> a.line().qty()).contains(8);
            lamp.addBatch(new Batch("big", "LAMP", 100, null));
            uow.commit();
        }
        assertThat(strings("SELECT orderid || ':' || COALESCE(batchref, 'none') FROM order_lines"))
                .containsExactly("o1:big");
        try (UnitOfWork uow = uows.begin()) {
            assertThat(uow.products().get(Need.backorders("LAMP")).orElseThrow().lines()).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_batch_keeps_the_key_of_its_last_quantity_change_and_refuses_older_ones(TestDatabase.Kind kind) {
        open(kind);
        createProduct("LAMP", 10);
        try (UnitOfWork uow = uows.begin()) {
            assertThat(uow.products().get(Need.batch("b-LAMP")).orElseThrow().batch("b-LAMP").orElseThrow().lastChange())
                    .isEmpty();
        }
        ChangeKey big = new ChangeKey(1_700_000_000_123L, Long.MAX_VALUE);
        inUow(uow -> {
            assertThat(uow.products().get(Need.batch("b-LAMP")).orElseThrow().changeBatchQuantity("b-LAMP", 30, big))
                    .isTrue();
            uow.commit();
        });
        assertThat(longs("SELECT last_change_major FROM batches")).containsExactly(1_700_000_000_123L);
        assertThat(longs("SELECT last_change_minor FROM batches")).containsExactly(Long.MAX_VALUE);

        inUow(uow -> {
            Product lamp = uow.products().get(Need.batch("b-LAMP")).orElseThrow();
            assertThat(lamp.batch("b-LAMP").orElseThrow().lastChange()).contains(big);
            assertThat(lamp.changeBatchQuantity("b-LAMP", 5, new ChangeKey(1_700_000_000_123L, 7))).isFalse();
            lamp.changeBatchQuantity("b-LAMP", 40);
            uow.commit();
        });
        assertThat(longs("SELECT purchased_quantity FROM batches")).containsExactly(40L);
        assertThat(longs("SELECT last_change_major FROM batches"))
                .as("a change without a key leaves the key").containsExactly(1_700_000_000_123L);
    }

    private void createProduct(String sku, int qty) {
        inUow(uow -> {
            Product product = Product.create(sku);
            uow.products().add(product);
            product.addBatch(new Batch("b-" + sku, sku, qty, null));
            uow.commit();
        });
    }

    private void change(Consumer<Product> change, String orderid) {
        inUow(uow -> {
            change.accept(uow.products().get(Need.lineAndBackorders("LAMP", orderid)).orElseThrow());
            uow.commit();
        });
    }

    private void inUow(Consumer<UnitOfWork> work) {
        try (UnitOfWork uow = uows.begin()) {
            work.accept(uow);
        }
    }

    private long storedVersion() {
        return longs("SELECT version FROM products WHERE sku = 'LAMP'").getFirst();
    }

    private List<Long> longs(String sql) {
        return db.query(sql, rs -> rs.getLong(1));
    }

    private List<String> strings(String sql) {
        return db.query(sql, rs -> rs.getString(1));
    }
}

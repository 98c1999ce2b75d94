package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.FakeUnitOfWork;
import com.allocationservice.support.TestDatabase;
import java.time.LocalDate;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The unit tier's fake and the JDBC unit of work on both databases, held to one contract: what each
 * getter loads, what is thrown away without a commit, and the version compare-and-set. The fake
 * cannot drift from the real repository without this failing.
 */
class RepositoryContractTest {

    enum Store { FAKE, H2, POSTGRES }

    private TestDatabase db;

    @AfterEach
    void closeDatabase() {
        if (db != null) {
            db.close();
        }
    }

    private UnitOfWork.Factory open(Store store) {
        if (store == Store.FAKE) {
            return new FakeUnitOfWork();
        }
        db = TestDatabase.create(store == Store.H2 ? TestDatabase.Kind.H2 : TestDatabase.Kind.POSTGRES);
        return JdbcUnitOfWork.factory(db.dataSource());
    }

    /** LAMP: o1 on the warehouse batch, o2 on the ship, o3 taken off the shrunk ship and waiting for stock. */
    private static void stock(UnitOfWork.Factory uows) {
        try (UnitOfWork uow = uows.begin()) {
            Product lamp = Product.create("LAMP");
            uow.products().add(lamp);
            lamp.addBatch(new Batch("warehouse", "LAMP", 10, null));
            lamp.addBatch(new Batch("ship", "LAMP", 20, LocalDate.of(2031, 5, 17)));
            lamp.allocate(new OrderLine("o1", "LAMP", 10));
            lamp.allocate(new OrderLine("o2", "LAMP", 15));
            lamp.allocate(new OrderLine("o3", "LAMP", 3));
            lamp.changeBatchQuantity("ship", 17);
            assertThat(lamp.line("o3")).map(LineAllocation::isBackorder).contains(true);
            uow.commit();
        }
    }

    private static Product load(UnitOfWork.Factory uows, Function<UnitOfWork, Optional<Product>> getter) {
        try (UnitOfWork uow = uows.begin()) {
            return getter.apply(uow).orElseThrow();
        }
    }

    private static String orders(Product product) {
        return String.join(",", product.lines().stream().map(a -> a.line().orderid()).sorted().toList());
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void each_getter_loads_the_batches_the_backorders_and_only_the_lines_it_names(Store store) {
        UnitOfWork.Factory uows = open(store);
        stock(uows);

        assertThat(orders(load(uows, uow -> uow.products().get(Need.backorders("LAMP"))))).isEqualTo("o3");
        assertThat(orders(load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "o1"))))).isEqualTo("o1,o3");
        assertThat(orders(load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "o3"))))).isEqualTo("o3");
        assertThat(orders(load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "nobody"))))).isEqualTo("o3");
        assertThat(orders(load(uows, uow -> uow.products().get(Need.batch("ship"))))).isEqualTo("o2,o3");
        Product lamp = load(uows, uow -> uow.products().get(Need.batch("warehouse")));
        assertThat(orders(lamp)).isEqualTo("o1,o3");
        assertThat(lamp.batches()).extracting(Batch::reference, Batch::allocatedQuantity)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("warehouse", 10),
                        org.assertj.core.groups.Tuple.tuple("ship", 15));
        assertThat(lamp.line("o3")).map(LineAllocation::isBackorder).contains(true);
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void a_product_loaded_twice_in_one_unit_of_work_is_the_same_object(Store store) {
        UnitOfWork.Factory uows = open(store);
        stock(uows);
        try (UnitOfWork uow = uows.begin()) {
            Product first = uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow();
            assertThat(uow.products().get(Need.batch("ship"))).containsSame(first);
            assertThat(orders(first)).isEqualTo("o1,o3");
        }
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void what_a_unit_of_work_did_not_commit_is_thrown_away(Store store) {
        UnitOfWork.Factory uows = open(store);
        stock(uows);
        try (UnitOfWork uow = uows.begin()) {
            uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().deallocate("o1");
        }

        Product lamp = load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "o1")));
        assertThat(lamp.line("o1")).map(LineAllocation::batchref).contains("warehouse");
        assertThat(lamp.version()).isEqualTo(load(uows, uow -> uow.products().get(Need.backorders("LAMP"))).version());
    }

    @ParameterizedTest
    @EnumSource(Store.class)
    void lines_not_loaded_are_kept_when_a_product_is_saved(Store store) {
        UnitOfWork.Factory uows = open(store);
        stock(uows);
        try (UnitOfWork uow = uows.begin()) {
            uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().deallocate("o1");
            uow.commit();
        }

        assertThat(orders(load(uows, uow -> uow.products().get(Need.batch("ship"))))).isEqualTo("o2");
        assertThat(load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "o3"))).line("o3"))
                .map(LineAllocation::batchref).contains("warehouse");
    }

    /** On PostgreSQL the second waits for the first instead: JdbcUnitOfWorkContractTest. */
    @ParameterizedTest
    @EnumSource(value = Store.class, names = {"FAKE", "H2"})
    void the_second_of_two_units_of_work_changing_one_product_conflicts(Store store) {
        UnitOfWork.Factory uows = open(store);
        stock(uows);
        try (UnitOfWork first = uows.begin(); UnitOfWork second = uows.begin()) {
            first.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().deallocate("o1");
            second.products().get(Need.lineAndBackorders("LAMP", "o4")).orElseThrow().allocate(new OrderLine("o4", "LAMP", 1));
            first.commit();
            assertThatThrownBy(second::commit).isInstanceOf(ConcurrencyConflict.class);
        }
        assertThat(orders(load(uows, uow -> uow.products().get(Need.lineAndBackorders("LAMP", "o4"))))).doesNotContain("o4");
    }
}

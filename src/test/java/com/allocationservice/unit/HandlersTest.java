package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.Outcome;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.Product;
import com.allocationservice.service.Handlers;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.FakeUnitOfWork;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The book's chapter 5 and 9 handler tests, through the bus bootstrap builds, with fakes. */
class HandlersTest {

    private static final LocalDate TOMORROW = LocalDate.of(2026, 1, 11);

    private final FakeUnitOfWork uow = new FakeUnitOfWork();
    private final MessageBus bus = Bootstrap.bus(uow);

    @Nested
    class AddingABatch {

        @Test
        void for_a_new_product() {
            bus.handle(new CreateBatch("b1", "CRUNCHY-ARMCHAIR", 100, null));

            assertThat(uow.stored("CRUNCHY-ARMCHAIR")).isPresent();
            assertThat(batch("CRUNCHY-ARMCHAIR", "b1").purchasedQuantity()).isEqualTo(100);
            assertThat(uow.commits()).isEqualTo(1);
        }

        @Test
        void for_an_existing_product() {
            bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, null));
            bus.handle(new CreateBatch("b2", "GARISH-RUG", 99, TOMORROW));

            Product product = product("GARISH-RUG");
            assertThat(product.batches()).extracting(Batch::reference).containsExactly("b1", "b2");
            assertThat(product.batch("b2").orElseThrow().eta()).contains(TOMORROW);
            assertThat(product.version()).isEqualTo(2);
        }

        @Test
        void a_duplicate_reference_is_refused_and_nothing_changes() {
            bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, null));

            assertThatThrownBy(() -> bus.handle(new CreateBatch("b1", "GARISH-RUG", 5, null)))
                    .isInstanceOf(DomainException.DuplicateBatch.class)
                    .hasMessage("Batch b1 already exists");
            assertThat(product("GARISH-RUG").batches()).hasSize(1);
            assertThat(batch("GARISH-RUG", "b1").purchasedQuantity()).isEqualTo(100);
            assertThat(uow.commits()).isEqualTo(1);
        }

        @Test
        void the_same_batch_again_is_done_and_changes_nothing() {
            bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, TOMORROW));
            bus.handle(new Allocate("o1", "GARISH-RUG", 10));
            long version = product("GARISH-RUG").version();

            assertThat(bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, TOMORROW))).isEqualTo(Outcome.Done.DONE);

            assertThat(product("GARISH-RUG").batches()).hasSize(1);
            assertThat(batch("GARISH-RUG", "b1").allocatedQuantity()).isEqualTo(10);
            assertThat(product("GARISH-RUG").version()).isEqualTo(version);
        }

        @Test
        void the_same_fields_after_a_quantity_change_are_refused() {
            bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, null));
            bus.handle(new ChangeBatchQuantity("b1", 50));

            assertThatThrownBy(() -> bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, null)))
                    .isInstanceOf(DomainException.DuplicateBatch.class);
            assertThat(batch("GARISH-RUG", "b1").purchasedQuantity()).isEqualTo(50);
        }

        @Test
        void a_duplicate_reference_is_refused_even_for_another_sku() {
            bus.handle(new CreateBatch("b1", "GARISH-RUG", 100, null));

            assertThatThrownBy(() -> bus.handle(new CreateBatch("b1", "OTHER-RUG", 5, null)))
                    .isInstanceOf(DomainException.DuplicateBatch.class);
            assertThat(uow.stored("OTHER-RUG")).isEmpty();
        }
    }

    @Nested
    class Allocating {

        @Test
        void returns_the_batch_reference() {
            bus.handle(new CreateBatch("batch1", "COMPLICATED-LAMP", 100, null));

            Object result = bus.handle(new Allocate("o1", "COMPLICATED-LAMP", 10));

            assertThat(result).isEqualTo(new Outcome.Allocated("batch1"));
            assertThat(batch("COMPLICATED-LAMP", "batch1").availableQuantity()).isEqualTo(90);
        }

        @Test
        void commits() {
            bus.handle(new CreateBatch("b1", "OMINOUS-MIRROR", 100, null));
            int before = uow.commits();

            bus.handle(new Allocate("o1", "OMINOUS-MIRROR", 10));

            assertThat(uow.commits()).isEqualTo(before + 1);
        }

        @Test
        void errors_for_an_invalid_sku_with_the_contract_message() {
            bus.handle(new CreateBatch("b1", "AREALSKU", 100, null));
            int before = uow.commits();

            assertThatThrownBy(() -> bus.handle(new Allocate("o1", "NONEXISTENTSKU", 10)))
                    .isInstanceOf(DomainException.InvalidSku.class)
                    .hasMessage("Invalid sku NONEXISTENTSKU");
            assertThat(uow.commits()).isEqualTo(before);
        }

        @Test
        void the_same_line_again_returns_the_same_batch_and_changes_nothing() {
            bus.handle(new CreateBatch("b1", "LAMP", 3, null));
            bus.handle(new CreateBatch("b2", "LAMP", 100, TOMORROW));
            Object first = bus.handle(new Allocate("o1", "LAMP", 3));
            long version = product("LAMP").version();

            Object again = bus.handle(new Allocate("o1", "LAMP", 3));

            assertThat(again).isEqualTo(first).isEqualTo(new Outcome.Allocated("b1"));
            assertThat(batch("LAMP", "b2").allocatedQuantity()).isZero();
            assertThat(product("LAMP").version()).isEqualTo(version);
        }

        @Test
        void the_same_line_with_another_quantity_is_refused() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Allocate("o1", "LAMP", 3));

            assertThatThrownBy(() -> bus.handle(new Allocate("o1", "LAMP", 4)))
                    .isInstanceOf(DomainException.LineConflict.class);
            assertThat(batch("LAMP", "b1").allocatedQuantity()).isEqualTo(3);
        }

        @Test
        void one_order_may_have_a_line_for_each_sku() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new CreateBatch("b2", "CHAIR", 10, null));

            assertThat(bus.handle(new Allocate("o1", "LAMP", 3))).isEqualTo(new Outcome.Allocated("b1"));
            assertThat(bus.handle(new Allocate("o1", "CHAIR", 4))).isEqualTo(new Outcome.Allocated("b2"));
            assertThat(batch("LAMP", "b1").allocatedQuantity()).isEqualTo(3);
            assertThat(batch("CHAIR", "b2").allocatedQuantity()).isEqualTo(4);
        }

        @Test
        void out_of_stock_answers_out_of_stock_and_raises_out_of_stock() {
            bus.handle(new CreateBatch("b1", "POPULAR-CURTAINS", 9, null));

            Object result = bus.handle(new Allocate("o1", "POPULAR-CURTAINS", 10));

            assertThat(result).isEqualTo(new Outcome.OutOfStock("POPULAR-CURTAINS"));
            assertThat(uow.outbox()).containsExactly(new OutOfStock("POPULAR-CURTAINS"));
        }

        @Test
        void a_successful_allocation_raises_no_out_of_stock() {
            bus.handle(new CreateBatch("b1", "POPULAR-CURTAINS", 10, null));

            bus.handle(new Allocate("o1", "POPULAR-CURTAINS", 10));

            assertThat(uow.outbox()).noneMatch(OutOfStock.class::isInstance);
        }
    }

    @Nested
    class Deallocating {

        @Test
        void frees_the_quantity() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Allocate("o1", "LAMP", 4));

            bus.handle(new Deallocate("o1", "LAMP"));

            assertThat(batch("LAMP", "b1").availableQuantity()).isEqualTo(10);
            assertThat(product("LAMP").line("o1")).isEmpty();
        }

        @Test
        void an_unknown_line_is_refused() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Allocate("o1", "LAMP", 4));

            assertThatThrownBy(() -> bus.handle(new Deallocate("o2", "LAMP")))
                    .isInstanceOf(DomainException.UnknownLine.class);
            assertThatThrownBy(() -> bus.handle(new Deallocate("o1", "NO-SUCH-SKU")))
                    .isInstanceOf(DomainException.UnknownLine.class);
            assertThat(batch("LAMP", "b1").allocatedQuantity()).isEqualTo(4);
        }

        @Test
        void a_line_deallocated_already_is_refused_as_unknown() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Allocate("o1", "LAMP", 4));
            bus.handle(new Deallocate("o1", "LAMP"));
            int commits = uow.commits();

            assertThatThrownBy(() -> bus.handle(new Deallocate("o1", "LAMP")))
                    .isInstanceOf(DomainException.UnknownLine.class)
                    .hasMessage("No order line for order o1 and sku LAMP");
            assertThat(batch("LAMP", "b1").allocatedQuantity()).isZero();
            assertThat(uow.commits()).isEqualTo(commits);
        }

        @Test
        void gives_the_freed_stock_to_a_waiting_line() {
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Allocate("o1", "LAMP", 5));
            bus.handle(new Allocate("o2", "LAMP", 5));
            bus.handle(new ChangeBatchQuantity("b1", 5));

            bus.handle(new Deallocate("o1", "LAMP"));

            assertThat(product("LAMP").line("o2")).map(LineAllocation::batchref).contains("b1");
        }
    }

    @Nested
    class ChangingBatchQuantity {

        @Test
        void changes_the_available_quantity() {
            bus.handle(new CreateBatch("batch1", "ADORABLE-SETTEE", 100, null));

            bus.handle(new ChangeBatchQuantity("batch1", 50));

            assertThat(batch("ADORABLE-SETTEE", "batch1").availableQuantity()).isEqualTo(50);
            assertThat(product("ADORABLE-SETTEE").version()).isEqualTo(2);
        }

        @Test
        void reallocates_if_necessary_in_the_same_command() {
            bus.handle(new CreateBatch("batch1", "INDIFFERENT-TABLE", 50, null));
            bus.handle(new CreateBatch("batch2", "INDIFFERENT-TABLE", 50, TOMORROW));
            bus.handle(new Allocate("order1", "INDIFFERENT-TABLE", 20));
            bus.handle(new Allocate("order2", "INDIFFERENT-TABLE", 20));
            assertThat(batch("INDIFFERENT-TABLE", "batch1").availableQuantity()).isEqualTo(10);
            int commits = uow.commits();

            bus.handle(new ChangeBatchQuantity("batch1", 25));

            assertThat(batch("INDIFFERENT-TABLE", "batch1").availableQuantity()).isEqualTo(5);
            assertThat(batch("INDIFFERENT-TABLE", "batch2").availableQuantity()).isEqualTo(30);
            assertThat(product("INDIFFERENT-TABLE").line("order2")).map(LineAllocation::batchref).contains("batch2");
            assertThat(uow.commits()).isEqualTo(commits + 1);
        }

        @Test
        void a_line_that_fits_nowhere_is_kept_as_a_backorder_and_raises_out_of_stock() {
            bus.handle(new CreateBatch("batch1", "TABLE", 10, null));
            bus.handle(new Allocate("order1", "TABLE", 6));

            bus.handle(new ChangeBatchQuantity("batch1", 5));

            assertThat(product("TABLE").line("order1")).map(LineAllocation::isBackorder).contains(true);
            assertThat(uow.outbox()).contains(new OutOfStock("TABLE"));
        }

        @Test
        void a_change_sent_before_the_last_applied_is_reported_superseded_and_changes_nothing() {
            bus.handle(new CreateBatch("batch1", "TABLE", 10, null));
            assertThat(bus.handle(new ChangeBatchQuantity("batch1", 30, new ChangeKey(1_700_000_000_000L, 2))))
                    .isEqualTo(Outcome.Done.DONE);
            int commits = uow.commits();

            Object result = bus.handle(new ChangeBatchQuantity("batch1", 20, new ChangeKey(1_700_000_000_000L, 1)));

            assertThat(result).isEqualTo(new Outcome.Superseded("batch1", new ChangeKey(1_700_000_000_000L, 1),
                    new ChangeKey(1_700_000_000_000L, 2)));
            assertThat(batch("TABLE", "batch1").purchasedQuantity()).isEqualTo(30);
            assertThat(product("TABLE").version()).isEqualTo(2);
            assertThat(uow.commits()).as("committed, so a message id is recorded with it").isEqualTo(commits + 1);
        }

        @Test
        void the_last_change_sent_again_is_done_and_changes_nothing() {
            bus.handle(new CreateBatch("batch1", "TABLE", 10, null));
            bus.handle(new Allocate("order1", "TABLE", 8));
            assertThat(bus.handle(new ChangeBatchQuantity("batch1", 5, ChangeKey.of(3)))).isEqualTo(Outcome.Done.DONE);
            long version = product("TABLE").version();
            List<Event> outbox = uow.outbox();

            assertThat(bus.handle(new ChangeBatchQuantity("batch1", 5, ChangeKey.of(3)))).isEqualTo(Outcome.Done.DONE);

            assertThat(batch("TABLE", "batch1").purchasedQuantity()).isEqualTo(5);
            assertThat(product("TABLE").version()).isEqualTo(version);
            assertThat(uow.outbox()).as("no event twice").isEqualTo(outbox);
            assertThat(bus.handle(new ChangeBatchQuantity("batch1", 6, ChangeKey.of(3))))
                    .as("the same key with another quantity").isInstanceOf(Outcome.Superseded.class);
        }

        @Test
        void an_unknown_batch_is_refused() {
            assertThatThrownBy(() -> bus.handle(new ChangeBatchQuantity("nope", 5)))
                    .isInstanceOf(DomainException.UnknownBatch.class).hasMessage("Unknown batch nope");
        }
    }

    private Product product(String sku) {
        return uow.stored(sku).orElseThrow();
    }

    private Batch batch(String sku, String ref) {
        return product(sku).batch(ref).orElseThrow();
    }
}

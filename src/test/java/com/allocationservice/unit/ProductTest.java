package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.Deallocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.LineChange;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The book's chapter 1 and 7 product tests, plus the rules the book gets wrong (issue 2). */
class ProductTest {

    private static final String SKU = "RETRO-CLOCK";
    private static final LocalDate TODAY = LocalDate.of(2026, 1, 10);
    private static final LocalDate TOMORROW = TODAY.plusDays(1);
    private static final LocalDate LATER = TODAY.plusDays(10);

    @Nested
    class Allocating {

        @Test
        void allocating_to_a_batch_reduces_the_available_quantity() {
            Product product = product(new Batch("batch-001", SKU, 20, null));

            Optional<String> batchref = product.allocate(line("order-ref", 2));

            assertThat(batchref).contains("batch-001");
            assertThat(batch(product, "batch-001").availableQuantity()).isEqualTo(18);
            assertThat(batch(product, "batch-001").allocatedQuantity()).isEqualTo(2);
            assertThat(product.line("order-ref")).map(LineAllocation::batchref).contains("batch-001");
        }

        @Test
        void prefers_warehouse_batches_to_shipments() {
            Product product = product(new Batch("shipment-batch", SKU, 100, TOMORROW),
                    new Batch("in-stock-batch", SKU, 100, null));

            assertThat(product.allocate(line("oref", 10))).contains("in-stock-batch");
            assertThat(batch(product, "in-stock-batch").availableQuantity()).isEqualTo(90);
            assertThat(batch(product, "shipment-batch").availableQuantity()).isEqualTo(100);
        }

        @Test
        void prefers_earlier_batches() {
            Product product = product(new Batch("slow-batch", SKU, 100, LATER),
                    new Batch("normal-batch", SKU, 100, TOMORROW),
                    new Batch("speedy-batch", SKU, 100, TODAY));

            assertThat(product.allocate(line("order1", 10))).contains("speedy-batch");
            assertThat(batch(product, "speedy-batch").availableQuantity()).isEqualTo(90);
            assertThat(batch(product, "normal-batch").availableQuantity()).isEqualTo(100);
            assertThat(batch(product, "slow-batch").availableQuantity()).isEqualTo(100);
        }

        @Test
        void skips_a_preferred_batch_with_less_available_than_the_line_needs() {
            Product product = product(new Batch("in-stock-batch", SKU, 5, null),
                    new Batch("shipment-batch", SKU, 100, TOMORROW));

            assertThat(product.allocate(line("order1", 6))).contains("shipment-batch");
            assertThat(batch(product, "in-stock-batch").availableQuantity()).isEqualTo(5);
            assertThat(batch(product, "shipment-batch").availableQuantity()).isEqualTo(94);
        }

        @Test
        void a_line_may_take_exactly_what_is_available() {
            Product product = product(new Batch("b1", SKU, 10, null));

            assertThat(product.allocate(line("order1", 10))).contains("b1");
            assertThat(batch(product, "b1").availableQuantity()).isZero();
        }

        @Test
        void records_an_allocated_event() {
            Product product = product(new Batch("b1", SKU, 10, null));

            product.allocate(line("order1", 3));

            assertThat(product.takeEvents()).containsExactly(new Allocated("order1", SKU, 3, "b1"));
        }

        @Test
        void out_of_stock_raises_an_event_and_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 10));
            product.takeEvents();
            long version = product.version();

            Optional<String> batchref = product.allocate(line("order2", 1));

            assertThat(batchref).isEmpty();
            assertThat(product.takeEvents()).containsExactly(new OutOfStock(SKU));
            assertThat(product.version()).isEqualTo(version);
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(10);
            assertThat(product.line("order2")).isEmpty();
        }

        @Test
        void never_allocates_to_a_batch_with_less_available_than_the_line_needs() {
            Product product = product(new Batch("b1", SKU, 4, null), new Batch("b2", SKU, 4, TOMORROW));

            assertThat(product.allocate(line("order1", 5))).isEmpty();
            assertThat(product.batches()).allSatisfy(b -> assertThat(b.allocatedQuantity()).isZero());
        }

        @Test
        void a_line_of_another_sku_is_refused() {
            Product product = product(new Batch("b1", SKU, 10, null));
            long version = product.version();

            assertThatThrownBy(() -> product.allocate(new OrderLine("order1", "OTHER-SKU", 1)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(batch(product, "b1").allocatedQuantity()).isZero();
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void the_same_batch_again_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, TOMORROW));
            product.allocate(line("order1", 4));
            product.takeEvents();
            long version = product.version();

            product.addBatch(new Batch("b1", SKU, 10, TOMORROW));

            assertThat(product.batches()).hasSize(1);
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(4);
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void the_same_reference_with_another_quantity_or_eta_is_refused() {
            Product product = product(new Batch("b1", SKU, 10, TOMORROW));
            long version = product.version();

            assertThatThrownBy(() -> product.addBatch(new Batch("b1", SKU, 11, TOMORROW)))
                    .isInstanceOf(DomainException.DuplicateBatch.class).hasMessage("Batch b1 already exists");
            assertThatThrownBy(() -> product.addBatch(new Batch("b1", SKU, 10, LATER)))
                    .isInstanceOf(DomainException.DuplicateBatch.class);
            assertThatThrownBy(() -> product.addBatch(new Batch("b1", SKU, 10, null)))
                    .isInstanceOf(DomainException.DuplicateBatch.class);
            product.changeBatchQuantity("b1", 20);
            assertThatThrownBy(() -> product.addBatch(new Batch("b1", SKU, 10, TOMORROW)))
                    .as("the quantity compared is the purchased quantity now").isInstanceOf(DomainException.DuplicateBatch.class);
            assertThat(product.batches()).hasSize(1);
            assertThat(product.version()).isEqualTo(version + 1);
        }

        @Test
        void a_batch_of_another_sku_is_refused() {
            Product product = Product.create(SKU);

            assertThatThrownBy(() -> product.addBatch(new Batch("b1", "OTHER-SKU", 10, null)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(product.batches()).isEmpty();
            assertThat(product.version()).isZero();
        }
    }

    @Nested
    class AllocatingTheSameLineAgain {

        @Test
        void returns_the_batch_it_already_has_and_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("order1", 3));
            product.takeEvents();
            long version = product.version();

            Optional<String> again = product.allocate(line("order1", 3));

            assertThat(again).contains("b1");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(3);
            assertThat(batch(product, "b2").allocatedQuantity()).isZero();
            assertThat(product.takeEvents()).isEmpty();
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.lines()).hasSize(1);
        }

        @Test
        void does_not_land_in_a_second_batch_when_its_batch_is_full() {
            // The book's Product.allocate would put the line on b2 as well.
            Product product = product(new Batch("b1", SKU, 3, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("order1", 3));
            product.takeEvents();
            long version = product.version();

            assertThat(product.allocate(line("order1", 3))).contains("b1");
            assertThat(batch(product, "b2").allocatedQuantity()).isZero();
            assertThat(product.takeEvents()).isEmpty();
            assertThat(product.version()).isEqualTo(version);
        }

        @Test
        void recognises_a_line_placed_in_an_earlier_transaction() {
            Product stored = new Product(SKU, List.of(new Batch("b1", SKU, 10, null, 3)), 7,
                    List.of(new LineAllocation(line("order1", 3), "b1", 7)));

            assertThat(stored.allocate(line("order1", 3))).contains("b1");
            assertThat(batch(stored, "b1").allocatedQuantity()).isEqualTo(3);
            assertThat(stored.version()).isEqualTo(7);
            assertThat(stored.takeEvents()).isEmpty();
        }

        @Test
        void with_a_different_quantity_is_refused() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 3));
            product.takeEvents();
            long version = product.version();

            assertThatThrownBy(() -> product.allocate(line("order1", 4)))
                    .isInstanceOf(DomainException.LineConflict.class)
                    .hasMessageContaining("order1").hasMessageContaining("3").hasMessageContaining("4");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(3);
            assertThat(product.line("order1")).map(a -> a.line().qty()).contains(3);
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void a_backorder_asked_for_with_a_different_quantity_is_refused() {
            Product product = backorderedProduct();
            long version = product.version();

            assertThatThrownBy(() -> product.allocate(line("order2", 1)))
                    .isInstanceOf(DomainException.LineConflict.class);
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
            assertThat(product.version()).isEqualTo(version);
        }

        @Test
        void a_backorder_still_out_of_stock_stays_a_backorder_without_a_version_bump() {
            Product product = backorderedProduct();
            long version = product.version();

            assertThat(product.allocate(line("order2", 5))).isEmpty();
            assertThat(product.takeEvents()).containsExactly(new OutOfStock(SKU));
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
            assertThat(product.lines()).hasSize(2);
            assertThat(product.version()).isEqualTo(version);
        }

        /** b1 holds 10 with order1 (5) on it, and order2 (5) waiting. */
        private Product backorderedProduct() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 5));
            product.allocate(line("order2", 5));
            product.changeBatchQuantity("b1", 5);
            product.takeEvents();
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
            return product;
        }
    }

    @Nested
    class ChangingBatchQuantity {

        @Test
        void sets_the_purchased_quantity() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 3));

            product.changeBatchQuantity("b1", 25);

            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(25);
            assertThat(batch(product, "b1").availableQuantity()).isEqualTo(22);
        }

        @Test
        void takes_the_most_recently_placed_lines_off_first_and_reallocates_them_at_once() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("oldest", 3));
            product.allocate(line("middle", 3));
            product.allocate(line("newest", 3));
            product.takeEvents();

            product.changeBatchQuantity("b1", 7);

            assertThat(product.line("oldest")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.line("middle")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.line("newest")).map(LineAllocation::batchref).contains("b2");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(6);
            assertThat(batch(product, "b2").allocatedQuantity()).isEqualTo(3);
            assertThat(product.takeEvents()).containsExactly(
                    new Deallocated("newest", SKU, 3),
                    new Allocated("newest", SKU, 3, "b2"));
        }

        @Test
        void takes_off_as_many_lines_as_it_takes_newest_first() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("first", 2));
            product.allocate(line("second", 2));
            product.allocate(line("third", 2));
            product.allocate(line("fourth", 2));
            product.takeEvents();

            product.changeBatchQuantity("b1", 3);

            assertThat(product.line("first")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.line("second")).map(LineAllocation::batchref).contains("b2");
            assertThat(product.line("third")).map(LineAllocation::batchref).contains("b2");
            assertThat(product.line("fourth")).map(LineAllocation::batchref).contains("b2");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(2);
            assertThat(product.takeEvents()).filteredOn(Deallocated.class::isInstance)
                    .extracting(e -> ((Deallocated) e).orderid()).containsExactly("fourth", "third", "second");
        }

        @Test
        void lines_placed_at_the_same_version_leave_highest_orderid_first() {
            Product stored = new Product(SKU,
                    List.of(new Batch("b1", SKU, 10, null, 6), new Batch("b2", SKU, 10, TOMORROW)), 4,
                    List.of(new LineAllocation(line("order-a", 2), "b1", 3),
                            new LineAllocation(line("order-c", 2), "b1", 3),
                            new LineAllocation(line("order-b", 2), "b1", 3)));

            stored.changeBatchQuantity("b1", 5);

            assertThat(stored.line("order-c")).map(LineAllocation::batchref).contains("b2");
            assertThat(stored.line("order-a")).map(LineAllocation::batchref).contains("b1");
            assertThat(stored.line("order-b")).map(LineAllocation::batchref).contains("b1");
        }

        @Test
        void a_line_that_fits_nowhere_stays_as_a_visible_backorder_and_raises_out_of_stock() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 2, TOMORROW));
            product.allocate(line("order1", 5));
            product.allocate(line("order2", 5));
            product.takeEvents();

            product.changeBatchQuantity("b1", 5);

            LineAllocation waiting = product.line("order2").orElseThrow();
            assertThat(waiting.isBackorder()).isTrue();
            assertThat(waiting.batch()).isEmpty();
            assertThat(waiting.line()).isEqualTo(line("order2", 5));
            assertThat(product.lines()).extracting(a -> a.line().orderid()).containsExactlyInAnyOrder("order1", "order2");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(5);
            assertThat(batch(product, "b2").allocatedQuantity()).isZero();
            assertThat(product.takeEvents()).containsExactly(new Deallocated("order2", SKU, 5), new OutOfStock(SKU));
        }

        @Test
        void shrinking_to_zero_backorders_every_line_it_held_and_drops_none() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 4));
            product.allocate(line("order2", 4));

            product.changeBatchQuantity("b1", 0);

            assertThat(product.lines()).hasSize(2).allSatisfy(a -> assertThat(a.isBackorder()).isTrue());
            assertThat(batch(product, "b1").allocatedQuantity()).isZero();
        }

        @Test
        void lines_that_still_fit_are_not_touched() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("order1", 5));
            product.takeEvents();

            product.changeBatchQuantity("b1", 5);

            assertThat(product.line("order1")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void bumps_the_version_exactly_once_even_when_it_moves_many_lines() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, TOMORROW));
            product.allocate(line("order1", 3));
            product.allocate(line("order2", 3));
            product.allocate(line("order3", 3));
            long version = product.version();

            product.changeBatchQuantity("b1", 0);

            assertThat(product.version()).isEqualTo(version + 1);
        }

        @Test
        void bumps_the_version_even_when_no_line_moves() {
            // The book's change_batch_quantity does not bump it at all.
            Product product = product(new Batch("b1", SKU, 10, null));
            long version = product.version();

            product.changeBatchQuantity("b1", 20);

            assertThat(product.version()).isEqualTo(version + 1);
        }

        @Test
        void an_unknown_batch_is_refused_and_nothing_changes() {
            Product product = product(new Batch("b1", SKU, 10, null));
            long version = product.version();

            assertThatThrownBy(() -> product.changeBatchQuantity("nope", 3))
                    .isInstanceOf(DomainException.UnknownBatch.class).hasMessageContaining("nope");
            assertThat(product.version()).isEqualTo(version);
        }

        @Test
        void a_negative_quantity_is_refused_and_nothing_changes() {
            Product product = product(new Batch("b1", SKU, 10, null));
            long version = product.version();

            assertThatThrownBy(() -> product.changeBatchQuantity("b1", -1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(10);
            assertThat(product.version()).isEqualTo(version);
        }
    }

    @Nested
    class ChangingBatchQuantityInSendingOrder {

        @Test
        void a_change_sent_later_is_applied_and_its_key_kept() {
            Product product = product(new Batch("b1", SKU, 10, null));

            assertThat(product.changeBatchQuantity("b1", 20, new ChangeKey(5, 0))).isTrue();
            assertThat(product.changeBatchQuantity("b1", 30, new ChangeKey(5, 1))).isTrue();

            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(30);
            assertThat(batch(product, "b1").lastChange()).contains(new ChangeKey(5, 1));
            assertThat(product.version()).isEqualTo(3);
        }

        @Test
        void a_change_sent_earlier_than_the_last_applied_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 8));
            product.changeBatchQuantity("b1", 30, new ChangeKey(7, 0));
            product.takeEvents();
            long version = product.version();

            assertThat(product.changeBatchQuantity("b1", 5, new ChangeKey(6, 99))).isFalse();

            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(30);
            assertThat(batch(product, "b1").lastChange()).contains(new ChangeKey(7, 0));
            assertThat(product.line("order1")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void the_same_key_again_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.changeBatchQuantity("b1", 30, new ChangeKey(7, 2));

            assertThat(product.changeBatchQuantity("b1", 40, new ChangeKey(7, 2))).isFalse();
            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(30);
        }

        @Test
        void the_last_change_sent_again_with_its_quantity_is_done_and_changes_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 8));
            product.changeBatchQuantity("b1", 5, new ChangeKey(7, 2));
            product.takeEvents();
            long version = product.version();

            assertThat(product.changeBatchQuantity("b1", 5, new ChangeKey(7, 2))).as("a retry is done").isTrue();

            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(5);
            assertThat(product.line("order1")).map(LineAllocation::isBackorder).contains(true);
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
            assertThat(product.changeBatchQuantity("b1", 5, new ChangeKey(7, 1))).as("an older one is not").isFalse();
        }

        @Test
        void keys_compare_as_number_pairs_not_as_text() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.changeBatchQuantity("b1", 30, new ChangeKey(7, 10));

            assertThat(product.changeBatchQuantity("b1", 40, new ChangeKey(7, 9))).isFalse();
            assertThat(product.changeBatchQuantity("b1", 50, new ChangeKey(10, 0))).isTrue();
            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(50);
        }

        @Test
        void a_change_without_a_key_is_always_applied_and_keeps_the_key() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.changeBatchQuantity("b1", 30, new ChangeKey(7, 0));

            assertThat(product.changeBatchQuantity("b1", 12, null)).isTrue();

            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(12);
            assertThat(batch(product, "b1").lastChange()).contains(new ChangeKey(7, 0));
            assertThat(product.changeBatchQuantity("b1", 1, new ChangeKey(6, 0))).isFalse();
        }

        @Test
        void each_batch_has_its_own_order() {
            Product product = product(new Batch("b1", SKU, 10, null), new Batch("b2", SKU, 10, null));
            product.changeBatchQuantity("b1", 30, new ChangeKey(7, 0));

            assertThat(product.changeBatchQuantity("b2", 40, new ChangeKey(1, 0))).isTrue();
            assertThat(batch(product, "b2").purchasedQuantity()).isEqualTo(40);
        }

        @Test
        void a_key_kept_in_storage_still_refuses_older_changes() {
            Product product = product(new Batch("b1", SKU, 10, null, 0, new ChangeKey(9, 0)));

            assertThat(product.changeBatchQuantity("b1", 40, new ChangeKey(8, 0))).isFalse();
            assertThat(batch(product, "b1").purchasedQuantity()).isEqualTo(10);
        }

        @Test
        void a_key_is_two_non_negative_numbers() {
            assertThatThrownBy(() -> new ChangeKey(-1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new ChangeKey(0, -1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class FillingBackorders {

        @Test
        void when_a_batch_is_added() {
            Product product = productWithBackorders();
            long version = product.version();

            product.addBatch(new Batch("b2", SKU, 10, TOMORROW));

            assertThat(product.line("order2")).map(LineAllocation::batchref).contains("b2");
            assertThat(product.line("order3")).map(LineAllocation::batchref).contains("b2");
            assertThat(batch(product, "b2").allocatedQuantity()).isEqualTo(10);
            assertThat(product.version()).isEqualTo(version + 1);
            assertThat(product.takeEvents()).containsExactly(
                    new Allocated("order3", SKU, 5, "b2"), new Allocated("order2", SKU, 5, "b2"));
        }

        @Test
        void longest_waiting_backorder_first_when_there_is_not_room_for_all() {
            Product product = productWithBackorders();

            product.addBatch(new Batch("b2", SKU, 5, TOMORROW));

            assertThat(product.line("order3")).map(LineAllocation::batchref).contains("b2");
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
        }

        @Test
        void when_a_line_is_deallocated() {
            Product product = productWithBackorders();

            product.deallocate("order1");

            assertThat(product.line("order1")).isEmpty();
            assertThat(product.line("order3")).map(LineAllocation::batchref).contains("b1");
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
            assertThat(product.takeEvents()).containsExactly(
                    new Deallocated("order1", SKU, 5), new Allocated("order3", SKU, 5, "b1"));
        }

        @Test
        void when_a_batch_quantity_grows() {
            Product product = productWithBackorders();
            long version = product.version();

            product.changeBatchQuantity("b1", 15);

            assertThat(product.lines()).noneMatch(LineAllocation::isBackorder);
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(15);
            assertThat(product.version()).isEqualTo(version + 1);
        }

        @Test
        void backorders_loaded_from_storage_are_filled_too() {
            Product stored = new Product(SKU, List.of(), 3,
                    List.of(LineAllocation.backorder(line("order9", 4), 2)));

            stored.addBatch(new Batch("b1", SKU, 4, null));

            assertThat(stored.line("order9")).map(LineAllocation::batchref).contains("b1");
            assertThat(stored.takeEvents()).containsExactly(new Allocated("order9", SKU, 4, "b1"));
        }

        /**
         * b1 holds 5 with order1 on it; order3 waits since the first cut, order2 since the second, so
         * order3 is the longest waiting.
         */
        private Product productWithBackorders() {
            Product product = product(new Batch("b1", SKU, 15, null));
            product.allocate(line("order1", 5));
            product.allocate(line("order2", 5));
            product.allocate(line("order3", 5));
            product.changeBatchQuantity("b1", 10);
            product.changeBatchQuantity("b1", 5);
            product.takeEvents();
            assertThat(product.line("order2")).map(LineAllocation::isBackorder).contains(true);
            assertThat(product.line("order3")).map(LineAllocation::isBackorder).contains(true);
            return product;
        }
    }

    @Nested
    class Deallocating {

        @Test
        void frees_the_quantity_and_raises_deallocated() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 4));
            product.takeEvents();
            long version = product.version();

            product.deallocate("order1");

            assertThat(batch(product, "b1").availableQuantity()).isEqualTo(10);
            assertThat(product.line("order1")).isEmpty();
            assertThat(product.takeEvents()).containsExactly(new Deallocated("order1", SKU, 4));
            assertThat(product.version()).isEqualTo(version + 1);
        }

        @Test
        void a_backorder_can_be_cancelled() {
            Product product = product(new Batch("b1", SKU, 4, null));
            product.allocate(line("order1", 4));
            product.changeBatchQuantity("b1", 0);
            product.takeEvents();

            product.deallocate("order1");

            assertThat(product.lines()).isEmpty();
            assertThat(product.takeEvents()).containsExactly(new Deallocated("order1", SKU, 4));
        }

        @Test
        void an_unknown_line_is_refused_and_nothing_changes() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 4));
            product.takeEvents();
            long version = product.version();

            assertThatThrownBy(() -> product.deallocate("order2"))
                    .isInstanceOf(DomainException.UnknownLine.class).hasMessageContaining("order2");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(4);
            assertThat(product.version()).isEqualTo(version);
            assertThat(product.takeEvents()).isEmpty();
        }

        @Test
        void the_line_can_be_allocated_again_afterwards() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 4));
            product.deallocate("order1");

            assertThat(product.allocate(line("order1", 6))).contains("b1");
            assertThat(batch(product, "b1").allocatedQuantity()).isEqualTo(6);
        }
    }

    @Nested
    class Versions {

        @Test
        void a_new_product_starts_at_version_zero() {
            assertThat(Product.create(SKU).version()).isZero();
        }

        @Test
        void every_change_bumps_the_version_exactly_once() {
            Product product = Product.create(SKU);
            product.addBatch(new Batch("b1", SKU, 10, null));
            assertThat(product.version()).isEqualTo(1);
            product.allocate(line("order1", 4));
            assertThat(product.version()).isEqualTo(2);
            product.changeBatchQuantity("b1", 8);
            assertThat(product.version()).isEqualTo(3);
            product.deallocate("order1");
            assertThat(product.version()).isEqualTo(4);
        }

        @Test
        void each_event_keeps_the_version_of_the_change_that_raised_it_until_taken() {
            Product product = product(new Batch("b1", SKU, 5, null));
            long start = product.version();
            product.allocate(line("order1", 4));
            product.allocate(line("order2", 4));
            product.changeBatchQuantity("b1", 3);

            assertThat(product.pendingEvents()).hasSize(4);
            assertThat(product.raised()).extracting(Product.Raised::version).containsExactly(start + 1, start + 1, start + 2, start + 2);
            product.takeEvents();
            assertThat(product.raised()).isEmpty();
        }

        @Test
        void restoring_a_snapshot_undoes_every_change_since_it_was_taken() {
            Product product = product(new Batch("b1", SKU, 5, null), new Batch("b2", SKU, 5, LocalDate.of(2031, 1, 1)));
            product.allocate(line("order1", 4));
            Product.Snapshot snapshot = product.snapshot();
            String before = describe(product);

            product.allocate(line("order2", 3));
            product.changeBatchQuantity("b1", 1);
            product.deallocate("order1");
            product.restore(snapshot);

            assertThat(describe(product)).isEqualTo(before);
            product.changeBatchQuantity("b2", 0);
            product.restore(snapshot);
            assertThat(describe(product)).as("a snapshot can be restored more than once").isEqualTo(before);
        }

        private static String describe(Product product) {
            return product.version() + " " + product.batches().stream()
                    .map(b -> b.reference() + " " + b.purchasedQuantity() + "/" + b.allocatedQuantity()).toList()
                    + " " + product.lines() + " " + product.raised();
        }

        @Test
        void refused_or_idle_requests_bump_nothing() {
            Product product = product(new Batch("b1", SKU, 10, null));
            product.allocate(line("order1", 10));
            long version = product.version();

            product.allocate(line("order2", 1));
            product.allocate(line("order1", 10));
            assertThatThrownBy(() -> product.addBatch(new Batch("b1", SKU, 5, null)))
                    .isInstanceOf(DomainException.DuplicateBatch.class);
            assertThatThrownBy(() -> product.deallocate("order3")).isInstanceOf(DomainException.UnknownLine.class);

            assertThat(product.version()).isEqualTo(version);
            assertThat(product.batches()).hasSize(1);
        }

        @Test
        void a_stored_product_keeps_counting_from_its_stored_version() {
            Product stored = new Product(SKU, List.of(new Batch("b1", SKU, 10, null)), 41, List.of());

            stored.allocate(line("order1", 1));

            assertThat(stored.version()).isEqualTo(42);
        }
    }

    @Test
    void events_are_taken_once_in_the_order_they_happened() {
        Product product = product(new Batch("b1", SKU, 10, null));
        product.allocate(line("order1", 10));
        product.allocate(line("order2", 1));

        List<Event> events = product.takeEvents();

        assertThat(events).containsExactly(new Allocated("order1", SKU, 10, "b1"), new OutOfStock(SKU));
        assertThat(product.takeEvents()).isEmpty();
    }

    @Nested
    class LineHistory {

        @Test
        void records_what_happened_to_each_line_in_order_with_the_batch_it_is_on_after() {
            Product product = product(new Batch("warehouse", SKU, 10, null), new Batch("ship", SKU, 4, TOMORROW));
            product.allocate(line("o1", 6));
            product.allocate(line("o2", 4));

            product.changeBatchQuantity("warehouse", 4);
            product.addBatch(new Batch("more", SKU, 6, null));
            product.deallocate("o1");

            assertThat(product.lineChanges()).containsExactly(
                    new LineChange(LineChange.Kind.ALLOCATED, "o1", SKU, "warehouse"),
                    new LineChange(LineChange.Kind.ALLOCATED, "o2", SKU, "warehouse"),
                    new LineChange(LineChange.Kind.MOVED, "o2", SKU, "ship"),
                    new LineChange(LineChange.Kind.BACKORDERED, "o1", SKU, null),
                    new LineChange(LineChange.Kind.PLACED, "o1", SKU, "more"),
                    new LineChange(LineChange.Kind.DEALLOCATED, "o1", SKU, null));
        }

        @Test
        void a_line_already_placed_or_out_of_stock_records_nothing() {
            Product product = product(new Batch("warehouse", SKU, 5, null));
            product.allocate(line("o1", 5));

            product.allocate(line("o1", 5));
            product.allocate(line("o2", 1));

            assertThat(product.lineChanges()).containsExactly(
                    new LineChange(LineChange.Kind.ALLOCATED, "o1", SKU, "warehouse"));
        }

        @Test
        void restoring_a_snapshot_takes_back_the_changes_since() {
            Product product = product(new Batch("warehouse", SKU, 10, null));
            product.allocate(line("o1", 2));
            Product.Snapshot before = product.snapshot();

            product.allocate(line("o2", 2));
            assertThat(product.lineChangesSince(before.lineChanges()))
                    .containsExactly(new LineChange(LineChange.Kind.ALLOCATED, "o2", SKU, "warehouse"));
            product.restore(before);

            assertThat(product.lineChanges()).containsExactly(
                    new LineChange(LineChange.Kind.ALLOCATED, "o1", SKU, "warehouse"));
        }
    }

    private static Product product(Batch... batches) {
        Product product = Product.create(SKU);
        for (Batch batch : batches) {
            product.addBatch(batch);
        }
        product.takeEvents();
        return product;
    }

    private static Batch batch(Product product, String reference) {
        return product.batch(reference).orElseThrow();
    }

    private static OrderLine line(String orderid, int qty) {
        return new OrderLine(orderid, SKU, qty);
    }
}

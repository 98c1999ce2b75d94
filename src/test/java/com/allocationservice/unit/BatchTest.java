package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.OrderLine;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The book's chapter 1 batch tests. Placing a line is the product's job, so these go through what a batch shows. */
class BatchTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 1, 10);

    @Test
    void available_quantity_is_purchased_minus_allocated() {
        Batch batch = new Batch("batch-001", "SMALL-TABLE", 20, null, 2);

        assertThat(batch.purchasedQuantity()).isEqualTo(20);
        assertThat(batch.allocatedQuantity()).isEqualTo(2);
        assertThat(batch.availableQuantity()).isEqualTo(18);
    }

    @Test
    void a_new_batch_has_nothing_allocated() {
        Batch batch = new Batch("batch-001", "SMALL-TABLE", 20, null);

        assertThat(batch.allocatedQuantity()).isZero();
        assertThat(batch.availableQuantity()).isEqualTo(20);
    }

    @Test
    void can_allocate_if_available_greater_than_required() {
        assertThat(new Batch("b", "ELEGANT-LAMP", 20, null).canAllocate(line("ELEGANT-LAMP", 2))).isTrue();
    }

    @Test
    void can_allocate_if_available_equal_to_required() {
        assertThat(new Batch("b", "ELEGANT-LAMP", 2, null).canAllocate(line("ELEGANT-LAMP", 2))).isTrue();
    }

    @Test
    void cannot_allocate_if_available_smaller_than_required() {
        assertThat(new Batch("b", "ELEGANT-LAMP", 1, null).canAllocate(line("ELEGANT-LAMP", 2))).isFalse();
        assertThat(new Batch("b", "ELEGANT-LAMP", 10, null, 9).canAllocate(line("ELEGANT-LAMP", 2))).isFalse();
    }

    @Test
    void cannot_allocate_if_skus_do_not_match() {
        assertThat(new Batch("b", "UNCOMFORTABLE-CHAIR", 100, null).canAllocate(line("EXPENSIVE-TOASTER", 10)))
                .isFalse();
    }

    @Test
    void negative_quantities_are_refused() {
        assertThatThrownBy(() -> new Batch("b", "LAMP", -1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Batch("b", "LAMP", 1, null, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void an_order_line_needs_a_positive_quantity() {
        assertThatThrownBy(() -> new OrderLine("o1", "LAMP", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OrderLine("o1", "LAMP", -3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void order_lines_are_values() {
        assertThat(new OrderLine("o1", "LAMP", 3)).isEqualTo(new OrderLine("o1", "LAMP", 3));
    }

    @Test
    void batches_are_identified_by_their_reference() {
        assertThat(new Batch("b1", "LAMP", 10, null)).isEqualTo(new Batch("b1", "CHAIR", 3, TODAY))
                .hasSameHashCodeAs(new Batch("b1", "CHAIR", 3, TODAY));
        assertThat(new Batch("b1", "LAMP", 10, null)).isNotEqualTo(new Batch("b2", "LAMP", 10, null));
    }

    @Test
    void the_same_batch_again_has_the_same_reference_sku_purchased_quantity_and_eta() {
        Batch batch = new Batch("b1", "LAMP", 10, TODAY, 4);

        assertThat(batch.sameFieldsAs(new Batch("b1", "LAMP", 10, TODAY))).as("whatever is allocated").isTrue();
        assertThat(batch.sameFieldsAs(new Batch("b2", "LAMP", 10, TODAY))).isFalse();
        assertThat(batch.sameFieldsAs(new Batch("b1", "CHAIR", 10, TODAY))).isFalse();
        assertThat(batch.sameFieldsAs(new Batch("b1", "LAMP", 11, TODAY))).isFalse();
        assertThat(batch.sameFieldsAs(new Batch("b1", "LAMP", 10, TODAY.plusDays(1)))).isFalse();
        assertThat(batch.sameFieldsAs(new Batch("b1", "LAMP", 10, null))).isFalse();
        assertThat(new Batch("b1", "LAMP", 10, null).sameFieldsAs(new Batch("b1", "LAMP", 10, null))).isTrue();
    }

    @Test
    void the_last_change_is_its_key_with_the_quantity_it_set() {
        Batch batch = new Batch("b1", "LAMP", 10, null, 0, new ChangeKey(7, 2));

        assertThat(batch.isLastChange(new ChangeKey(7, 2), 10)).isTrue();
        assertThat(batch.isLastChange(new ChangeKey(7, 2), 11)).isFalse();
        assertThat(batch.isLastChange(new ChangeKey(7, 1), 10)).isFalse();
        assertThat(batch.isLastChange(null, 10)).isFalse();
        assertThat(new Batch("b1", "LAMP", 10, null).isLastChange(null, 10)).as("no key: none was applied").isFalse();
        assertThat(new Batch("b1", "LAMP", 10, null).isLastChange(new ChangeKey(7, 2), 10)).isFalse();
    }

    @Test
    void allocation_order_puts_warehouse_stock_first_then_earliest_eta() {
        Batch later = new Batch("later", "LAMP", 10, TODAY.plusDays(10));
        Batch warehouse = new Batch("warehouse", "LAMP", 10, null);
        Batch tomorrow = new Batch("tomorrow", "LAMP", 10, TODAY.plusDays(1));
        List<Batch> batches = new ArrayList<>(List.of(later, tomorrow, warehouse));

        batches.sort(Batch.ALLOCATION_ORDER);

        assertThat(batches).extracting(Batch::reference).containsExactly("warehouse", "tomorrow", "later");
    }

    @Test
    void allocation_order_breaks_ties_by_reference_so_it_is_total() {
        Batch b = new Batch("b", "LAMP", 10, TODAY);
        Batch a = new Batch("a", "LAMP", 10, TODAY);

        assertThat(Batch.ALLOCATION_ORDER.compare(a, b)).isNegative();
        assertThat(Batch.ALLOCATION_ORDER.compare(b, a)).isPositive();
    }

    private static OrderLine line(String sku, int qty) {
        return new OrderLine("order-123", sku, qty);
    }
}

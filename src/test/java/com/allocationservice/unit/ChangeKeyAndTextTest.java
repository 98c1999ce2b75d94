package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Change keys' bounds, the texts logs show, and events that stay until taken. */
class ChangeKeyAndTextTest {

    @Test
    void a_change_key_is_two_non_negative_numbers() {
        assertThat(new ChangeKey(0, 0)).isEqualTo(ChangeKey.of(0));
        assertThat(ChangeKey.of(7)).isEqualTo(new ChangeKey(7, 0));
        assertThatThrownBy(() -> new ChangeKey(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChangeKey(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ChangeKey(1700, 3)).hasToString("1700-3");
    }

    @Test
    void a_batch_reads_as_its_reference_sku_stock_and_eta() {
        assertThat(new Batch("b1", "LAMP", 10, null)).hasToString("Batch[b1, LAMP, 0/10, warehouse]");
        assertThat(new Batch("b2", "LAMP", 5, LocalDate.of(2031, 12, 24))).hasToString("Batch[b2, LAMP, 0/5, eta 2031-12-24]");
    }

    @Test
    void pending_events_stay_until_taken() {
        Product product = new Product("LAMP", List.of(new Batch("b1", "LAMP", 10, null)), 1, List.of());
        product.allocate(new OrderLine("o1", "LAMP", 2));

        List<Event> pending = product.pendingEvents();
        assertThat(pending).isNotEmpty();
        assertThat(product.pendingEvents()).isEqualTo(pending);
        assertThat(product.takeEvents()).isEqualTo(pending);
        assertThat(product.pendingEvents()).isEmpty();
    }
}

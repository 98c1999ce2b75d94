package com.allocationservice.unit;

import com.allocationservice.domain.Outcome;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.FakeUnitOfWork;
import org.junit.jupiter.api.Test;

class MessageIdTest {

    private final FakeUnitOfWork uow = new FakeUnitOfWork();
    private final MessageBus bus = Bootstrap.bus(uow);

    @Test
    void a_message_id_seen_before_does_nothing() {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        int commits = uow.commits();

        Object first = bus.handle(new ChangeBatchQuantity("b1", 5), "m1");
        Object again = bus.handle(new ChangeBatchQuantity("b1", 7), "m1");

        assertThat(first).as("handled").isEqualTo(Optional.of(Outcome.Done.DONE));
        assertThat(again).as("a duplicate").isEqualTo(Optional.empty());
        assertThat(uow.commits()).isEqualTo(commits + 1);
        assertThat(uow.stored("LAMP").orElseThrow().batch("b1").orElseThrow().purchasedQuantity())
                .isEqualTo(5);
    }

    @Test
    void a_message_whose_command_fails_is_not_recorded() {
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));

        assertThatThrownBy(() -> bus.handle(new ChangeBatchQuantity("nope", 5), "m1"))
                .isInstanceOf(DomainException.UnknownBatch.class);

        assertThat(uow.handledMessages()).isEmpty();
        assertThat(bus.handle(new ChangeBatchQuantity("b1", 5), "m1")).as("handled").isPresent();
        assertThat(uow.handledMessages()).containsExactly("m1");
    }
}

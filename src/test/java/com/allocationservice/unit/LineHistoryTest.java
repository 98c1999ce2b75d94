package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.LineChange;
import com.allocationservice.domain.LineChange.Kind;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.Source;
import com.allocationservice.support.FakeUnitOfWork;
import com.allocationservice.support.StubRoutes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bus turns each kept command's line changes into history, naming the command and where it came from. */
class LineHistoryTest {

    private final FakeUnitOfWork store = new FakeUnitOfWork();
    private final MessageBus bus = Bootstrap.bus(store);

    @Test
    void each_change_names_the_command_that_caused_it_and_its_source() {
        bus.handle(new CreateBatch("W", "LAMP", 10, null), Source.http("purchasing"));
        Allocate allocate = new Allocate("o1", "LAMP", 6);
        bus.handle(allocate, Source.http("shop"));
        ChangeBatchQuantity shrink = new ChangeBatchQuantity("W", 2, new ChangeKey(1700000000000L, 3));
        bus.handle(shrink, "change_batch_quantity:1700000000000-3", Source.stream("1700000000000-3"));

        assertThat(store.history()).containsExactly(
                new LineHistory(new LineChange(Kind.ALLOCATED, "o1", "LAMP", "W"), allocate, Source.http("shop")),
                new LineHistory(new LineChange(Kind.BACKORDERED, "o1", "LAMP", null), shrink,
                        Source.stream("1700000000000-3")));
    }

    @Test
    void a_command_whose_handler_does_not_commit_leaves_no_history() {
        bus.handle(new CreateBatch("W", "LAMP", 10, null));
        Need lamp = Need.line("LAMP", "o1");
        MessageBus uncommitted = new MessageBus(store, StubRoutes.to(command -> List.of(lamp), (command, uow) -> {
            uow.products().get(lamp).orElseThrow().allocate(new OrderLine("o1", "LAMP", 1));
            return new Outcome.Allocated("W");
        }), MessageBus.RetryPolicy.DEFAULT);

        uncommitted.handle(new Allocate("o1", "LAMP", 1), Source.http("shop"));

        assertThat(store.history()).isEmpty();
    }
}

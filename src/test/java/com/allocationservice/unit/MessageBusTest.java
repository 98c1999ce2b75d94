package com.allocationservice.unit;

import com.allocationservice.support.StubRoutes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Outcome;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.Backoff;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.MessageBus.RetryPolicy;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.FakeUnitOfWork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bus's own rules, with stub handlers: what reaches the caller, what is retried, what is counted. */
class MessageBusTest {

    private static final RetryPolicy QUICK = new RetryPolicy(4, new Backoff(Duration.ZERO, Duration.ZERO, true));
    private static final Allocate ALLOCATE = new Allocate("o1", "LAMP", 1);
    private static final Outcome.Allocated ON_B1 = new Outcome.Allocated("b1");
    private static final Need LAMP = Need.lineAndBackorders("LAMP", "o0");

    private final FakeSharedStore unitOfWorks = lampStore();

    @Test
    void returns_what_the_command_handler_returns() {
        MessageBus bus = new MessageBus(unitOfWorks, StubRoutes.to((command, uow) -> ON_B1), QUICK);

        assertThat(bus.handle(ALLOCATE)).isEqualTo(ON_B1);
    }

    @Test
    void a_failing_command_reaches_the_caller_untouched_and_is_not_retried() {
        AtomicInteger attempts = new AtomicInteger();
        DomainException.InvalidSku failure = new DomainException.InvalidSku("LAMP");
        MessageBus bus = new MessageBus(unitOfWorks, StubRoutes.to((command, uow) -> {
            attempts.incrementAndGet();
            throw failure;
        }), QUICK);

        assertThatThrownBy(() -> bus.handle(ALLOCATE)).isSameAs(failure);
        assertThat(attempts).hasValue(1);
        assertThat(bus.commandRetries()).isZero();
        assertThat(unitOfWorks.closed()).isEqualTo(unitOfWorks.begun());
    }

    @Test
    void a_concurrency_conflict_is_retried_with_a_fresh_unit_of_work_and_succeeds() {
        List<UnitOfWork> used = new ArrayList<>();
        MessageBus bus = new MessageBus(unitOfWorks, StubRoutes.to((command, uow) -> {
            used.add(uow);
            if (used.size() < 3) {
                throw new ConcurrencyConflict("lost the race");
            }
            return ON_B1;
        }), QUICK);

        assertThat(bus.handle(ALLOCATE)).isEqualTo(ON_B1);
        assertThat(used).hasSize(3).doesNotHaveDuplicates();
        assertThat(bus.commandRetries()).isEqualTo(2);
        assertThat(unitOfWorks.closed()).isEqualTo(unitOfWorks.begun());
    }

    @Test
    void a_concurrency_conflict_reaches_the_caller_after_the_bounded_number_of_attempts() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(unitOfWorks, StubRoutes.to((command, uow) -> {
            attempts.incrementAndGet();
            throw new ConcurrencyConflict("lost the race");
        }), QUICK);

        assertThatThrownBy(() -> bus.handle(ALLOCATE)).isInstanceOf(ConcurrencyConflict.class);
        assertThat(attempts).hasValue(QUICK.commandAttempts());
        assertThat(bus.commandRetries()).isEqualTo(QUICK.commandAttempts() - 1);
    }

    @Test
    void the_default_policy_retries_conflicts_a_bounded_number_of_times() {
        assertThat(RetryPolicy.DEFAULT.commandAttempts()).isBetween(2, 50);
        assertThatThrownBy(() -> new RetryPolicy(0, QUICK.backoff())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_handler_may_read_only_what_its_command_declared() {
        MessageBus bus = new MessageBus(unitOfWorks, StubRoutes.to(command -> List.of(Need.line("LAMP", "o1")),
                (command, uow) -> {
                    uow.products().get(LAMP);
                    return ON_B1;
                }), QUICK);

        assertThatThrownBy(() -> bus.handle(ALLOCATE)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("asked for " + LAMP);
    }

    @Test
    void only_the_events_of_the_attempt_that_was_kept_are_committed() {
        FakeUnitOfWork store = new FakeUnitOfWork();
        Bootstrap.bus(store).handle(new CreateBatch("b1", "LAMP", 10, null));
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(store, StubRoutes.to(command -> List.of(LAMP), (command, uow) -> {
            Product lamp = uow.products().get(LAMP).orElseThrow();
            lamp.allocate(new OrderLine("o" + attempts.incrementAndGet(), "LAMP", 1));
            uow.commit();
            if (attempts.get() == 1) {
                throw new ConcurrencyConflict("lost the race");
            }
            return ON_B1;
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(store.outbox()).containsExactly(new Allocated("o2", "LAMP", 1, "b1"));
    }

    @Test
    void the_events_a_command_raised_are_committed_with_it_in_order() {
        FakeUnitOfWork store = new FakeUnitOfWork();
        Bootstrap.bus(store).handle(new CreateBatch("b1", "LAMP", 1, null));
        MessageBus bus = new MessageBus(store, StubRoutes.to(command -> List.of(LAMP), (command, uow) -> {
            Product lamp = uow.products().get(LAMP).orElseThrow();
            lamp.allocate(new OrderLine("o1", "LAMP", 1));
            lamp.allocate(new OrderLine("o2", "LAMP", 1));
            uow.commit();
            return ON_B1;
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(store.outbox()).containsExactly(new Allocated("o1", "LAMP", 1, "b1"), new OutOfStock("LAMP"));
    }

    @Test
    void a_handler_that_does_not_commit_leaves_no_events() {
        FakeUnitOfWork store = new FakeUnitOfWork();
        Bootstrap.bus(store).handle(new CreateBatch("b1", "LAMP", 1, null));
        MessageBus bus = new MessageBus(store, StubRoutes.to(command -> List.of(LAMP), (command, uow) -> {
            uow.products().get(LAMP).orElseThrow().allocate(new OrderLine("o1", "LAMP", 1));
            return ON_B1;
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(store.outbox()).isEmpty();
        assertThat(store.stored("LAMP").orElseThrow().lines()).isEmpty();
    }

    /** A store holding LAMP: batch b1 of 10, line o0 of 2 on it. */
    private static FakeSharedStore lampStore() {
        FakeSharedStore store = new FakeSharedStore();
        MessageBus bus = Bootstrap.bus(store);
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        bus.handle(new Allocate("o0", "LAMP", 2));
        return store;
    }
}

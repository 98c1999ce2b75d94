package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.Deallocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.MessageBus.EventHandler;
import com.allocationservice.service.MessageBus.RetryPolicy;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.FakeUnitOfWork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The bus's own rules, with stub handlers: what reaches the caller, what is retried, what is counted. */
class MessageBusTest {

    private static final RetryPolicy QUICK = new RetryPolicy(4, 3, Duration.ZERO);
    private static final Command ALLOCATE = new Allocate("o1", "LAMP", 1);

    private final FakeSharedStore unitOfWorks = lampStore();
    private final List<Event> handled = new ArrayList<>();

    @Test
    void returns_what_the_command_handler_returns() {
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> "batch-1", event -> List.of(), QUICK);

        assertThat(bus.handle(ALLOCATE)).isEqualTo("batch-1");
    }

    @Test
    void a_failing_command_reaches_the_caller_untouched_and_is_not_retried() {
        AtomicInteger attempts = new AtomicInteger();
        DomainException.InvalidSku failure = new DomainException.InvalidSku("LAMP");
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            attempts.incrementAndGet();
            throw failure;
        }, event -> List.of(), QUICK);

        assertThatThrownBy(() -> bus.handle(ALLOCATE)).isSameAs(failure);
        assertThat(attempts).hasValue(1);
        assertThat(bus.commandRetries()).isZero();
        assertThat(unitOfWorks.closed()).isEqualTo(unitOfWorks.begun());
    }

    @Test
    void a_concurrency_conflict_is_retried_with_a_fresh_unit_of_work_and_succeeds() {
        List<UnitOfWork> used = new ArrayList<>();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            used.add(uow);
            if (used.size() < 3) {
                throw new ConcurrencyConflict("lost the race");
            }
            return "batch-1";
        }, event -> List.of(), QUICK);

        assertThat(bus.handle(ALLOCATE)).isEqualTo("batch-1");
        assertThat(used).hasSize(3).doesNotHaveDuplicates();
        assertThat(bus.commandRetries()).isEqualTo(2);
        assertThat(unitOfWorks.closed()).isEqualTo(unitOfWorks.begun());
    }

    @Test
    void a_concurrency_conflict_reaches_the_caller_after_the_bounded_number_of_attempts() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            attempts.incrementAndGet();
            throw new ConcurrencyConflict("lost the race");
        }, event -> List.of(), QUICK);

        assertThatThrownBy(() -> bus.handle(ALLOCATE)).isInstanceOf(ConcurrencyConflict.class);
        assertThat(attempts).hasValue(QUICK.commandAttempts());
        assertThat(bus.commandRetries()).isEqualTo(QUICK.commandAttempts() - 1);
    }

    @Test
    void the_default_policy_retries_conflicts_a_bounded_number_of_times() {
        assertThat(RetryPolicy.DEFAULT.commandAttempts()).isBetween(2, 50);
        assertThat(RetryPolicy.DEFAULT.eventAttempts()).isBetween(2, 10);
        assertThatThrownBy(() -> new RetryPolicy(0, 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void only_the_events_of_the_attempt_that_succeeded_are_handled() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            int attempt = attempts.incrementAndGet();
            raise(uow, new Allocated("o1", "LAMP", 1, "b1"));
            if (attempt == 1) {
                throw new ConcurrencyConflict("lost the race");
            }
            return null;
        }, this::recordAll, QUICK);

        bus.handle(ALLOCATE);

        assertThat(handled).containsExactly(new Allocated("o1", "LAMP", 1, "b1"));
    }

    @Test
    void the_events_a_command_raised_are_handled_in_order_each_in_its_own_unit_of_work() {
        List<UnitOfWork> used = new ArrayList<>();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            used.add(uow);
            raise(uow, new Allocated("o1", "LAMP", 1, "b1"));
            raise(uow, new OutOfStock("LAMP"));
            return null;
        }, event -> List.of((e, uow) -> {
            used.add(uow);
            handled.add(e);
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(handled).containsExactly(new Allocated("o1", "LAMP", 1, "b1"), new OutOfStock("LAMP"));
        assertThat(used).hasSize(3).doesNotHaveDuplicates();
        assertThat(unitOfWorks.closed()).isEqualTo(unitOfWorks.begun());
    }

    @Test
    void events_raised_by_event_handlers_are_handled_too_after_those_already_waiting() {
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            raise(uow, new Allocated("o1", "LAMP", 1, "b1"));
            raise(uow, new Deallocated("o0", "LAMP", 2));
            return null;
        }, event -> List.of((e, uow) -> {
            handled.add(e);
            if (e instanceof Allocated) {
                raise(uow, new OutOfStock("LAMP"));
            }
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(handled).containsExactly(new Allocated("o1", "LAMP", 1, "b1"), new Deallocated("o0", "LAMP", 2),
                new OutOfStock("LAMP"));
    }

    @Test
    void a_failing_event_handler_is_retried_a_bounded_number_of_times_counted_and_never_reaches_the_caller() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            raise(uow, new OutOfStock("LAMP"));
            return "result";
        }, event -> List.of((e, uow) -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("mail server down");
        }), QUICK);

        assertThat(bus.handle(ALLOCATE)).isEqualTo("result");
        assertThat(attempts).hasValue(QUICK.eventAttempts());
        assertThat(bus.failedEventHandlings()).isEqualTo(1);

        bus.handle(ALLOCATE);
        assertThat(bus.failedEventHandlings()).isEqualTo(2);
    }

    @Test
    void an_event_handler_that_recovers_on_a_retry_is_not_counted_as_failed() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            raise(uow, new OutOfStock("LAMP"));
            return null;
        }, event -> List.of((e, uow) -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("blip");
            }
            handled.add(e);
        }), QUICK);

        bus.handle(ALLOCATE);

        assertThat(attempts).hasValue(2);
        assertThat(handled).containsExactly(new OutOfStock("LAMP"));
        assertThat(bus.failedEventHandlings()).isZero();
    }

    @Test
    void a_failing_event_handler_does_not_stop_the_other_handlers_or_later_events() {
        EventHandler failing = (e, uow) -> {
            throw new IllegalStateException("broken");
        };
        MessageBus bus = new MessageBus(unitOfWorks, (command, uow) -> {
            raise(uow, new OutOfStock("LAMP"));
            raise(uow, new Deallocated("o0", "LAMP", 2));
            return null;
        }, event -> List.of(failing, (e, uow) -> handled.add(e)), QUICK);

        bus.handle(ALLOCATE);

        assertThat(handled).containsExactly(new OutOfStock("LAMP"), new Deallocated("o0", "LAMP", 2));
        assertThat(bus.failedEventHandlings()).isEqualTo(2);
    }

    @Test
    void a_failing_event_handler_does_not_fail_the_allocation_in_the_bootstrapped_bus() {
        FakeUnitOfWork uow = new FakeUnitOfWork();
        AtomicInteger attempts = new AtomicInteger();
        MessageBus bus = Bootstrap.bus(uow, event -> List.of((e, unitOfWork) -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("handler down");
        }));
        bus.handle(new CreateBatch("b1", "LAMP", 1, null));

        assertThat(bus.handle(new Allocate("o1", "LAMP", 2))).isEqualTo(Optional.empty());
        assertThat(attempts).hasValue(RetryPolicy.DEFAULT.eventAttempts());
        assertThat(bus.failedEventHandlings()).isEqualTo(1);
    }

    private List<EventHandler> recordAll(Event event) {
        return List.of((e, uow) -> handled.add(e));
    }

    /**
     * Raises the event the way handlers do, through the product (LAMP: batch b1 of 10, line o0 of 2 on
     * it): an allocation of o1, an allocation beyond the stock, or freeing o0; then commits, as a
     * handler must for what it did to count.
     */
    private static void raise(UnitOfWork uow, Event event) {
        Product lamp = uow.products().get(Need.lineAndBackorders("LAMP", "o0")).orElseThrow();
        switch (event) {
            case Allocated e -> lamp.allocate(new OrderLine(e.orderid(), "LAMP", e.qty()));
            case OutOfStock e -> lamp.allocate(new OrderLine("too-many", "LAMP", 100));
            case Deallocated e -> lamp.deallocate(e.orderid());
        }
        uow.commit();
    }

    /** A store holding LAMP as {@link #raise} needs it. */
    private static FakeSharedStore lampStore() {
        FakeSharedStore store = new FakeSharedStore();
        MessageBus bus = Bootstrap.bus(store);
        bus.handle(new CreateBatch("b1", "LAMP", 10, null));
        bus.handle(new Allocate("o0", "LAMP", 2));
        return store;
    }
}

package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.MessageBus.RetryPolicy;
import com.allocationservice.service.Handlers;
import com.allocationservice.support.FakeUnitOfWork;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The retry policy's bounds and the back-off between attempts: half the ceiling plus a random part of the rest. */
class MessageBusBackoffTest {

    private static final Duration BACKOFF = Duration.ofMillis(200);
    private static final CreateBatch COMMAND = new CreateBatch("b1", "LAMP", 10, null);

    @Test
    void a_retry_policy_needs_at_least_one_attempt_of_each_kind() {
        assertThat(new RetryPolicy(1, 1, Duration.ZERO).commandAttempts()).isEqualTo(1);
        assertThatThrownBy(() -> new RetryPolicy(0, 1, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryPolicy(1, 0, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_command_retried_once_waits_between_one_and_two_backoffs() {
        AtomicInteger calls = new AtomicInteger();
        MessageBus bus = new MessageBus(new FakeUnitOfWork(), (command, uow) -> {
            if (calls.incrementAndGet() == 1) {
                throw new ConcurrencyConflict("lost the race");
            }
            return "done";
        }, event -> List.of(), new RetryPolicy(2, 1, BACKOFF));

        long start = System.nanoTime();
        assertThat(bus.handle(COMMAND)).isEqualTo("done");
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(calls).hasValue(2);
        assertThat(bus.commandRetries()).isEqualTo(1);
        assertThat(took).isBetween(BACKOFF, BACKOFF.multipliedBy(3));
    }

    @Test
    void an_event_handler_retried_once_waits_between_one_and_two_backoffs() {
        FakeUnitOfWork store = new FakeUnitOfWork();
        Bootstrap.bus(store).handle(new CreateBatch("b1", "LAMP", 1, null));
        AtomicInteger calls = new AtomicInteger();
        MessageBus bus = new MessageBus(store, (command, uow) -> Handlers.allocate((Allocate) command, uow),
                Handlers::needs, event -> List.of((e, uow) -> {
                    if (calls.incrementAndGet() == 1) {
                        throw new IllegalStateException("smtp down");
                    }
                }), new RetryPolicy(1, 2, BACKOFF));

        long start = System.nanoTime();
        assertThat(bus.handle(new Allocate("o1", "LAMP", 5))).isEqualTo(Optional.empty());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(calls).hasValue(2);
        assertThat(bus.failedEventHandlings()).isZero();
        assertThat(took).isBetween(BACKOFF, BACKOFF.multipliedBy(3));
    }
}

package com.allocationservice.unit;

import com.allocationservice.domain.Outcome;
import com.allocationservice.support.StubRoutes;

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
    void a_retry_policy_needs_at_least_one_attempt() {
        assertThat(new RetryPolicy(1, Duration.ZERO).commandAttempts()).isEqualTo(1);
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_command_retried_once_waits_between_one_and_two_backoffs() {
        AtomicInteger calls = new AtomicInteger();
        MessageBus bus = new MessageBus(new FakeUnitOfWork(), StubRoutes.to((command, uow) -> {
            if (calls.incrementAndGet() == 1) {
                throw new ConcurrencyConflict("lost the race");
            }
            return Outcome.Done.DONE;
        }), new RetryPolicy(2, BACKOFF));

        long start = System.nanoTime();
        assertThat(bus.handle(COMMAND)).isEqualTo(Outcome.Done.DONE);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(calls).hasValue(2);
        assertThat(bus.commandRetries()).isEqualTo(1);
        assertThat(took).isBetween(BACKOFF, BACKOFF.multipliedBy(3));
    }
}

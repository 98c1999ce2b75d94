package com.allocationservice.unit;

import com.allocationservice.domain.Outcome;
import com.allocationservice.support.StubRoutes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.Backoff;
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

    private static final Duration FIRST = Duration.ofMillis(400);
    private static final Backoff NONE = new Backoff(Duration.ZERO, Duration.ZERO, true);
    private static final CreateBatch COMMAND = new CreateBatch("b1", "LAMP", 10, null);

    @Test
    void a_retry_policy_needs_at_least_one_attempt() {
        assertThat(new RetryPolicy(1, NONE).commandAttempts()).isEqualTo(1);
        assertThatThrownBy(() -> new RetryPolicy(0, NONE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_command_retried_once_waits_between_half_and_all_of_the_first_backoff() {
        AtomicInteger calls = new AtomicInteger();
        MessageBus bus = new MessageBus(new FakeUnitOfWork(), StubRoutes.to((command, uow) -> {
            if (calls.incrementAndGet() == 1) {
                throw new ConcurrencyConflict("lost the race");
            }
            return Outcome.Done.DONE;
        }), new RetryPolicy(2, new Backoff(FIRST, FIRST.multipliedBy(64), true)));

        long start = System.nanoTime();
        assertThat(bus.handle(COMMAND)).isEqualTo(Outcome.Done.DONE);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(calls).hasValue(2);
        assertThat(bus.commandRetries()).isEqualTo(1);
        assertThat(took).isBetween(FIRST.dividedBy(2), FIRST.multipliedBy(3).dividedBy(2));
    }
}

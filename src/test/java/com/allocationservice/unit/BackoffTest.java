package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.service.Backoff;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BackoffTest {

    private static final Backoff RELAY = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), false);

    @Test
    void the_pause_starts_at_first_and_doubles_with_each_attempt_up_to_max() {
        assertThat(RELAY.delay(0)).isEqualTo(Duration.ofMillis(100));
        assertThat(RELAY.delay(1)).isEqualTo(Duration.ofMillis(200));
        assertThat(RELAY.delay(5)).isEqualTo(Duration.ofMillis(3200));
        assertThat(RELAY.delay(6)).isEqualTo(Duration.ofSeconds(5));
        assertThat(RELAY.delay(7)).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void a_pause_that_reaches_max_exactly_is_max() {
        Backoff bus = new Backoff(Duration.ofMillis(2), Duration.ofMillis(128), false);
        assertThat(bus.delay(5)).isEqualTo(Duration.ofMillis(64));
        assertThat(bus.delay(6)).isEqualTo(Duration.ofMillis(128));
        assertThat(bus.delay(7)).isEqualTo(Duration.ofMillis(128));
    }

    @Test
    void any_number_of_attempts_gives_max_without_overflowing() {
        assertThat(RELAY.delay(40)).isEqualTo(Duration.ofSeconds(5));
        assertThat(RELAY.delay(63)).isEqualTo(Duration.ofSeconds(5));
        assertThat(RELAY.delay(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(5));
        assertThat(new Backoff(Duration.ofNanos(1), Duration.ofDays(365 * 200), false).delay(62))
                .isEqualTo(Duration.ofNanos(1L << 62));
    }

    @Test
    void a_zero_backoff_never_pauses() {
        Backoff none = new Backoff(Duration.ZERO, Duration.ofSeconds(1), true);
        assertThat(none.delay(0)).isZero();
        assertThat(none.delay(100)).isZero();
    }

    @Test
    void jittered_the_pause_is_half_the_ceiling_plus_a_random_part_of_the_rest() {
        // the bus's back-off: 2 ms times 2 to the attempt, at most 64 times
        Backoff bus = new Backoff(Duration.ofMillis(2), Duration.ofMillis(128), true);
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Duration pause = bus.delay(1);
            assertThat(pause).isGreaterThanOrEqualTo(Duration.ofMillis(2)).isLessThan(Duration.ofMillis(4));
            seen.add(pause);
            assertThat(bus.delay(9)).isGreaterThanOrEqualTo(Duration.ofMillis(64)).isLessThan(Duration.ofMillis(128));
        }
        assertThat(seen).hasSizeGreaterThan(100);
    }

    @Test
    void a_jittered_pause_of_one_nanosecond_or_less_is_zero() {
        assertThat(new Backoff(Duration.ofNanos(1), Duration.ofNanos(1), true).delay(0)).isZero();
    }

    @Test
    void first_must_not_be_negative_nor_above_max_and_attempts_not_negative() {
        assertThat(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(1), false).delay(3)).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> new Backoff(Duration.ofMillis(-1), Duration.ofSeconds(1), false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT2S").hasMessageContaining("PT1S");
        assertThatThrownBy(() -> RELAY.delay(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> new Backoff(null, Duration.ofSeconds(1), false)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, null, false)).isInstanceOf(NullPointerException.class);
    }
}

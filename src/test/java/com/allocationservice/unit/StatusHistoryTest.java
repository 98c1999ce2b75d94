package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.allocationservice.bootstrap.StatusHistory;
import com.allocationservice.support.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The charts' samples: rates and per-interval percentiles from known inputs, gaps, and the ring wrapping after an hour. */
class StatusHistoryTest {

    private static final Instant START = Instant.parse("2026-12-06T10:00:00Z");

    private final TestClock clock = new TestClock(START);
    private final AtomicReference<Supplier<Map<String, Object>>> figures = new AtomicReference<>(Map::of);
    private final StatusHistory history = new StatusHistory(clock, Duration.ofSeconds(10), "host-a (pid 1)",
            () -> figures.get().get());

    private void allocate(int status, double millis) {
        history.answered("POST", "/allocate", "/allocate", status, millis, null);
    }

    private void sampleAfter(Duration interval) {
        clock.advance(interval);
        history.sample();
    }

    @SuppressWarnings("unchecked")
    private List<Object> series(String name) {
        return (List<Object>) history.json().get(name);
    }

    @Test
    void rates_are_answers_per_second_of_the_interval_that_ended_with_the_sample() {
        for (int i = 0; i < 30; i++) {
            allocate(202, 2);
        }
        for (int i = 0; i < 5; i++) {
            allocate(409, 2);
        }
        history.answered("GET", "/allocations/{orderid}", "/allocations/o1", 200, 2, null);
        history.answered("POST", "/add_batch", "/add_batch", 201, 2, null);
        allocate(400, 2);
        sampleAfter(Duration.ofSeconds(10));
        allocate(202, 2);
        sampleAfter(Duration.ofSeconds(4));
        sampleAfter(Duration.ofSeconds(10));

        assertThat(series("allocations_per_second")).containsExactly(3.0, 0.25, 0.0);
        assertThat(series("out_of_stock_per_second")).containsExactly(0.5, 0.0, 0.0);
        assertThat(series("time")).containsExactly(START.getEpochSecond() + 10, START.getEpochSecond() + 14,
                START.getEpochSecond() + 24);
        assertThat(history.json()).containsEntry("instance", "host-a (pid 1)").containsEntry("interval_seconds", 10L)
                .containsEntry("capacity", 360);
    }

    @Test
    void percentiles_are_of_each_interval_within_ten_percent_above_and_null_when_nothing_was_answered() {
        for (int ms = 1; ms <= 100; ms++) {
            allocate(202, ms);
        }
        sampleAfter(Duration.ofSeconds(10));
        // a slow interval after a fast one: its percentiles are its own, not those since start
        for (int i = 0; i < 100; i++) {
            allocate(202, 300);
        }
        sampleAfter(Duration.ofSeconds(10));
        sampleAfter(Duration.ofSeconds(10));

        List<Object> p50 = series("allocate_p50_ms");
        List<Object> p99 = series("allocate_p99_ms");
        assertThat((Double) p50.get(0)).isBetween(50.0, 55.0);
        assertThat((Double) p99.get(0)).isBetween(99.0, 108.9);
        assertThat((Double) p50.get(1)).isBetween(300.0, 330.0);
        assertThat((Double) p99.get(1)).isBetween(300.0, 330.0);
        assertThat(p50.get(2)).isNull();
        assertThat(p99.get(2)).isNull();
    }

    @Test
    void a_latency_is_counted_in_the_bucket_whose_bound_is_at_or_just_above_it() {
        for (double ms : new double[] {0.01, 0.1, 0.5, 7.3, 42, 999, 30_000}) {
            allocate(202, ms);
            sampleAfter(Duration.ofSeconds(10));
            double p50 = (Double) series("allocate_p50_ms").getLast();
            assertThat(p50).as("%s ms", ms).isGreaterThanOrEqualTo(Math.max(ms, 0.1) - 0.005)
                    .isLessThanOrEqualTo(Math.max(ms, 0.1) * 1.1 + 0.005);
        }
    }

    @Test
    void the_figures_read_at_each_sample_are_kept_and_one_that_could_not_be_read_is_a_gap() {
        Map<String, Object> status = new HashMap<>();
        status.put("outbox_backlog", 12L);
        status.put("outbox_parked", 1L);
        status.put("stream_lag", 3L);
        status.put("dead_letters", 2L);
        figures.set(() -> status);
        sampleAfter(Duration.ofSeconds(10));
        status.put("outbox_backlog", null);   // the database did not answer in time
        status.put("stream_lag", null);
        sampleAfter(Duration.ofSeconds(10));
        figures.set(() -> {
            throw new IllegalStateException("Redis and the database both gone");
        });
        allocate(202, 5);
        sampleAfter(Duration.ofSeconds(10));

        assertThat(series("outbox_backlog")).containsExactly(12L, null, null);
        assertThat(series("outbox_parked")).containsExactly(1L, 1L, null);
        assertThat(series("stream_lag")).containsExactly(3L, null, null);
        assertThat(series("dead_letters")).containsExactly(2L, 2L, null);
        assertThat(series("allocations_per_second")).as("the sample is still taken").containsExactly(0.0, 0.0, 0.1);
    }

    @Test
    void after_an_hour_the_ring_wraps_keeping_the_last_360_samples_oldest_first() {
        for (int i = 1; i <= StatusHistory.CAPACITY + 5; i++) {
            for (int j = 0; j < i; j++) {
                allocate(202, 1);
            }
            sampleAfter(Duration.ofSeconds(10));
        }

        List<Object> time = series("time");
        List<Object> rates = series("allocations_per_second");
        assertThat(time).hasSize(StatusHistory.CAPACITY);
        assertThat(rates).hasSize(StatusHistory.CAPACITY);
        assertThat(time.getFirst()).isEqualTo(START.getEpochSecond() + 6 * 10);
        assertThat(time.getLast()).isEqualTo(START.getEpochSecond() + (StatusHistory.CAPACITY + 5) * 10L);
        assertThat((Double) rates.getFirst()).isCloseTo(0.6, within(1e-9));
        assertThat((Double) rates.getLast()).isCloseTo(36.5, within(1e-9));
        for (int i = 1; i < time.size(); i++) {
            assertThat((Long) time.get(i)).isGreaterThan((Long) time.get(i - 1));
        }
    }
}

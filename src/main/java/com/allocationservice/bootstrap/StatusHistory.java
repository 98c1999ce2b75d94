package com.allocationservice.bootstrap;

import com.allocationservice.entrypoints.RequestObserver;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * What {@code GET /status/history} answers, for the page's live charts: this instance's last
 * {@value #CAPACITY} samples (an hour at the default interval of 10 s), in a ring of fixed size. Each
 * sample holds, for the interval that ended with it, the allocations and out-of-stock answers of
 * {@code POST /allocate} per second and the median and 99th percentile of its latency; and, read
 * at that moment, the outbox backlog and parked rows, the stream's lag and the dead letters.
 *
 * <p>The percentiles are of each interval, not since start: {@code POST /allocate}'s latencies are
 * counted in {@value #BUCKETS} buckets growing by 10 % each (from 0.1 ms to about 2 minutes), and a
 * sample takes the difference of the counts since the previous sample; a percentile is the upper
 * bound of its bucket, so at most 10 % above the true value. The counts are bumped on the request's
 * thread (two atomic adds); everything else happens in {@link #sample}, which one loop calls at the
 * interval ({@link #start}): the page's reads cost no SQL and no Redis round trip. A figure that
 * could not be read (the database or Redis down, Redis not configured) is null: a gap in its chart.
 */
public final class StatusHistory implements RequestObserver {

    /** Samples kept: an hour at the default interval. */
    public static final int CAPACITY = 360;
    static final int BUCKETS = 150;
    private static final double SMALLEST_MS = 0.1;
    private static final double GROWTH = 1.1;

    /** One sample: the interval's rates and percentiles, and the figures read at its end (null: unknown). */
    record Sample(Instant at, double allocationsPerSecond, double outOfStockPerSecond, Double p50Millis,
            Double p99Millis, Long outboxBacklog, Long outboxParked, Long streamLag, Long deadLetters) {
    }

    private final Clock clock;
    private final Duration interval;
    private final String instance;
    private final Supplier<Map<String, Object>> figures;

    private final LongAdder allocated = new LongAdder();
    private final LongAdder outOfStock = new LongAdder();
    private final AtomicLongArray latencies = new AtomicLongArray(BUCKETS);

    // the sampler's own state; the ring is read by the endpoint too
    private Instant previousAt;
    private long previousAllocated;
    private long previousOutOfStock;
    private final long[] previousLatencies = new long[BUCKETS];
    private final Sample[] ring = new Sample[CAPACITY];
    private long taken;

    /**
     * {@code figures} reads the gauges as {@code /status} does (its keys {@code outbox_backlog},
     * {@code outbox_parked}, {@code dead_letters} and {@code stream_lag}, each a number or null); it is
     * called only by {@link #sample}.
     */
    public StatusHistory(Clock clock, Duration interval, String instance, Supplier<Map<String, Object>> figures) {
        this.clock = clock;
        this.interval = interval;
        this.instance = instance;
        this.figures = figures;
        this.previousAt = clock.instant();
    }

    /** Counts {@code POST /allocate}: 202 an allocation, 409 an out-of-stock answer, and every answer's latency. */
    @Override
    public void answered(String method, String route, String path, int status, double millis, String token) {
        if (!"/allocate".equals(route) || !"POST".equals(method)) {
            return;
        }
        if (status == 202) {
            allocated.increment();
        } else if (status == 409) {
            outOfStock.increment();
        }
        latencies.incrementAndGet(bucket(millis));
    }

    /** The bucket of a latency: the first whose upper bound {@link #upperBound} is at least it. */
    static int bucket(double millis) {
        if (!(millis > SMALLEST_MS)) {
            return 0;
        }
        int i = (int) Math.ceil(Math.log(millis / SMALLEST_MS) / Math.log(GROWTH) - 1e-9);
        return Math.min(i, BUCKETS - 1);
    }

    static double upperBound(int bucket) {
        return SMALLEST_MS * Math.pow(GROWTH, bucket);
    }

    /**
     * Takes one sample: the rates and percentiles since the previous one, and the figures now. Never
     * throws: a failure to read the figures leaves them null.
     */
    public void sample() {
        Map<String, Object> now;
        try {
            now = figures.get();
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(StatusHistory.class).warn("Reading the figures for the charts failed", e);
            now = Map.of();
        }
        Instant at = clock.instant();
        synchronized (this) {
            double seconds = Math.max(Duration.between(previousAt, at).toMillis(), 1) / 1000.0;
            long allocatedNow = allocated.sum();
            long outOfStockNow = outOfStock.sum();
            long[] counts = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                long total = latencies.get(i);
                counts[i] = total - previousLatencies[i];
                previousLatencies[i] = total;
            }
            ring[(int) (taken % CAPACITY)] = new Sample(at, (allocatedNow - previousAllocated) / seconds,
                    (outOfStockNow - previousOutOfStock) / seconds, percentile(counts, 0.50), percentile(counts, 0.99),
                    number(now, "outbox_backlog"), number(now, "outbox_parked"), number(now, "stream_lag"),
                    number(now, "dead_letters"));
            taken++;
            previousAt = at;
            previousAllocated = allocatedNow;
            previousOutOfStock = outOfStockNow;
        }
    }

    /** The upper bound of the bucket holding the q-th quantile of these counts (rounded to 0.01 ms); null for none. */
    static Double percentile(long[] counts, double q) {
        long total = 0;
        for (long count : counts) {
            total += count;
        }
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.round(upperBound(i) * 100) / 100.0;
            }
        }
        throw new IllegalStateException("unreachable: the counts add up to " + total);
    }

    private static Long number(Map<String, Object> figures, String key) {
        return figures.get(key) instanceof Number n ? n.longValue() : null;
    }

    /** The samples held, oldest first. */
    synchronized List<Sample> samples() {
        int held = (int) Math.min(taken, CAPACITY);
        List<Sample> samples = new ArrayList<>(held);
        for (long i = taken - held; i < taken; i++) {
            samples.add(ring[(int) (i % CAPACITY)]);
        }
        return samples;
    }

    /** The answer of {@code GET /status/history}: which instance, the interval, and one array per series, oldest first. */
    public Map<String, Object> json() {
        List<Sample> samples = samples();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("instance", instance);
        json.put("interval_seconds", interval.toSeconds());
        json.put("capacity", CAPACITY);
        json.put("time", series(samples, s -> s.at().getEpochSecond()));
        json.put("allocations_per_second", series(samples, s -> round(s.allocationsPerSecond())));
        json.put("out_of_stock_per_second", series(samples, s -> round(s.outOfStockPerSecond())));
        json.put("allocate_p50_ms", series(samples, Sample::p50Millis));
        json.put("allocate_p99_ms", series(samples, Sample::p99Millis));
        json.put("outbox_backlog", series(samples, Sample::outboxBacklog));
        json.put("outbox_parked", series(samples, Sample::outboxParked));
        json.put("stream_lag", series(samples, Sample::streamLag));
        json.put("dead_letters", series(samples, Sample::deadLetters));
        return json;
    }

    private static List<Object> series(List<Sample> samples, Function<Sample, Object> value) {
        List<Object> series = new ArrayList<>(samples.size());
        for (Sample sample : samples) {
            series.add(value.apply(sample));   // null stays: a gap
        }
        return series;
    }

    private static double round(double rate) {
        return Math.round(rate * 1000) / 1000.0;
    }

    /** Samples every interval on a virtual thread of its own, from now until closed. */
    AutoCloseable start() {
        return Every.start("status history sampler", interval, this::sample);
    }
}

package com.allocationservice.bootstrap;

import com.allocationservice.entrypoints.RequestObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code http_server_requests_seconds}: per route template, method and status, a count and a latency
 * histogram with a few fixed buckets (Prometheus {@code _bucket}, {@code _count}, {@code _sum}). A
 * request that matched no route counts under the route {@code unmatched} and the method {@code *}, so
 * no client can grow the number of series. Each timer is looked up once, then kept.
 */
final class RequestMetrics implements RequestObserver {

    private static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(10)};

    private final MeterRegistry meters;
    private final ConcurrentHashMap<Key, Timer> timers = new ConcurrentHashMap<>();

    private record Key(String method, String route, int status) {
    }

    RequestMetrics(MeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    public void answered(String method, String route, String path, int status, double millis, String token) {
        Key key = new Key(UNMATCHED.equals(route) ? "*" : method, route, status);
        Timer timer = timers.get(key);
        if (timer == null) {
            timer = timers.computeIfAbsent(key, k -> Timer.builder("http_server_requests")
                    .description("HTTP requests answered, by route template, method and status")
                    .tag("route", k.route()).tag("method", k.method()).tag("status", Integer.toString(k.status()))
                    .serviceLevelObjectives(BUCKETS).register(meters));
        }
        timer.record((long) (millis * 1_000_000), TimeUnit.NANOSECONDS);
    }

    /** JVM memory, garbage collection, threads, class loading and processor; closing stops the GC listener. */
    static AutoCloseable bindJvm(MeterRegistry meters) {
        new JvmMemoryMetrics().bindTo(meters);
        new JvmThreadMetrics().bindTo(meters);
        new ClassLoaderMetrics().bindTo(meters);
        new ProcessorMetrics().bindTo(meters);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(meters);
        return gc;
    }
}

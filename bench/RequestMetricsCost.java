// The CPU cost of the request metrics per request, measured directly (issue 8): the service's own
// RequestMetrics recording into a Prometheus registry, 2 million times over three routes, five rounds.
// From the repository root, after ./mvnw -B -q package -DskipTests:
//
//   "$JAVA_HOME/bin/java" -XX:+UseSerialGC -Xmx192m -cp target/allocation.jar bench/RequestMetricsCost.java

import com.allocationservice.entrypoints.RequestObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.MeterRegistry;

public class RequestMetricsCost {
    public static void main(String[] args) throws Exception {
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        var ctor = Class.forName("com.allocationservice.bootstrap.RequestMetrics").getDeclaredConstructor(MeterRegistry.class);
        ctor.setAccessible(true);
        RequestObserver metrics = (RequestObserver) ctor.newInstance(registry);
        String[] routes = {"/allocate", "/add_batch", "/allocations/{orderid}"};
        for (int round = 0; round < 5; round++) {
            int n = 2_000_000;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                metrics.answered("POST", routes[i % 3], "/allocate", 202, 12.5 + (i & 63), null);
            }
            System.out.printf("%.0f ns per request%n", (System.nanoTime() - start) / (double) n);
        }
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics}: per route template, method and status, a request count and a latency histogram;
 * JVM metrics; the main connection pool's metrics.
 */
class MetricsTest {

    private TestService api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void counts_requests_by_route_template_and_status_with_a_latency_histogram() {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        api.post("/add_batch", TestService.body(Map.of("ref", "b1", "sku", "LAMP", "qty", 10)));
        api.post("/allocate", TestService.body(Map.of("orderid", "order-1", "sku", "LAMP", "qty", 1)));
        api.post("/allocate", TestService.body(Map.of("orderid", "order-2", "sku", "LAMP", "qty", 1)));
        api.get("/allocations/order-1");
        api.get("/allocations/order-2");
        api.get("/allocations/order-unknown");
        api.get("/no-such-path-1");
        api.get("/no-such-path-2");

        String metrics = api.get("/metrics").body();

        assertThat(metrics).contains(
                "http_server_requests_seconds_count{method=\"POST\",route=\"/add_batch\",status=\"201\"} 1",
                "http_server_requests_seconds_count{method=\"POST\",route=\"/allocate\",status=\"202\"} 2",
                "http_server_requests_seconds_count{method=\"GET\",route=\"/allocations/{orderid}\",status=\"200\"} 2",
                "http_server_requests_seconds_count{method=\"GET\",route=\"/allocations/{orderid}\",status=\"404\"} 1",
                "http_server_requests_seconds_count{method=\"*\",route=\"unmatched\",status=\"404\"} 2",
                "http_server_requests_seconds_bucket{method=\"GET\",route=\"/allocations/{orderid}\",status=\"200\",le=\"0.05\"}",
                "http_server_requests_seconds_bucket{method=\"GET\",route=\"/allocations/{orderid}\",status=\"200\",le=\"+Inf\"} 2",
                "http_server_requests_seconds_sum{method=\"POST\",route=\"/allocate\",status=\"202\"}");
        assertThat(metrics).as("raw paths are never labels").doesNotContain("order-1", "no-such-path");
    }

    @Test
    void has_jvm_metrics_and_the_main_pools_metrics() {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        api.get("/allocations/order-1");

        String metrics = api.get("/metrics").body();

        for (String jvm : List.of("jvm_memory_used_bytes{", "jvm_gc_", "jvm_threads_live_threads ",
                "jvm_classes_loaded_classes ", "system_cpu_count ")) {
            assertThat(metrics).as(jvm).contains(jvm);
        }
        assertThat(metrics).contains("hikaricp_connections_max{pool=\"allocation\"} 4",
                "hikaricp_connections_active{pool=\"allocation\"}", "hikaricp_connections_acquire_seconds_count{pool=\"allocation\"}");
    }
}

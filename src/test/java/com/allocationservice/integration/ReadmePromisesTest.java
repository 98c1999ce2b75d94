package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Promises of the README's API table and metrics list that no other test checks, over HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadmePromisesTest {

    /** Every metric the README lists, in its sections on messages in, messages out and the bus. */
    private static final List<String> README_METRICS = List.of(
            "allocation_messages_in_handled_total", "allocation_messages_in_duplicates_total",
            "allocation_messages_in_superseded_total", "allocation_messages_in_dead_lettered_total",
            "allocation_messages_in_failures_total", "allocation_messages_in_connection_failures_total",
            "allocation_outbox_backlog", "allocation_outbox_parked", "allocation_outbox_set_aside_total",
            "allocation_outbox_published_total", "allocation_outbox_failures_total",
            "allocation_out_of_stock_emails_sent_total", "allocation_out_of_stock_emails_suppressed_total",
            "allocation_command_retries", "allocation_commands_waiting",
            "allocation_commit_groups_total", "allocation_commit_grouped_commands_total");

    private RedisTestServer redis;
    private TestService api;

    @BeforeAll
    void start() {
        redis = RedisTestServer.start();
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_REDIS_URL", redis.url(),
                "ALLOCATION_RELAY_ENABLED", "true", "ALLOCATION_CONSUMER_ENABLED", "true"));
    }

    @AfterAll
    void stop() {
        Closing.all(api, redis);   // whatever start() got to: a service that failed to start leaves its Redis
    }

    @Test
    void an_order_shows_each_line_allocated_or_backordered_and_an_unknown_order_is_404() {
        assertThat(api.post("/add_batch", "{\"ref\": \"w1\", \"sku\": \"DESK\", \"qty\": 5, \"eta\": null}").statusCode()).isEqualTo(201);
        assertThat(api.post("/add_batch", "{\"ref\": \"w2\", \"sku\": \"CHAIR\", \"qty\": 5, \"eta\": null}").statusCode()).isEqualTo(201);
        assertThat(api.post("/allocate", "{\"orderid\": \"order-9\", \"sku\": \"DESK\", \"qty\": 2}").statusCode()).isEqualTo(202);
        assertThat(api.post("/allocate", "{\"orderid\": \"order-9\", \"sku\": \"CHAIR\", \"qty\": 4}").statusCode()).isEqualTo(202);
        assertThat(api.post("/change_batch_quantity", "{\"ref\": \"w2\", \"qty\": 0}").statusCode()).isEqualTo(200);

        HttpResponse<String> order = api.get("/orders/order-9");
        assertThat(order.statusCode()).isEqualTo(200);
        assertThat(TestService.json(order.body()).toString()).isEqualTo(
                "[{\"sku\":\"CHAIR\",\"qty\":4,\"batchref\":null,\"status\":\"backordered\"},"
                        + "{\"sku\":\"DESK\",\"qty\":2,\"batchref\":\"w1\",\"status\":\"allocated\"}]");

        HttpResponse<String> unknown = api.get("/orders/nobody");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(TestService.json(unknown.body()).path("message").asText()).contains("nobody");
    }

    @Test
    void a_batch_changed_to_qty_zero_over_http_backorders_its_lines() {
        assertThat(api.post("/add_batch", "{\"ref\": \"z1\", \"sku\": \"SOFA\", \"qty\": 3, \"eta\": null}").statusCode()).isEqualTo(201);
        assertThat(api.post("/allocate", "{\"orderid\": \"z-order\", \"sku\": \"SOFA\", \"qty\": 3}").statusCode()).isEqualTo(202);

        HttpResponse<String> change = api.post("/change_batch_quantity", "{\"ref\": \"z1\", \"qty\": 0}");

        assertThat(change.statusCode()).as(change.body()).isEqualTo(200);
        String stock = TestService.json(api.get("/products/SOFA/stock").body()).toString();
        assertThat(stock).contains("\"purchased\":0", "\"allocated\":0", "\"backorder\":[{\"orderid\":\"z-order\",\"qty\":3}]");
    }

    @Test
    void metrics_carry_every_name_the_readme_lists() {
        HttpResponse<String> metrics = api.get("/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        List<String> names = metrics.body().lines().filter(l -> !l.startsWith("#"))
                .map(l -> l.split("[{ ]", 2)[0]).toList();
        assertThat(names).containsAll(README_METRICS);
    }
}

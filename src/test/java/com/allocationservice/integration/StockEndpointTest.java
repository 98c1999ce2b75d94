package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.HttpApi;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.TestDatabase;
import com.allocationservice.views.Views;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StockEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void shows_each_batch_the_totals_and_the_backorder_of_a_sku(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            bus.handle(new CreateBatch("ship-2", "LAMP", 5, LocalDate.of(2031, 2, 1)));
            bus.handle(new CreateBatch("ship-1", "LAMP", 20, LocalDate.of(2031, 1, 1)));
            bus.handle(new CreateBatch("wh-1", "LAMP", 10, null));
            bus.handle(new CreateBatch("other", "TABLE", 5, null));
            bus.handle(new Allocate("o1", "LAMP", 8));   // wh-1
            bus.handle(new Allocate("o2", "LAMP", 6));   // ship-1
            bus.handle(new Allocate("o3", "LAMP", 14));  // ship-1
            bus.handle(new Allocate("o4", "TABLE", 1));
            bus.handle(new ChangeBatchQuantity("ship-1", 0)); // o2 and o3 fit nowhere else: backorders

            Javalin app = HttpApi.create(HttpApi.Dependencies.of(bus, new Views(db.dataSource()))).start(0);
            try {
                HttpResponse<String> response = get(app, "/products/LAMP/stock");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree("""
                        {"sku": "LAMP",
                         "batches": [
                           {"ref": "wh-1", "eta": null, "purchased": 10, "allocated": 8, "available": 2},
                           {"ref": "ship-1", "eta": "2031-01-01", "purchased": 0, "allocated": 0, "available": 0},
                           {"ref": "ship-2", "eta": "2031-02-01", "purchased": 5, "allocated": 0, "available": 5}],
                         "warehouse": {"purchased": 10, "allocated": 8, "available": 2},
                         "incoming": {"purchased": 5, "allocated": 0, "available": 5},
                         "backorder": [{"orderid": "o2", "qty": 6}, {"orderid": "o3", "qty": 14}]}
                        """));
            } finally {
                app.stop();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void each_available_figure_is_exactly_what_allocation_can_still_take(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            api.post("/add_batch", TestService.body(Map.of("ref", "wh-1", "sku", "LAMP", "qty", 10)));
            api.post("/add_batch", TestService.body(Map.of("ref", "ship-1", "sku", "LAMP", "qty", 20, "eta", "2031-01-01")));
            api.post("/add_batch", TestService.body(Map.of("ref", "ship-2", "sku", "LAMP", "qty", 5, "eta", "2031-02-01")));
            allocate(api, "o1", 3);
            allocate(api, "o2", 12); // more than wh-1 has left: on ship-1
            JsonNode stock = TestService.json(api.get("/products/LAMP/stock"));

            // one line per batch, of exactly the quantity the view says it has available, in the order
            // allocation prefers them: each must land on its batch, and then nothing is left anywhere
            Map<String, Long> filled = new HashMap<>(Map.of("warehouse", 0L, "incoming", 0L));
            for (JsonNode batch : stock.get("batches")) {
                int available = batch.get("available").asInt();
                assertThat(available).as(batch.toString()).isPositive();
                HttpResponse<String> taken = allocate(api, "fill-" + batch.get("ref").asText(), available);
                assertThat(taken.statusCode()).as("%s takes a line of its available quantity", batch).isEqualTo(202);
                assertThat(TestService.json(taken).get("batchref").asText()).isEqualTo(batch.get("ref").asText());
                filled.merge(batch.get("eta").isNull() ? "warehouse" : "incoming", (long) available, Long::sum);
            }
            assertThat(allocate(api, "one-more", 1).statusCode()).as("nothing left").isEqualTo(409);
            assertThat(stock.get("warehouse").get("available").asLong()).isEqualTo(filled.get("warehouse"));
            assertThat(stock.get("incoming").get("available").asLong()).isEqualTo(filled.get("incoming"));

            JsonNode after = TestService.json(api.get("/products/LAMP/stock"));
            assertThat(after.get("batches")).extracting(b -> b.get("available").asInt()).containsOnly(0);
            assertThat(after.get("warehouse").get("available").asLong()).isZero();
            assertThat(after.get("incoming").get("available").asLong()).isZero();
        }
    }

    private static HttpResponse<String> allocate(TestService api, String orderid, int qty) {
        return api.post("/allocate", TestService.body(Map.of("orderid", orderid, "sku", "LAMP", "qty", qty)));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void answers_404_with_a_message_for_an_unknown_sku(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            Javalin app = HttpApi.create(HttpApi.Dependencies.of(bus, new Views(db.dataSource()))).start(0);
            try {
                HttpResponse<String> response = get(app, "/products/NOPE/stock");
                assertThat(response.statusCode()).isEqualTo(404);
                JsonNode body = JSON.readTree(response.body());
                assertThat(body.get("message").asText()).isEqualTo("Unknown sku NOPE");
            } finally {
                app.stop();
            }
        }
    }

    private static HttpResponse<String> get(Javalin app, String path) throws Exception {
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path)).build();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            OpenApiContract.check(request.method(), request.uri(), response);
            return response;
        }
    }
}

package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.body;
import static com.allocationservice.integration.TestService.json;
import static com.allocationservice.integration.TestService.message;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The book's HTTP contract, point by point, against the real service over a real socket. */
class HttpApiTest {

    private TestService api;

    private TestService start(TestDatabase.Kind kind) {
        api = TestService.start(kind);
        return api;
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    private HttpResponse<String> addBatch(String ref, String sku, int qty, String eta) {
        Map<String, Object> batch = new HashMap<>(Map.of("ref", ref, "sku", sku, "qty", qty));
        batch.put("eta", eta);
        return api.post("/add_batch", body(batch));
    }

    private HttpResponse<String> allocate(String orderid, String sku, int qty) {
        return api.post("/allocate", body(Map.of("orderid", orderid, "sku", sku, "qty", qty)));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void add_batch_answers_201_and_an_existing_ref_409(TestDatabase.Kind kind) {
        start(kind);
        assertThat(addBatch("b1", "LAMP", 10, null).statusCode()).isEqualTo(201);
        assertThat(addBatch("b2", "LAMP", 10, "2031-01-02").statusCode()).isEqualTo(201);
        List<String> before = api.snapshot();

        HttpResponse<String> again = addBatch("b1", "TABLE", 5, null);

        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(message(again)).contains("b1");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void allocate_answers_202_with_the_batchref_and_the_same_line_again_gets_the_same_batch(TestDatabase.Kind kind) {
        start(kind);
        addBatch("ship", "LAMP", 100, "2031-01-02");
        addBatch("warehouse", "LAMP", 100, null);

        HttpResponse<String> first = allocate("o1", "LAMP", 10);
        assertThat(first.statusCode()).isEqualTo(202);
        assertThat(json(first)).isEqualTo(json(body(Map.of("batchref", "warehouse"))));
        List<String> before = api.snapshot();

        HttpResponse<String> again = allocate("o1", "LAMP", 10);

        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(json(again)).isEqualTo(json(body(Map.of("batchref", "warehouse"))));
        assertThat(api.snapshot()).as("no second allocation, no version bump").isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void the_same_line_with_another_quantity_is_refused_with_409(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b1", "LAMP", 100, null);
        allocate("o1", "LAMP", 10);
        List<String> before = api.snapshot();

        HttpResponse<String> other = allocate("o1", "LAMP", 11);

        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(message(other)).contains("o1").contains("LAMP");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void an_unknown_sku_is_400_with_exactly_the_books_message(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b1", "LAMP", 10, null);

        HttpResponse<String> response = allocate("o1", "NONEXISTENT-SKU", 1);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response)).isEqualTo(json(body(Map.of("message", "Invalid sku NONEXISTENT-SKU"))));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void out_of_stock_is_409_with_exactly_its_message(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b1", "LAMP", 10, null);
        allocate("o1", "LAMP", 8);

        HttpResponse<String> response = allocate("o2", "LAMP", 3);

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(json(response)).isEqualTo(json(body(Map.of("message", "Out of stock for sku LAMP"))));
        assertThat(api.get("/allocations/o2").statusCode()).isEqualTo(404);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void allocations_of_an_order_are_listed_or_404(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b-lamp", "LAMP", 10, null);
        addBatch("b-table", "TABLE", 10, null);
        allocate("o1", "LAMP", 1);
        allocate("o1", "TABLE", 2);

        HttpResponse<String> listed = api.get("/allocations/o1");
        HttpResponse<String> none = api.get("/allocations/o2");

        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(json(listed)).isEqualTo(json(body(List.of(
                Map.of("sku", "LAMP", "batchref", "b-lamp"), Map.of("sku", "TABLE", "batchref", "b-table")))));
        assertThat(none.statusCode()).isEqualTo(404);
        assertThat(message(none)).contains("o2");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void allocations_leave_out_backordered_lines_which_orders_still_shows(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b-lamp", "LAMP", 10, null);
        addBatch("b-table", "TABLE", 10, null);
        allocate("o1", "LAMP", 1);
        allocate("o1", "TABLE", 2);
        allocate("o2", "TABLE", 3);
        assertThat(api.post("/change_batch_quantity", body(Map.of("ref", "b-table", "qty", 0))).statusCode())
                .isEqualTo(200); // both TABLE lines fit nowhere now: backordered

        HttpResponse<String> partly = api.get("/allocations/o1");
        HttpResponse<String> onlyBackordered = api.get("/allocations/o2");

        assertThat(partly.statusCode()).isEqualTo(200);
        assertThat(json(partly)).isEqualTo(json(body(List.of(Map.of("sku", "LAMP", "batchref", "b-lamp")))));
        assertThat(onlyBackordered.statusCode()).isEqualTo(404);
        assertThat(message(onlyBackordered)).contains("o2");
        Map<String, Object> backordered = new HashMap<>(Map.of("sku", "TABLE", "qty", 3, "status", "backordered"));
        backordered.put("batchref", null);
        assertThat(json(api.get("/orders/o2"))).as("the line is kept, as a backorder")
                .isEqualTo(json(body(List.of(backordered))));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void deallocate_answers_200_frees_the_stock_and_an_unknown_line_404(TestDatabase.Kind kind) {
        start(kind);
        addBatch("b1", "LAMP", 10, null);
        allocate("o1", "LAMP", 10);

        HttpResponse<String> done = api.post("/deallocate", body(Map.of("orderid", "o1", "sku", "LAMP")));
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(api.get("/allocations/o1").statusCode()).isEqualTo(404);
        assertThat(allocate("o2", "LAMP", 10).statusCode()).isEqualTo(202);
        List<String> before = api.snapshot();

        HttpResponse<String> unknown = api.post("/deallocate", body(Map.of("orderid", "o1", "sku", "LAMP")));
        HttpResponse<String> unknownSku = api.post("/deallocate", body(Map.of("orderid", "o2", "sku", "NOPE")));

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(message(unknown)).contains("o1");
        assertThat(unknownSku.statusCode()).isEqualTo(404);
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void change_batch_quantity_answers_200_reallocates_visibly_and_an_unknown_ref_404(TestDatabase.Kind kind) {
        start(kind);
        addBatch("warehouse", "LAMP", 10, null);
        addBatch("ship", "LAMP", 10, "2031-01-02");
        allocate("o1", "LAMP", 4);
        allocate("o2", "LAMP", 4);

        HttpResponse<String> changed = api.post("/change_batch_quantity", body(Map.of("ref", "warehouse", "qty", 5)));

        assertThat(changed.statusCode()).isEqualTo(200);
        assertThat(json(api.get("/allocations/o1"))).isEqualTo(json(body(List.of(Map.of("sku", "LAMP", "batchref", "warehouse")))));
        assertThat(json(api.get("/allocations/o2"))).isEqualTo(json(body(List.of(Map.of("sku", "LAMP", "batchref", "ship")))));
        List<String> before = api.snapshot();

        HttpResponse<String> unknown = api.post("/change_batch_quantity", body(Map.of("ref", "nope", "qty", 5)));

        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(message(unknown)).contains("nope");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void change_batch_quantity_with_a_seq_before_the_last_applied_is_superseded_and_changes_nothing(
            TestDatabase.Kind kind) {
        start(kind);
        addBatch("warehouse", "LAMP", 10, null);
        assertThat(api.post("/change_batch_quantity", body(Map.of("ref", "warehouse", "qty", 7, "seq", 2)))
                .statusCode()).isEqualTo(200);
        List<String> before = api.snapshot();

        HttpResponse<String> older = api.post("/change_batch_quantity",
                body(Map.of("ref", "warehouse", "qty", 5, "seq", 1)));

        assertThat(older.statusCode()).isEqualTo(200);
        assertThat(message(older)).startsWith("Superseded").contains("2-0");
        assertThat(api.snapshot()).isEqualTo(before);
        HttpResponse<String> negative = api.post("/change_batch_quantity",
                body(Map.of("ref", "warehouse", "qty", 5, "seq", -1)));
        assertThat(negative.statusCode()).isEqualTo(400);
        assertThat(message(negative)).contains("'seq'");
        assertThat(api.post("/change_batch_quantity", body(Map.of("ref", "warehouse", "qty", 3, "seq", 3)))
                .statusCode()).isEqualTo(200);
        assertThat(json(api.get("/products/LAMP/stock")).get("warehouse").get("purchased").asInt()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void answers_are_json_in_utf_8(TestDatabase.Kind kind) {
        start(kind);
        String sku = "LÄMPE-ß-灯-😀";
        addBatch("b-é", sku, 10, null);

        HttpResponse<String> ok = allocate("ordre-ü", sku, 1);
        HttpResponse<String> invalid = allocate("ordre-ü", "ÜNKNOWN-灯", 1);

        for (HttpResponse<String> response : List.of(ok, invalid, api.get("/allocations/ordre-ü"), api.get("/health"),
                api.get("/allocations/none"))) {
            String type = response.headers().firstValue("Content-Type").orElseThrow().toLowerCase();
            assertThat(type).startsWith("application/json");
            assertThat(type.contains("charset") ? type : "charset=utf-8").contains("charset=utf-8");
        }
        assertThat(json(ok).get("batchref").textValue()).isEqualTo("b-é");
        assertThat(message(invalid)).isEqualTo("Invalid sku ÜNKNOWN-灯");
        assertThat(api.get("/allocations/ordre-ü").body().getBytes(StandardCharsets.UTF_8))
                .isEqualTo(("[{\"sku\":\"" + sku + "\",\"batchref\":\"b-é\"}]").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void health_is_200_while_the_database_answers_and_503_once_it_is_gone() {
        start(TestDatabase.Kind.POSTGRES);
        addBatch("b1", "LAMP", 10, null);
        allocate("o1", "LAMP", 1);
        HttpResponse<String> up = api.get("/health");
        assertThat(up.statusCode()).isEqualTo(200);

        api.db().close(); // drops the database, terminating every connection the service holds

        HttpResponse<String> down = api.get("/health");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json(down).get("status").textValue()).isEqualTo("DOWN");
        HttpResponse<String> read = api.get("/allocations/o1");
        assertThat(read.statusCode()).isEqualTo(503);
        assertThat(message(read)).containsIgnoringCase("unavailable");
        HttpResponse<String> write = allocate("o2", "LAMP", 1);
        assertThat(write.statusCode()).isEqualTo(503);
        assertThat(message(write)).containsIgnoringCase("unavailable");
    }

    @Test
    void requests_are_503_when_the_pool_is_closed() {
        start(TestDatabase.Kind.H2);
        assertThat(api.get("/health").statusCode()).isEqualTo(200);

        api.service().dataSource().close();

        assertThat(api.get("/allocations/o1").statusCode()).isEqualTo(503);
        assertThat(allocate("o1", "LAMP", 1).statusCode()).isEqualTo(503);
    }
}

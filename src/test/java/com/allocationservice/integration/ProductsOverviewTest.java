package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** GET /products: the overview of all stock, its figures, its order, its filter, its paging and its refusals. */
class ProductsOverviewTest {

    /**
     * LAMP: 2 left of wh-1, 5 on ship-2 (ship-1 shrank to nothing), two lines (6 and 14) backordered.
     * RUG: 4 left, one line of 10 backordered. SOFA: only incoming. CHAIR: 5 in the warehouse, below
     * the default threshold of 10. TABLE: 49 in the warehouse. Then tied SKUs: TIE1..TIE7 with 3 each
     * in the warehouse (needing attention, the same sort key but their SKU), and WIDE1..WIDE7 with 50.
     */
    private static void stock(TestService api) {
        batch(api, "wh-1", "LAMP", 10, null);
        batch(api, "ship-1", "LAMP", 20, "2031-01-01");
        batch(api, "ship-2", "LAMP", 5, "2031-02-01");
        allocate(api, "o1", "LAMP", 8);   // wh-1
        allocate(api, "o2", "LAMP", 6);   // ship-1
        allocate(api, "o3", "LAMP", 14);  // ship-1
        change(api, "ship-1", 0);         // o2 and o3 fit nowhere else: backordered
        batch(api, "rug-1", "RUG", 10, null);
        allocate(api, "r1", "RUG", 10);
        change(api, "rug-1", 4);          // r1 backordered
        batch(api, "sofa-1", "SOFA", 100, "2031-03-01");
        batch(api, "sofa-2", "SOFA", 30, "2031-02-15");
        allocate(api, "s1", "SOFA", 30);  // sofa-2 (earliest): nothing left on it
        batch(api, "chair-1", "CHAIR", 5, null);
        batch(api, "table-1", "TABLE", 50, null);
        allocate(api, "t1", "TABLE", 1);
        for (int i = 1; i <= 7; i++) {
            batch(api, "tie-" + i, "TIE" + i, 3, null);
            batch(api, "wide-" + i, "WIDE" + i, 50, null);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void gives_each_skus_figures_with_those_needing_attention_first(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            stock(api);
            JsonNode page = ok(api, "/products");
            assertThat(page.get("next_cursor").isNull()).isTrue();
            JsonNode products = page.get("products");
            assertThat(skus(products)).containsExactly("LAMP", "RUG", "SOFA", "TIE1", "TIE2", "TIE3", "TIE4", "TIE5",
                    "TIE6", "TIE7", "CHAIR", "TABLE", "WIDE1", "WIDE2", "WIDE3", "WIDE4", "WIDE5", "WIDE6", "WIDE7");
            assertThat(row(products, "LAMP")).isEqualTo(TestService.json("""
                    {"sku": "LAMP", "warehouse": 2, "incoming": 5, "allocated": 8,
                     "backordered": {"lines": 2, "qty": 20}, "next_eta": "2031-02-01", "attention": true}"""));
            assertThat(row(products, "RUG")).isEqualTo(TestService.json("""
                    {"sku": "RUG", "warehouse": 4, "incoming": 0, "allocated": 0,
                     "backordered": {"lines": 1, "qty": 10}, "next_eta": null, "attention": true}"""));
            assertThat(row(products, "SOFA")).isEqualTo(TestService.json("""
                    {"sku": "SOFA", "warehouse": 0, "incoming": 100, "allocated": 30,
                     "backordered": {"lines": 0, "qty": 0}, "next_eta": "2031-03-01", "attention": true}"""));
            assertThat(row(products, "CHAIR")).isEqualTo(TestService.json("""
                    {"sku": "CHAIR", "warehouse": 5, "incoming": 0, "allocated": 0,
                     "backordered": {"lines": 0, "qty": 0}, "next_eta": null, "attention": true}"""));
            assertThat(row(products, "TABLE")).isEqualTo(TestService.json("""
                    {"sku": "TABLE", "warehouse": 49, "incoming": 0, "allocated": 1,
                     "backordered": {"lines": 0, "qty": 0}, "next_eta": null, "attention": false}"""));

            assertThat(skus(ok(api, "/products?sort=sku").get("products"))).containsExactly("CHAIR", "LAMP", "RUG",
                    "SOFA", "TABLE", "TIE1", "TIE2", "TIE3", "TIE4", "TIE5", "TIE6", "TIE7", "WIDE1", "WIDE2", "WIDE3",
                    "WIDE4", "WIDE5", "WIDE6", "WIDE7");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void the_short_filter_keeps_backorders_and_stock_below_the_threshold(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            stock(api);
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).containsExactly("LAMP", "RUG", "SOFA",
                    "TIE1", "TIE2", "TIE3", "TIE4", "TIE5", "TIE6", "TIE7", "CHAIR");
            assertThat(skus(ok(api, "/products?filter=short&below=3").get("products")))
                    .as("below=3: 3 left is enough").containsExactly("LAMP", "RUG", "SOFA");
            assertThat(skus(ok(api, "/products?filter=short&below=0").get("products")))
                    .as("below=0: backorders and nothing left").containsExactly("LAMP", "RUG", "SOFA");
            assertThat(skus(ok(api, "/products?filter=short&below=50&sort=sku").get("products"))).containsExactly(
                    "CHAIR", "LAMP", "RUG", "SOFA", "TABLE", "TIE1", "TIE2", "TIE3", "TIE4", "TIE5", "TIE6", "TIE7");
        }
    }

    /**
     * The default threshold is where the products' indexed flag (V17) sits: 10 left is enough, 9 is not,
     * and a SKU moves in and out of those needing attention as allocations, backorders and restocks
     * change its figures.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_sku_needs_attention_from_below_ten_left_or_a_backorder_until_restocked(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            batch(api, "edge-1", "EDGE", 11, null);
            allocate(api, "e1", "EDGE", 1);
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).as("10 left").isEmpty();
            allocate(api, "e2", "EDGE", 1);
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).as("9 left").containsExactly("EDGE");
            assertThat(skus(ok(api, "/products?filter=short&sort=sku").get("products"))).containsExactly("EDGE");
            change(api, "edge-1", 100);
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).as("restocked").isEmpty();
            allocate(api, "e3", "EDGE", 50);
            change(api, "edge-1", 49);        // e3 no longer fits: backordered, 47 left
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).as("47 left, a line backordered")
                    .containsExactly("EDGE");
            assertThat(skus(ok(api, "/products?filter=short&below=5").get("products"))).containsExactly("EDGE");
            change(api, "edge-1", 100);       // e3 placed: 48 left
            assertThat(skus(ok(api, "/products?filter=short").get("products"))).as("the backorder placed").isEmpty();
            assertThat(skus(ok(api, "/products?filter=short&below=100").get("products"))).as("a threshold above 10")
                    .containsExactly("EDGE");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void pages_through_every_sku_once_in_order_ties_included(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            stock(api);
            for (String query : List.of("", "filter=short", "sort=sku", "sort=sku&filter=short", "below=0")) {
                List<String> whole = skus(ok(api, "/products?limit=500&" + query).get("products"));
                for (int limit : new int[] {1, 2, 3, 4}) {
                    List<String> paged = new ArrayList<>();
                    String cursor = null;
                    int pages = 0;
                    do {
                        JsonNode page = ok(api, "/products?limit=" + limit + "&" + query
                                + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
                        assertThat(page.get("products").size()).isBetween(1, limit);
                        paged.addAll(skus(page.get("products")));
                        cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
                        assertThat(++pages).as("pages of %s for %d rows", limit, whole.size()).isLessThanOrEqualTo(whole.size());
                    } while (cursor != null);
                    assertThat(paged).as("%s, %d a page", query, limit).isEqualTo(whole);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void refuses_bad_parameters_with_400_and_a_message(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            stock(api);
            String attentionCursor = ok(api, "/products?limit=1").get("next_cursor").asText();
            Map<String, String> refused = new HashMap<>();
            refused.put("filter=low", "Parameter 'filter' must be all or short");
            refused.put("sort=eta", "Parameter 'sort' must be attention or sku");
            refused.put("limit=0", "Parameter 'limit' must be a whole number from 1 to 500");
            refused.put("limit=501", "Parameter 'limit' must be a whole number from 1 to 500");
            refused.put("limit=ten", "Parameter 'limit' must be a whole number from 1 to 500");
            refused.put("limit=99999999999999999999", "Parameter 'limit' must be a whole number from 1 to 500");
            refused.put("below=-1", "Parameter 'below' must be a whole number from 0 to 1000000000");
            refused.put("colour=red", "Unknown parameter 'colour'; expected filter, sort, below, limit or cursor");
            String malformed = "Parameter 'cursor' is malformed: pass the next_cursor of an earlier answer, unchanged";
            refused.put("cursor=%21%21", malformed);
            refused.put("cursor=", malformed);
            refused.put("cursor=" + encode("hello"), malformed);
            refused.put("cursor=" + encode("attention:0:x:3:LAMP"), malformed);
            refused.put("cursor=" + encode("attention:0:-20"), malformed);
            refused.put("cursor=" + encode("attention:2:0:0:LAMP"), malformed);
            refused.put("cursor=" + Base64.getUrlEncoder().encodeToString(new byte[] {(byte) 0xff, (byte) 0xfe}), malformed);
            refused.put("sort=sku&cursor=" + attentionCursor,
                    "Parameter 'cursor' belongs to another sort than sku: keep the sort of the first page");
            refused.forEach((query, message) -> {
                HttpResponse<String> response = api.get("/products?" + query);
                assertThat(response.statusCode()).as(query).isEqualTo(400);
                assertThat(TestService.message(response)).as(query).isEqualTo(message);
            });
        }
    }

    private static String encode(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode ok(TestService api, String path) {
        HttpResponse<String> response = api.get(path);
        assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        return TestService.json(response);
    }

    private static List<String> skus(JsonNode products) {
        List<String> skus = new ArrayList<>();
        products.forEach(product -> skus.add(product.get("sku").asText()));
        return skus;
    }

    private static JsonNode row(JsonNode products, String sku) {
        for (JsonNode product : products) {
            if (product.get("sku").asText().equals(sku)) {
                return product;
            }
        }
        throw new AssertionError("no " + sku + " in " + products);
    }

    /**
     * Each product row carries its warehouse stock and backordered quantity (V16), which the overview's
     * order reads; the commands keep them, a group of many commands on a few products at once. After
     * seeded random commands from several clients at once (batches with and without an ETA, shrinking
     * and growing them, lines allocated, backordered by a shrink, placed and cancelled), each row's
     * figures are exactly those of its batches and lines. A round's end state may hold no backorder (a
     * later growth reallocates them, a cancel removes them): rounds go on, up to five, until one does.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void the_figures_each_product_row_carries_stay_those_of_its_batches_and_lines(TestDatabase.Kind kind)
            throws Exception {
        long seed = System.nanoTime();
        try (TestService api = TestService.start(kind);
             var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            long backordered = 0;
            for (int round = 0; round < 5 && backordered == 0; round++) {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int client = 0; client < 6; client++) {
                    long clientSeed = seed + 6L * round + client;
                    int id = client;
                    done.add(clients.submit(() -> randomCommands(api, new java.util.Random(clientSeed), id)));
                }
                for (var future : done) {
                    future.get();
                }
                backordered = figuresMatch(api, seed);
            }
            assertThat(backordered).as("a shrink left some lines waiting for stock (seed %d)", seed).isPositive();
        }
    }

    /** Asserts that each product row's figures are those of its batches and lines; the backordered quantity. */
    private static long figuresMatch(TestService api, long seed) throws java.sql.SQLException {
        try (var c = api.db().dataSource().getConnection();
             var rs = c.createStatement().executeQuery("""
                     SELECT p.sku, p.warehouse, p.backordered,
                            COALESCE((SELECT SUM(b.purchased_quantity - b.allocated_quantity) FROM batches b
                                      WHERE b.sku = p.sku AND b.eta IS NULL), 0),
                            COALESCE((SELECT SUM(l.qty) FROM order_lines l WHERE l.sku = p.sku AND l.batchref IS NULL), 0)
                     FROM products p ORDER BY p.sku""")) {
            int products = 0;
            long backordered = 0;
            while (rs.next()) {
                products++;
                backordered += rs.getLong(5);
                assertThat(List.of(rs.getLong(2), rs.getLong(3))).as("%s: warehouse and backordered (seed %d)",
                        rs.getString(1), seed).containsExactly(rs.getLong(4), rs.getLong(5));
            }
            assertThat(products).as("seed %d", seed).isEqualTo(3);
            return backordered;
        }
    }

    private static void randomCommands(TestService api, java.util.Random random, int client) {
        List<String> skus = List.of("R1", "R2", "R3");
        for (int i = 0; i < 60; i++) {
            String sku = skus.get(random.nextInt(skus.size()));
            int batch = random.nextInt(4);
            String ref = sku + "-" + batch; // batches 0 and 1 in the warehouse, 2 and 3 on ships
            String order = "o" + client + "-" + random.nextInt(15);
            HttpResponse<String> response = switch (random.nextInt(5)) {
                case 0 -> {
                    Map<String, Object> body = new HashMap<>(Map.of("ref", ref, "sku", sku, "qty", 1 + random.nextInt(20)));
                    body.put("eta", batch < 2 ? null : "2031-0" + batch + "-01");
                    yield api.post("/add_batch", TestService.body(body));
                }
                case 1 -> api.post("/change_batch_quantity", TestService.body(Map.of("ref", ref, "qty", random.nextInt(25))));
                case 2 -> api.post("/deallocate", TestService.body(Map.of("orderid", order, "sku", sku)));
                default -> api.post("/allocate", TestService.body(Map.of("orderid", order, "sku", sku,
                        "qty", 1 + random.nextInt(8))));
            };
            assertThat(response.statusCode()).as(response.body()).isLessThan(500);
        }
    }

    private static void batch(TestService api, String ref, String sku, int qty, String eta) {
        Map<String, Object> body = new HashMap<>(Map.of("ref", ref, "sku", sku, "qty", qty));
        body.put("eta", eta);
        assertThat(api.post("/add_batch", TestService.body(body)).statusCode()).isEqualTo(201);
    }

    private static void allocate(TestService api, String orderid, String sku, int qty) {
        HttpResponse<String> response = api.post("/allocate", TestService.body(Map.of("orderid", orderid, "sku", sku, "qty", qty)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
    }

    private static void change(TestService api, String ref, int qty) {
        HttpResponse<String> response = api.post("/change_batch_quantity", TestService.body(Map.of("ref", ref, "qty", qty)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }
}

package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The limits the API states hold in each database: text of 255 characters (code points, so 255 emoji,
 * each two UTF-16 units) is stored and read back whole, and so are the first and last dates taken,
 * 0001-01-01 and 9999-12-31; year 0, which PostgreSQL would store as 1 BC, is refused.
 */
class TextAndDateLimitsTest {

    private static final String EMOJI = "\ud83d\ude00";

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void text_of_255_emoji_and_the_first_and_last_dates_are_stored_and_read_back(TestDatabase.Kind kind) {
        try (TestService api = TestService.start(kind)) {
            String sku = EMOJI.repeat(255);
            String first = "F" + EMOJI.repeat(254);
            String last = "L" + EMOJI.repeat(254);
            String order = "O" + EMOJI.repeat(254);
            assertThat(api.post("/add_batch", TestService.body(new Batch(first, sku, 5, "0001-01-01"))).statusCode())
                    .isEqualTo(201);
            assertThat(api.post("/add_batch", TestService.body(new Batch(last, sku, 5, "9999-12-31"))).statusCode())
                    .isEqualTo(201);
            HttpResponse<String> allocated = api.post("/allocate",
                    TestService.body(new Line(order, sku, 1)));
            assertThat(allocated.statusCode()).as(allocated.body()).isEqualTo(202);

            HttpResponse<String> stock = api.get("/products/" + URLEncoder.encode(sku, StandardCharsets.UTF_8) + "/stock");
            assertThat(stock.statusCode()).as(stock.body()).isEqualTo(200);
            JsonNode batches = json(stock).get("batches");
            assertThat(batches.get(0).get("ref").textValue()).isEqualTo(first);
            assertThat(batches.get(0).get("eta").textValue()).isEqualTo("0001-01-01");
            assertThat(batches.get(1).get("ref").textValue()).isEqualTo(last);
            assertThat(batches.get(1).get("eta").textValue()).isEqualTo("9999-12-31");
            HttpResponse<String> allocations = api.get("/allocations/" + URLEncoder.encode(order, StandardCharsets.UTF_8));
            assertThat(allocations.statusCode()).as(allocations.body()).isEqualTo(200);
            assertThat(json(allocations).get(0).get("batchref").textValue()).isEqualTo(first);

            HttpResponse<String> yearZero = api.post("/add_batch", TestService.body(new Batch("b0", "LAMP", 5, "0000-01-01")));
            assertThat(yearZero.statusCode()).isEqualTo(400);
            assertThat(TestService.message(yearZero))
                    .isEqualTo("Field 'eta' must be a date from 0001-01-01 to 9999-12-31, was 0000-01-01");
        }
    }

    record Batch(String ref, String sku, int qty, String eta) {
    }

    record Line(String orderid, String sku, int qty) {
    }
}

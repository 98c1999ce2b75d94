package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.entrypoints.BadRequest;
import com.allocationservice.entrypoints.JsonBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Request bodies read directly, without the HTTP server (HttpBadInputTest keeps a few through it). */
class JsonBodyTest {

    private static final String JSON = "application/json";
    private static final String LONG = "x".repeat(256);

    private static JsonBody read(String contentType, String body, String... fields) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return JsonBody.read(contentType, bytes.length, new ByteArrayInputStream(bytes), fields);
    }

    private static JsonBody line(String body) {
        return read(JSON, body, "orderid", "sku", "qty", "eta", "seq");
    }

    /** One bad body, read with the fields of an allocation, and the message it must be refused with. */
    record Bad(String name, String contentType, String body, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> badBodies() {
        return Stream.of(
                new Bad("malformed JSON", JSON, "{\"orderid\": \"o2\", \"sku\": ",
                        "Body is not valid JSON at line 1, column 26: Unexpected end-of-input within/between Object entries"),
                new Bad("unquoted key", JSON, "{orderid: 1}", "Body is not valid JSON at line 1, column 2: Unexpected character ('o' (code 111)): was expecting double-quote to start field name"),
                new Bad("single quotes", JSON, "{'qty': 1}",
                        "Body is not valid JSON at line 1, column 2: Unexpected character (''' (code 39)): was expecting double-quote to start field name"),
                new Bad("trailing comma", JSON, "{\"qty\": 1,}", "Body is not valid JSON at line 1, column 11: "
                        + "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"),
                new Bad("NaN", JSON, "{\"qty\": NaN}", "Body is not valid JSON at line 1, column 12: Non-standard token 'NaN': enable"),
                new Bad("control character in a string", JSON, "{\"sku\": \"a\nb\"}", "Body is not valid JSON at line 1, column 11: "
                        + "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to be included in string value"),
                new Bad("comment", JSON, "{/* note */ \"qty\": 1}", "Body is not valid JSON at line 1, column 2: Unexpected character ('/' (code 47)): "
                        + "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled for parser)"),
                new Bad("empty body", JSON, "", "Body is empty; expected a JSON object"),
                new Bad("blank body", JSON, "  \n ", "Body is empty; expected a JSON object"),
                new Bad("JSON array", JSON, "[1]", "Body must be a JSON object, was array"),
                new Bad("JSON string", JSON, "\"o2\"", "Body must be a JSON object, was string"),
                new Bad("JSON null", JSON, "null", "Body must be a JSON object, was null"),
                new Bad("JSON number", JSON, "42", "Body must be a JSON object, was number"),
                new Bad("two objects", JSON, "{\"qty\": 1} {\"qty\": 2}",
                        "Body must hold one JSON object, but more follows it at line 1, column 13"),
                new Bad("duplicate key", JSON, "{\"qty\": 1, \"qty\": 2}", "Body is not valid JSON at line 1, column 17: Duplicate field 'qty'"),
                new Bad("deep nesting", JSON, "[".repeat(5000), "Body is not valid JSON: nested too deeply or too large"),
                new Bad("unknown field", JSON, "{\"qty\": 1, \"priority\": \"high\"}",
                        "Unknown field 'priority'; expected only orderid, sku, qty, eta, seq"),
                new Bad("unknown field with a control character", JSON, "{\"a\\u0001b\": 1}",
                        "Unknown field 'a?b'; expected only orderid, sku, qty, eta, seq"),
                new Bad("unknown long field", JSON, "{\"" + LONG + "\": 1}",
                        "Unknown field '" + "x".repeat(40) + "...'; expected only orderid, sku, qty, eta, seq"),
                new Bad("unknown field of forty characters", JSON, "{\"" + "y".repeat(40) + "\": 1}",
                        "Unknown field '" + "y".repeat(40) + "'; expected only orderid, sku, qty, eta, seq"),
                new Bad("text/plain", "text/plain", "{}", "Content-Type must be application/json, was 'text/plain'"),
                new Bad("form content type", "application/x-www-form-urlencoded", "qty=1",
                        "Content-Type must be application/json, was 'application/x-www-form-urlencoded'"),
                new Bad("no content type", null, "{}", "Content-Type must be application/json, was missing"),
                new Bad("json lookalike type", "application/jsonp", "{}", "Content-Type must be application/json, was 'application/jsonp'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBodies")
    void a_bad_body_is_refused_naming_the_problem(Bad bad) {
        assertThatThrownBy(() -> read(bad.contentType(), bad.body(), "orderid", "sku", "qty", "eta", "seq"))
                .isInstanceOf(BadRequest.class)
                .hasMessage(bad.message());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "Application/JSON", " application/json ", "application/json; charset=utf-8",
        "application/json;charset=UTF-8"})
    void json_content_types_with_parameters_and_any_case_are_accepted(String contentType) {
        assertThat(read(contentType, "{\"qty\": 3}", "qty").integer("qty", 1)).isEqualTo(3);
    }

    @Test
    void a_body_declared_or_found_larger_than_the_limit_is_refused() {
        byte[] limit = ("{\"sku\": \"" + "x".repeat(JsonBody.MAX_BYTES - 11) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(limit).hasSize(JsonBody.MAX_BYTES);
        assertThat(JsonBody.read(JSON, limit.length, new ByteArrayInputStream(limit), "sku")).isNotNull();

        assertThatThrownBy(() -> JsonBody.read(JSON, JsonBody.MAX_BYTES + 1, new ByteArrayInputStream(limit), "sku"))
                .isInstanceOf(BadRequest.class).hasMessage("Body is larger than 16384 bytes");
        byte[] over = ("{\"sku\": \"" + "x".repeat(JsonBody.MAX_BYTES - 10) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JsonBody.read(JSON, -1, new ByteArrayInputStream(over), "sku"))
                .isInstanceOf(BadRequest.class).hasMessage("Body is larger than 16384 bytes");
    }

    @Test
    void a_body_that_cannot_be_read_is_refused_and_the_stream_is_closed() {
        boolean[] closed = {false};
        InputStream failing = new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("reset by peer");
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        assertThatThrownBy(() -> JsonBody.read(JSON, -1, failing, "sku"))
                .isInstanceOf(BadRequest.class).hasMessage("Body could not be read");
        assertThat(closed[0]).isTrue();
    }

    @Test
    void invalid_utf_8_is_refused_as_bad_json() {
        byte[] bytes = {'{', '"', 's', 'k', 'u', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> JsonBody.read(JSON, bytes.length, new ByteArrayInputStream(bytes), "sku"))
                .isInstanceOf(BadRequest.class).hasMessageContaining("UTF-8");
    }

    @Test
    void text_is_a_non_blank_string_of_at_most_255_printable_characters() {
        assertThat(line("{\"sku\": \"LAMP\"}").text("sku")).isEqualTo("LAMP");
        assertThat(line("{\"sku\": \"" + "x".repeat(255) + "\"}").text("sku")).hasSize(255);
        assertThat(line("{\"sku\": \"\\ud83d\\ude00\"}").text("sku")).isEqualTo("\ud83d\ude00");
        assertText("{}", "Field 'sku' is required");
        assertText("{\"sku\": null}", "Field 'sku' is required");
        assertText("{\"sku\": 42}", "Field 'sku' must be a string");
        assertText("{\"sku\": [\"a\"]}", "Field 'sku' must be a string");
        assertText("{\"sku\": true}", "Field 'sku' must be a string");
        assertText("{\"sku\": {\"a\": 1}}", "Field 'sku' must be a string");
        assertText("{\"sku\": \"\"}", "Field 'sku' must not be empty");
        assertText("{\"sku\": \"  \"}", "Field 'sku' must not be empty");
        assertText("{\"sku\": \"" + LONG + "\"}", "Field 'sku' must be at most 255 characters");
        assertText("{\"sku\": \"a\\u0000b\"}", "Field 'sku' must not contain control characters");
        assertText("{\"sku\": \"a\\nb\"}", "Field 'sku' must not contain control characters");
        assertText("{\"sku\": \"a\\ud800\"}", "Field 'sku' must be valid Unicode text, not a lone surrogate");
        assertText("{\"sku\": \"a\\udc00b\"}", "Field 'sku' must be valid Unicode text, not a lone surrogate");
    }

    private static void assertText(String body, String message) {
        assertThatThrownBy(() -> line(body).text("sku")).isInstanceOf(BadRequest.class).hasMessage(message);
    }

    @Test
    void optional_text_is_null_when_absent_or_null_and_checked_like_text_otherwise() {
        assertThat(line("{}").optionalText("sku")).isNull();
        assertThat(line("{\"sku\": null}").optionalText("sku")).isNull();
        assertThat(line("{\"sku\": \"LAMP\"}").optionalText("sku")).isEqualTo("LAMP");
        assertThatThrownBy(() -> line("{\"sku\": \"\"}").optionalText("sku"))
                .isInstanceOf(BadRequest.class).hasMessage("Field 'sku' must not be empty");
    }

    @Test
    void an_integer_is_a_whole_number_from_its_minimum_to_the_largest_int() {
        assertThat(line("{\"qty\": 1}").integer("qty", 1)).isEqualTo(1);
        assertThat(line("{\"qty\": 0}").integer("qty", 0)).isZero();
        assertThat(line("{\"qty\": 2147483647}").integer("qty", 1)).isEqualTo(Integer.MAX_VALUE);
        assertInteger("{}", 1, "Field 'qty' is required");
        assertInteger("{\"qty\": null}", 1, "Field 'qty' is required");
        assertInteger("{\"qty\": \"1\"}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": 1.5}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": {\"n\": 1}}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": [1]}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": 1.0}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": 1e1}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": true}", 1, "Field 'qty' must be a whole number");
        assertInteger("{\"qty\": 0}", 1, "Field 'qty' must be from 1 to 2147483647, was 0");
        assertInteger("{\"qty\": -1}", 0, "Field 'qty' must be from 0 to 2147483647, was -1");
        assertInteger("{\"qty\": 2147483648}", 1, "Field 'qty' must be from 1 to 2147483647, was 2147483648");
        assertInteger("{\"qty\": -2147483649}", 0, "Field 'qty' must be from 0 to 2147483647, was -2147483649");
        assertInteger("{\"qty\": 123456789012345678901234567890}", 1,
                "Field 'qty' must be from 1 to 2147483647, was 123456789012345678901234567890");
    }

    private static void assertInteger(String body, int min, String message) {
        assertThatThrownBy(() -> line(body).integer("qty", min)).isInstanceOf(BadRequest.class).hasMessage(message);
    }

    @Test
    void an_optional_whole_number_is_null_when_absent_and_from_zero_to_the_largest_long() {
        assertThat(line("{}").optionalWholeNumber("seq")).isNull();
        assertThat(line("{\"seq\": null}").optionalWholeNumber("seq")).isNull();
        assertThat(line("{\"seq\": 0}").optionalWholeNumber("seq")).isZero();
        assertThat(line("{\"seq\": 9223372036854775807}").optionalWholeNumber("seq")).isEqualTo(Long.MAX_VALUE);
        assertWhole("{\"seq\": \"7\"}", "Field 'seq' must be a whole number");
        assertWhole("{\"seq\": 7.5}", "Field 'seq' must be a whole number");
        assertWhole("{\"seq\": -1}", "Field 'seq' must be from 0 to 9223372036854775807, was -1");
        assertWhole("{\"seq\": 9223372036854775808}", "Field 'seq' must be from 0 to 9223372036854775807, was 9223372036854775808");
    }

    private static void assertWhole(String body, String message) {
        assertThatThrownBy(() -> line(body).optionalWholeNumber("seq")).isInstanceOf(BadRequest.class).hasMessage(message);
    }

    @Test
    void an_optional_date_is_a_real_date_as_yyyy_mm_dd() {
        assertThat(line("{}").optionalDate("eta")).isNull();
        assertThat(line("{\"eta\": null}").optionalDate("eta")).isNull();
        assertThat(line("{\"eta\": \"2031-12-24\"}").optionalDate("eta")).isEqualTo(LocalDate.of(2031, 12, 24));
        assertDate("{\"eta\": \"2026-02-30\"}", "Field 'eta' is not a real date: 2026-02-30");
        assertDate("{\"eta\": \"2026-13-01\"}", "Field 'eta' is not a real date: 2026-13-01");
        assertDate("{\"eta\": \"30/01/2026\"}", "Field 'eta' must be a date as YYYY-MM-DD or null");
        assertDate("{\"eta\": \"2026-01-30T10:00\"}", "Field 'eta' must be a date as YYYY-MM-DD or null");
        assertDate("{\"eta\": 20260130}", "Field 'eta' must be a date as YYYY-MM-DD or null");
        assertDate("{\"eta\": \"\"}", "Field 'eta' must be a date as YYYY-MM-DD or null");
    }

    private static void assertDate(String body, String message) {
        assertThatThrownBy(() -> line(body).optionalDate("eta")).isInstanceOf(BadRequest.class).hasMessage(message);
    }

    @Test
    void a_message_body_ignores_fields_it_does_not_know() {
        JsonBody body = JsonBody.parse("{\"batchref\": \"b1\", \"qty\": 5, \"note\": \"extra\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(body.text("batchref")).isEqualTo("b1");
        assertThat(body.integer("qty", 0)).isEqualTo(5);
        assertThatThrownBy(() -> JsonBody.parse("[]".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(BadRequest.class).hasMessage("Body must be a JSON object, was array");
    }
}

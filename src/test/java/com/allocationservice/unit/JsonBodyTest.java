package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.entrypoints.BadRequest;
import com.allocationservice.entrypoints.CommandBodies;
import com.allocationservice.entrypoints.JsonBody;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request bodies bound directly, without the HTTP server (HttpBadInputTest keeps a few through it);
 * FieldsTest checks what binding leaves to the fields' checks.
 */
class JsonBodyTest {

    private static final String JSON = "application/json";
    private static final String LONG = "x".repeat(256);

    /** A body with a field of every kind; its components' order is the order refusals list them in. */
    record Line(String orderid, String sku, BigInteger qty, LocalDate eta, BigInteger seq) {
    }

    record Change(String batchref, BigInteger qty) {
    }

    private static final JsonBody<Line> LINE = JsonBody.strict(Line.class);

    private static Line read(String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return LINE.read(contentType, bytes.length, new ByteArrayInputStream(bytes));
    }

    private static Line line(String body) {
        return read(JSON, body);
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
        assertThatThrownBy(() -> read(bad.contentType(), bad.body()))
                .isInstanceOf(BadRequest.class)
                .hasMessage(bad.message());
    }

    @ParameterizedTest
    @ValueSource(strings = {"application/json", "Application/JSON", " application/json ", "application/json; charset=utf-8",
        "application/json;charset=UTF-8"})
    void json_content_types_with_parameters_and_any_case_are_accepted(String contentType) {
        assertThat(read(contentType, "{\"qty\": 3}").qty()).isEqualTo(BigInteger.valueOf(3));
    }

    @Test
    void a_body_declared_or_found_larger_than_the_limit_is_refused() {
        byte[] limit = ("{\"sku\": \"" + "x".repeat(JsonBody.MAX_BYTES - 11) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(limit).hasSize(JsonBody.MAX_BYTES);
        assertThat(LINE.read(JSON, limit.length, new ByteArrayInputStream(limit))).isNotNull();

        assertThatThrownBy(() -> LINE.read(JSON, JsonBody.MAX_BYTES + 1, new ByteArrayInputStream(limit)))
                .isInstanceOf(BadRequest.class).hasMessage("Body is larger than 16384 bytes");
        byte[] over = ("{\"sku\": \"" + "x".repeat(JsonBody.MAX_BYTES - 10) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> LINE.read(JSON, -1, new ByteArrayInputStream(over)))
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
        assertThatThrownBy(() -> LINE.read(JSON, -1, failing))
                .isInstanceOf(BadRequest.class).hasMessage("Body could not be read");
        assertThat(closed[0]).isTrue();
    }

    @Test
    void invalid_utf_8_is_refused_as_bad_json() {
        byte[] bytes = {'{', '"', 's', 'k', 'u', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        assertThatThrownBy(() -> LINE.read(JSON, bytes.length, new ByteArrayInputStream(bytes)))
                .isInstanceOf(BadRequest.class).hasMessageContaining("UTF-8");
    }

    @Test
    void a_body_binds_to_its_record() {
        assertThat(line("{\"orderid\": \"o1\", \"sku\": \"\\ud83d\\ude00\", \"qty\": 123456789012345678901234567890, "
                + "\"eta\": \"2031-12-24\", \"seq\": null}"))
                .isEqualTo(new Line("o1", "\ud83d\ude00", new BigInteger("123456789012345678901234567890"), LocalDate.of(2031, 12, 24), null));
        assertThat(line("{\"eta\": \"0001-01-01\"}").eta()).isEqualTo(LocalDate.of(1, 1, 1));
        assertThat(line("{\"eta\": \"9999-12-31\"}").eta()).isEqualTo(LocalDate.of(9999, 12, 31));
        assertThat(line("{}")).isEqualTo(new Line(null, null, null, null, null));
        assertThat(line("{\"eta\": null, \"sku\": \"\"}")).isEqualTo(new Line(null, "", null, null, null));
    }

    static Stream<Bad> wrongTypes() {
        return Stream.of(
                new Bad("number as text", JSON, "{\"sku\": 42}", "Field 'sku' must be a string"),
                new Bad("fraction as text", JSON, "{\"sku\": 4.5}", "Field 'sku' must be a string"),
                new Bad("array as text", JSON, "{\"sku\": [\"a\"]}", "Field 'sku' must be a string"),
                new Bad("boolean as text", JSON, "{\"sku\": true}", "Field 'sku' must be a string"),
                new Bad("object as text", JSON, "{\"sku\": {\"a\": 1}}", "Field 'sku' must be a string"),
                new Bad("string as number", JSON, "{\"qty\": \"1\"}", "Field 'qty' must be a whole number"),
                new Bad("empty string as number", JSON, "{\"qty\": \"\"}", "Field 'qty' must be a whole number"),
                new Bad("fraction", JSON, "{\"qty\": 1.5}", "Field 'qty' must be a whole number"),
                new Bad("whole fraction", JSON, "{\"qty\": 1.0}", "Field 'qty' must be a whole number"),
                new Bad("exponent", JSON, "{\"qty\": 1e1}", "Field 'qty' must be a whole number"),
                new Bad("object as number", JSON, "{\"qty\": {\"n\": 1}}", "Field 'qty' must be a whole number"),
                new Bad("array as number", JSON, "{\"qty\": [1]}", "Field 'qty' must be a whole number"),
                new Bad("boolean as number", JSON, "{\"qty\": true}", "Field 'qty' must be a whole number"),
                new Bad("string as seq", JSON, "{\"seq\": \"7\"}", "Field 'seq' must be a whole number"),
                new Bad("fraction as seq", JSON, "{\"seq\": 7.5}", "Field 'seq' must be a whole number"),
                new Bad("impossible date", JSON, "{\"eta\": \"2026-02-30\"}", "Field 'eta' is not a real date: 2026-02-30"),
                new Bad("year zero", JSON, "{\"eta\": \"0000-01-01\"}",
                        "Field 'eta' must be a date from 0001-01-01 to 9999-12-31, was 0000-01-01"),
                new Bad("last day of year zero", JSON, "{\"eta\": \"0000-12-31\"}",
                        "Field 'eta' must be a date from 0001-01-01 to 9999-12-31, was 0000-12-31"),
                new Bad("thirteenth month", JSON, "{\"eta\": \"2026-13-01\"}", "Field 'eta' is not a real date: 2026-13-01"),
                new Bad("date in another order", JSON, "{\"eta\": \"30/01/2026\"}", "Field 'eta' must be a date as YYYY-MM-DD or null"),
                new Bad("date and time", JSON, "{\"eta\": \"2026-01-30T10:00\"}", "Field 'eta' must be a date as YYYY-MM-DD or null"),
                new Bad("date as number", JSON, "{\"eta\": 20260130}", "Field 'eta' must be a date as YYYY-MM-DD or null"),
                new Bad("date as array", JSON, "{\"eta\": [2026, 1, 30]}", "Field 'eta' must be a date as YYYY-MM-DD or null"),
                new Bad("empty date", JSON, "{\"eta\": \"\"}", "Field 'eta' must be a date as YYYY-MM-DD or null"),
                new Bad("control character in a later string", JSON, "{\"orderid\": \"o1\", \"sku\": \"a\tb\"}", "Body is not valid JSON at line 1, column 28: "
                        + "Illegal unquoted character ((CTRL-CHAR, code 9)): has to be escaped using backslash to be included in string value"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wrongTypes")
    void a_field_of_the_wrong_type_is_refused_naming_it(Bad bad) {
        assertThatThrownBy(() -> line(bad.body())).isInstanceOf(BadRequest.class).hasMessage(bad.message());
    }

    @Test
    void each_command_body_refuses_an_unknown_field_listing_its_own_fields_in_order() {
        assertUnknown(CommandBodies.AddBatch.class, "ref, sku, qty, eta");
        assertUnknown(CommandBodies.Allocate.class, "orderid, sku, qty");
        assertUnknown(CommandBodies.Deallocate.class, "orderid, sku");
        assertUnknown(CommandBodies.ChangeBatchQuantity.class, "ref, qty, seq");
    }

    private static void assertUnknown(Class<? extends Record> body, String fields) {
        assertThatThrownBy(() -> JsonBody.strict(body).parse(bytes("{\"ETA\": null}")))
                .isInstanceOf(BadRequest.class).hasMessage("Unknown field 'ETA'; expected only " + fields);
    }

    @Test
    void a_message_body_ignores_fields_it_does_not_know_but_not_bad_json() {
        JsonBody<Change> tolerant = JsonBody.tolerant(Change.class);
        assertThat(tolerant.parse(bytes("{\"batchref\": \"b1\", \"qty\": 5, \"note\": {\"a\": [1]}}")))
                .isEqualTo(new Change("b1", BigInteger.valueOf(5)));
        assertThatThrownBy(() -> tolerant.parse(bytes("[]")))
                .isInstanceOf(BadRequest.class).hasMessage("Body must be a JSON object, was array");
        assertThatThrownBy(() -> tolerant.parse(bytes("")))
                .isInstanceOf(BadRequest.class).hasMessage("Body must be a JSON object, was nothing");
        assertThatThrownBy(() -> tolerant.parse(bytes("true")))
                .isInstanceOf(BadRequest.class).hasMessage("Body must be a JSON object, was boolean");
        assertThatThrownBy(() -> tolerant.parse(bytes("[1] {}")))
                .isInstanceOf(BadRequest.class).hasMessage("Body must hold one JSON object, but more follows it at line 1, column 6");
        assertThatThrownBy(() -> tolerant.parse(bytes("{\"note\": \"a\u0001\", \"qty\": 1}")))
                .isInstanceOf(BadRequest.class).hasMessageStartingWith("Body is not valid JSON at line 1, column 12: Illegal unquoted character");
        assertThatThrownBy(() -> tolerant.parse(bytes("{\"qty\": 1, \"qty\": 2}")))
                .isInstanceOf(BadRequest.class).hasMessage("Body is not valid JSON at line 1, column 17: Duplicate field 'qty'");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

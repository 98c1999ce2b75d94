package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets a 4xx JSON answer whose {@code message} names the problem, and
 * leaves the database exactly as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpBadInputTest {

    private static final String JSON_TYPE = "application/json";
    private static final String LONG = "x".repeat(256);

    private TestService api;

    @BeforeAll
    void start() {
        api = TestService.start(TestDatabase.Kind.H2);
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}").statusCode())
                .isEqualTo(201);
        assertThat(api.post("/add_batch", "{\"ref\": \"b2\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": \"2031-01-01\"}")
                .statusCode()).isEqualTo(201);
        assertThat(api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}").statusCode())
                .isEqualTo(202);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    /** One bad request: what is sent, and a fragment the answer's message must contain. */
    record Bad(String name, String path, String contentType, String body, String mentions) {
        @Override
        public String toString() {
            return name;
        }
    }

    Stream<Bad> badBodies() {
        return Stream.of(
                new Bad("malformed JSON", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": ", "not valid JSON"),
                new Bad("unquoted key", "/allocate", JSON_TYPE, "{orderid: \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", "not valid JSON"),
                new Bad("single quotes", "/allocate", JSON_TYPE, "{'orderid': 'o2', 'sku': 'LAMP', 'qty': 1}", "not valid JSON"),
                new Bad("trailing comma", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1,}", "not valid JSON"),
                new Bad("empty body", "/allocate", JSON_TYPE, "", "empty"),
                new Bad("blank body", "/allocate", JSON_TYPE, "  \n ", "empty"),
                new Bad("JSON array", "/allocate", JSON_TYPE, "[{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}]", "JSON object"),
                new Bad("JSON string", "/allocate", JSON_TYPE, "\"o2\"", "JSON object"),
                new Bad("JSON null", "/allocate", JSON_TYPE, "null", "JSON object"),
                new Bad("JSON number", "/allocate", JSON_TYPE, "42", "JSON object"),
                new Bad("two objects", "/allocate", JSON_TYPE,
                        "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}{\"orderid\": \"o3\", \"sku\": \"LAMP\", \"qty\": 1}", "one JSON object"),
                new Bad("duplicate key", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"qty\": 2}", "qty"),
                new Bad("deep nesting", "/allocate", JSON_TYPE, "[".repeat(5000), "nest"),
                new Bad("missing qty", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\"}", "'qty' is required"),
                new Bad("missing orderid", "/allocate", JSON_TYPE, "{\"sku\": \"LAMP\", \"qty\": 1}", "'orderid' is required"),
                new Bad("missing sku on deallocate", "/deallocate", JSON_TYPE, "{\"orderid\": \"o1\"}", "'sku' is required"),
                new Bad("missing ref on add_batch", "/add_batch", JSON_TYPE, "{\"sku\": \"LAMP\", \"qty\": 1}", "'ref' is required"),
                new Bad("empty object", "/change_batch_quantity", JSON_TYPE, "{}", "'ref' is required"),
                new Bad("unknown field", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"priority\": \"high\"}", "'priority'"),
                new Bad("misspelled field", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"ETA\": null}", "'ETA'"),
                new Bad("qty as string", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": \"1\"}", "'qty' must be a whole number"),
                new Bad("qty as float", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1.5}", "'qty' must be a whole number"),
                new Bad("qty as 1.0", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1.0}", "'qty' must be a whole number"),
                new Bad("qty as exponent", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1e1}", "'qty' must be a whole number"),
                new Bad("qty as boolean", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": true}", "'qty' must be a whole number"),
                new Bad("qty as object", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": {\"n\": 1}}", "'qty' must be a whole number"),
                new Bad("sku as number", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": 42, \"qty\": 1}", "'sku' must be a string"),
                new Bad("orderid as array", "/allocate", JSON_TYPE, "{\"orderid\": [\"o2\"], \"sku\": \"LAMP\", \"qty\": 1}", "'orderid' must be a string"),
                new Bad("ref as boolean", "/add_batch", JSON_TYPE, "{\"ref\": true, \"sku\": \"LAMP\", \"qty\": 1}", "'ref' must be a string"),
                new Bad("qty zero", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 0}", "'qty' must be from 1"),
                new Bad("qty negative", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": -3}", "'qty' must be from 1"),
                new Bad("batch qty zero", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 0}", "'qty' must be from 1"),
                new Bad("changed qty negative", "/change_batch_quantity", JSON_TYPE, "{\"ref\": \"b1\", \"qty\": -1}", "'qty' must be from 0"),
                new Bad("qty beyond int", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 2147483648}", "'qty' must be from 1 to 2147483647"),
                new Bad("qty huge", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 123456789012345678901234567890}", "'qty' must be from 1 to 2147483647"),
                new Bad("qty below int", "/change_batch_quantity", JSON_TYPE, "{\"ref\": \"b1\", \"qty\": -2147483649}", "'qty' must be from 0"),
                new Bad("impossible date", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"2026-02-30\"}", "'eta'"),
                new Bad("month 13", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"2026-13-01\"}", "'eta'"),
                new Bad("date in another format", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"30/01/2026\"}", "'eta' must be a date as YYYY-MM-DD"),
                new Bad("date with time", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"2026-01-30T10:00:00\"}", "'eta' must be a date as YYYY-MM-DD"),
                new Bad("date as number", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": 20260130}", "'eta' must be a date as YYYY-MM-DD"),
                new Bad("empty date", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"\"}", "'eta' must be a date as YYYY-MM-DD"),
                new Bad("null sku", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": null, \"qty\": 1}", "'sku' is required"),
                new Bad("null qty", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": null}", "'qty' is required"),
                new Bad("empty sku", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"\", \"qty\": 1}", "'sku' must not be empty"),
                new Bad("blank orderid", "/allocate", JSON_TYPE, "{\"orderid\": \"   \", \"sku\": \"LAMP\", \"qty\": 1}", "'orderid' must not be empty"),
                new Bad("empty ref", "/change_batch_quantity", JSON_TYPE, "{\"ref\": \"\", \"qty\": 1}", "'ref' must not be empty"),
                new Bad("long orderid", "/allocate", JSON_TYPE, "{\"orderid\": \"" + LONG + "\", \"sku\": \"LAMP\", \"qty\": 1}", "'orderid' must be at most 255"),
                new Bad("long ref", "/add_batch", JSON_TYPE, "{\"ref\": \"" + LONG + "\", \"sku\": \"LAMP\", \"qty\": 1}", "'ref' must be at most 255"),
                new Bad("long sku", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"" + LONG + "\", \"qty\": 1}", "'sku' must be at most 255"),
                new Bad("control character", "/allocate", JSON_TYPE, "{\"orderid\": \"o\\u0000 2\", \"sku\": \"LAMP\", \"qty\": 1}", "'orderid'"),
                new Bad("newline in a reference", "/add_batch", JSON_TYPE, "{\"ref\": \"b\\n9\", \"sku\": \"LAMP\", \"qty\": 1}", "'ref'"),
                new Bad("lone high surrogate", "/allocate", JSON_TYPE, "{\"orderid\": \"o\\ud800\", \"sku\": \"LAMP\", \"qty\": 1}", "'orderid'"),
                new Bad("lone low surrogate", "/add_batch", JSON_TYPE, "{\"ref\": \"b\\udc00\", \"sku\": \"LAMP\", \"qty\": 1}", "'ref'"),
                new Bad("text/plain", "/allocate", "text/plain", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", "Content-Type"),
                new Bad("form content type", "/add_batch", "application/x-www-form-urlencoded", "ref=b9&sku=LAMP&qty=1", "Content-Type"),
                new Bad("no content type", "/allocate", null, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", "Content-Type"),
                new Bad("json lookalike type", "/allocate", "application/jsonp", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", "Content-Type"),
                new Bad("oversized body", "/allocate", JSON_TYPE,
                        "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"pad\": \"" + "x".repeat(17 * 1024) + "\"}", "16384"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBodies")
    void bad_input_is_a_400_naming_the_problem_and_changes_nothing(Bad bad) {
        List<String> before = api.snapshot();

        HttpResponse<String> response = api.post(bad.path(), bad.body(), bad.contentType());

        assertThat(response.statusCode()).as(response.body()).isIn(400, 413);
        if (response.statusCode() == 413) {
            assertThat(bad.name()).isEqualTo("oversized body");
        }
        assertClearJsonMessage(response, bad.mentions());
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @Test
    void an_oversized_body_without_a_declared_length_is_refused_too() {
        List<String> before = api.snapshot();
        byte[] big = ("{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"pad\": \""
                + "x".repeat(64 * 1024) + "\"}").getBytes();
        HttpRequest chunked = HttpRequest.newBuilder(api.uri("/allocate"))
                .header("Content-Type", JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))
                .build();

        HttpResponse<String> response = api.send(chunked);

        assertThat(response.statusCode()).isIn(400, 413);
        assertClearJsonMessage(response, "16384");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    @Test
    void invalid_utf_8_is_refused_as_bad_json() {
        List<String> before = api.snapshot();
        byte[] head = "{\"orderid\": \"o".getBytes();
        byte[] tail = "\", \"sku\": \"LAMP\", \"qty\": 1}".getBytes();
        byte[] body = new byte[head.length + 2 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xC3;
        body[head.length + 1] = (byte) 0x28;
        System.arraycopy(tail, 0, body, head.length + 2, tail.length);
        HttpRequest request = HttpRequest.newBuilder(api.uri("/allocate"))
                .header("Content-Type", JSON_TYPE)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();

        HttpResponse<String> response = api.send(request);

        assertThat(response.statusCode()).isEqualTo(400);
        assertClearJsonMessage(response, "UTF-8");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    static Stream<Arguments> wrongRoutes() {
        return Stream.of(
                Arguments.of("GET", "/nowhere", 404),
                Arguments.of("POST", "/nowhere", 404),
                Arguments.of("GET", "/allocations", 404),
                Arguments.of("GET", "/allocate", 405),
                Arguments.of("DELETE", "/add_batch", 405),
                Arguments.of("PUT", "/allocate", 405),
                Arguments.of("POST", "/health", 405),
                Arguments.of("POST", "/allocations/o1", 405));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("wrongRoutes")
    void an_unknown_path_or_method_gets_a_json_answer(String method, String path, int status) {
        List<String> before = api.snapshot();
        HttpRequest request = HttpRequest.newBuilder(api.uri(path))
                .header("Content-Type", JSON_TYPE)
                .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                .build();

        HttpResponse<String> response = api.send(request);

        assertThat(response.statusCode()).isEqualTo(status);
        assertClearJsonMessage(response, path);
        assertThat(api.snapshot()).isEqualTo(before);
    }

    static Stream<Arguments> malformedHttp() {
        return Stream.of(
                Arguments.of("bad percent-encoding", "GET /allocations/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "400"),
                Arguments.of("URI too long", "GET /allocations/" + "o".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "414"),
                Arguments.of("header too large", "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "h".repeat(20_000)
                        + "\r\nConnection: close\r\n\r\n", "431"),
                Arguments.of("chunked body that lies", "POST /allocate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", "400"),
                Arguments.of("content length beyond the body", "POST /allocate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 5000\r\nConnection: close\r\n\r\n{}", "400"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHttp")
    void malformed_http_gets_a_json_error_not_an_html_page(String name, String raw, String status) throws Exception {
        List<String> before = api.snapshot();
        String answer;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", api.service().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(raw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            if (name.startsWith("content length")) {
                socket.shutdownOutput();
            }
            answer = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(answer).startsWith("HTTP/1.1 " + status);
        assertThat(answer).containsIgnoringCase("Content-Type: application/json").doesNotContain("<html");
        assertThat(answer).contains("\"message\"");
        assertThat(api.snapshot()).isEqualTo(before);
    }

    private static void assertClearJsonMessage(HttpResponse<String> response, String mentions) {
        assertThat(response.headers().firstValue("Content-Type")).as(response.body())
                .hasValueSatisfying(type -> assertThat(type).startsWith("application/json"));
        JsonNode body = json(response);
        assertThat(body.isObject()).as(response.body()).isTrue();
        String message = body.path("message").asText("");
        assertThat(message).as(response.body()).containsIgnoringCase(mentions);
        assertThat(message).as("no parser internals in " + message)
                .doesNotContainIgnoringCase("jackson")
                .doesNotContain("Source:")
                .doesNotContain("com.fasterxml")
                .doesNotContain("Feature")
                .doesNotContain("<html")
                .doesNotContain("Exception");
    }
}

package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
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
 * Bad input through the server: a bad body (a few per endpoint; JsonBodyTest and FieldsTest read every kind
 * directly), an unknown route or method, malformed HTTP. Each gets a 4xx JSON answer whose
 * {@code message} names the problem, and leaves the database exactly as it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpBadInputTest {

    private static final String JSON_TYPE = "application/json";

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

    /**
     * The wiring only: that each endpoint reads its body through JsonBody with its own fields, types
     * and minimums, and that a refusal becomes a 400 (413 for a body over the limit). Every way a body
     * can be bad is read directly in JsonBodyTest and FieldsTest.
     */
    Stream<Bad> badBodies() {
        return Stream.of(
                new Bad("malformed JSON", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": ", "not valid JSON"),
                new Bad("text/plain", "/allocate", "text/plain", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", "Content-Type"),
                new Bad("oversized body", "/allocate", JSON_TYPE,
                        "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"pad\": \"" + "x".repeat(17 * 1024) + "\"}", "16384"),
                new Bad("missing qty", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\"}", "'qty' is required"),
                new Bad("qty as string", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": \"1\"}", "'qty' must be a whole number"),
                new Bad("qty zero", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 0}", "'qty' must be from 1"),
                new Bad("unknown field", "/allocate", JSON_TYPE, "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1, \"priority\": \"high\"}", "'priority'"),
                new Bad("missing ref on add_batch", "/add_batch", JSON_TYPE, "{\"sku\": \"LAMP\", \"qty\": 1}", "'ref' is required"),
                new Bad("ref as boolean", "/add_batch", JSON_TYPE, "{\"ref\": true, \"sku\": \"LAMP\", \"qty\": 1}", "'ref' must be a string"),
                new Bad("batch qty zero", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 0}", "'qty' must be from 1"),
                new Bad("misspelled field", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"ETA\": null}", "'ETA'"),
                new Bad("date in another format", "/add_batch", JSON_TYPE, "{\"ref\": \"b9\", \"sku\": \"LAMP\", \"qty\": 1, \"eta\": \"30/01/2026\"}", "'eta' must be a date as YYYY-MM-DD"),
                new Bad("missing sku on deallocate", "/deallocate", JSON_TYPE, "{\"orderid\": \"o1\"}", "'sku' is required"),
                new Bad("qty on deallocate", "/deallocate", JSON_TYPE, "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}", "'qty'"),
                new Bad("empty object", "/change_batch_quantity", JSON_TYPE, "{}", "'ref' is required"),
                new Bad("changed qty negative", "/change_batch_quantity", JSON_TYPE, "{\"ref\": \"b1\", \"qty\": -1}", "'qty' must be from 0"),
                new Bad("seq as string", "/change_batch_quantity", JSON_TYPE, "{\"ref\": \"b1\", \"qty\": 1, \"seq\": \"7\"}", "'seq' must be a whole number"));
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

    @Test
    void a_404_a_route_answers_keeps_its_own_message() {
        HttpResponse<String> noOrder = api.get("/allocations/nobody");
        HttpResponse<String> noFile = api.get("/static/nothing.js");

        assertThat(noOrder.statusCode()).isEqualTo(404);
        assertThat(json(noOrder).path("message").asText()).isEqualTo("No allocations for order nobody");
        assertThat(noFile.statusCode()).isEqualTo(404);
        assertThat(json(noFile).path("message").asText()).isEqualTo("No such file: /static/nothing.js");
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

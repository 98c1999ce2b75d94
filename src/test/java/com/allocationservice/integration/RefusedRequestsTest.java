package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests the HTTP server refuses before any route runs (bad URI encoding, ambiguous paths,
 * oversized headers or URIs) get a JSON message naming the problem, and a keep-alive client can
 * tell what happens to its connection: either the next request on it is answered, or the refusal
 * said {@code Connection: close}. Sent over a raw socket, as no HTTP client sends such requests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefusedRequestsTest {

    private TestService api;

    @BeforeAll
    void start() {
        api = TestService.start(TestDatabase.Kind.H2);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    /** A request line's target and extra header lines, the status expected, and words the message must contain. */
    record Refused(String name, String target, String headers, int status, String mentions) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Refused> refused() {
        return Stream.of(
                new Refused("bad percent-encoding", "/allocations/abc%zz", "", 400, "encoding"),
                new Refused("truncated percent-encoding", "/allocations/abc%2", "", 400, "encoding"),
                new Refused("encoded NUL", "/allocations/abc%00def", "", 400, "NUL"),
                new Refused("encoded dot segment", "/allocations/%2e", "", 400, "ambiguous"),
                new Refused("empty segment", "/allocations//orders", "", 400, "empty"),
                new Refused("encoded dot-dot segment", "/allocations/%2e%2e", "", 400, "ambiguous"),
                new Refused("encoded dot-dot with slash", "/allocations/%2e%2e/orders", "", 400, "ambiguous"),
                new Refused("encoded backslash", "/allocations/abc%5cdef", "", 400, "suspicious"),
                new Refused("negative Content-Length", "/health", "Content-Length: -1\r\n", 400, "Content-Length"),
                new Refused("Content-Length not a number", "/health", "Content-Length: abc\r\n", 400, "Content-Length"),
                new Refused("oversized header", "/health", "X-Padding: " + "x".repeat(20_000) + "\r\n", 431, "headers too large"),
                new Refused("over-long URI", "/allocations/" + "x".repeat(20_000), "", 414, "URI too long"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void a_request_the_server_refuses_gets_a_json_message_naming_the_problem_and_the_connection_stays_clear(
            Refused request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", api.service().port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();

            out.write(("GET " + request.target() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + request.headers() + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Response refusal = Response.read(in);

            assertThat(refusal.status()).as(refusal.toString()).isEqualTo(request.status());
            assertThat(refusal.headers().get("content-type")).startsWith("application/json");
            assertThat(TestService.json(refusal.body()).path("message").asText())
                    .as(refusal.toString()).containsIgnoringCase(request.mentions());

            if ("close".equalsIgnoreCase(refusal.headers().get("connection"))) {
                assertThat(in.read()).as("the server closes the connection it said it would close").isEqualTo(-1);
            } else {
                out.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Response next = Response.read(in);
                assertThat(next.status()).as("the next request on the connection, after %s", refusal).isEqualTo(200);
            }
        }
    }

    @Test
    void an_encoded_slash_or_percent_is_part_of_an_id_not_a_separator() {
        for (String order : List.of("PO/2026/1", "50%-off", "../x")) {
            assertThat(api.post("/add_batch", "{\"ref\": \"b-" + order + "\", \"sku\": \"SKU-" + order + "\", \"qty\": 5}")
                    .statusCode()).isEqualTo(201);
            assertThat(api.post("/allocate", "{\"orderid\": \"" + order + "\", \"sku\": \"SKU-" + order + "\", \"qty\": 1}")
                    .statusCode()).isEqualTo(202);

            HttpResponse<String> read = api.get("/allocations/" + URLEncoder.encode(order, StandardCharsets.UTF_8));

            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(TestService.json(read).get(0).path("batchref").asText()).isEqualTo("b-" + order);
        }
    }

    /** An HTTP/1.1 response read off the socket: status, headers (names in lower case), body. */
    record Response(int status, Map<String, String> headers, String body) {

        static Response read(InputStream in) throws IOException {
            String statusLine = line(in);
            if (statusLine == null) {
                throw new IOException("the server closed the connection without an answer");
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (String line = line(in); line != null && !line.isEmpty(); line = line(in)) {
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), line.substring(colon + 1).strip());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            return new Response(Integer.parseInt(statusLine.split(" ")[1]), headers,
                    new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.ISO_8859_1);
        }
    }
}

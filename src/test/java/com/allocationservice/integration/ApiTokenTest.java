package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.allocationservice.entrypoints.Scope;
import com.allocationservice.support.Closing;
import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.router.Endpoint;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * With API tokens configured (a tokens file and {@code ALLOCATION_API_TOKEN} together), every route of
 * the app (read from Javalin's router, so a new endpoint cannot escape this test) but health, metrics,
 * the API docs and the operators' page answers 401 to a request without a known bearer token, and 403
 * to a token that has every scope but the route's, changing nothing; a token with only the route's
 * scope, and {@code ALLOCATION_API_TOKEN}, get through. The route's scope is the one the OpenAPI
 * document lists for it. Without tokens, everything is open.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiTokenTest {

    private static final String TOKEN = "s3cret-token-0123456789";

    /** What a request that succeeds looks like, for every route, and the scope it needs (null: open). */
    private record Example(String path, String body, int status, Scope scope) {

        Example(String path, String body, int status) {
            this(path, body, status, null);
        }
    }

    private static final Map<String, Example> EXAMPLES = Map.ofEntries(
            Map.entry("POST /add_batch", new Example("/add_batch", "{\"ref\": \"b2\", \"sku\": \"LAMP\", \"qty\": 5, \"eta\": null}", 201, Scope.PURCHASE)),
            Map.entry("POST /allocate", new Example("/allocate", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}", 202, Scope.ALLOCATE)),
            Map.entry("POST /deallocate", new Example("/deallocate", "{\"orderid\": \"o9\", \"sku\": \"LAMP\"}", 200, Scope.ALLOCATE)),
            Map.entry("POST /change_batch_quantity", new Example("/change_batch_quantity", "{\"ref\": \"b1\", \"qty\": 20}", 200, Scope.PURCHASE)),
            Map.entry("GET /allocations/{orderid}", new Example("/allocations/o1", null, 200, Scope.READ)),
            Map.entry("GET /orders/{orderid}", new Example("/orders/o1", null, 200, Scope.READ)),
            Map.entry("GET /orders/{orderid}/history", new Example("/orders/o1/history", null, 200, Scope.READ)),
            Map.entry("GET /products", new Example("/products", null, 200, Scope.READ)),
            Map.entry("GET /products/{sku}/stock", new Example("/products/LAMP/stock", null, 200, Scope.READ)),
            Map.entry("GET /health", new Example("/health", null, 200)),
            Map.entry("GET /health/live", new Example("/health/live", null, 200)),
            Map.entry("GET /health/ready", new Example("/health/ready", null, 200)),
            Map.entry("GET /metrics", new Example("/metrics", null, 200)),
            Map.entry("GET /openapi.json", new Example("/openapi.json", null, 200)),
            Map.entry("GET /docs", new Example("/docs", null, 200)),
            Map.entry("GET /docs/{asset}", new Example("/docs/swagger-ui.css", null, 200)),
            Map.entry("GET /static/{file}", new Example("/static/app.js", null, 200)),
            Map.entry("GET /status", new Example("/status", null, 200, Scope.READ)),
            Map.entry("GET /status/history", new Example("/status/history", null, 200, Scope.READ)),
            Map.entry("GET /", new Example("/", null, 200)),
            // without Redis (this service has none) the dead letters answer 503; the scope is checked first
            Map.entry("GET /dead-letters", new Example("/dead-letters", null, 503, Scope.OPERATE)),
            Map.entry("GET /dead-letters/{id}", new Example("/dead-letters/1-0", null, 503, Scope.OPERATE)),
            Map.entry("POST /dead-letters/replay", new Example("/dead-letters/replay", null, 503, Scope.OPERATE)),
            Map.entry("POST /dead-letters/{id}/replay", new Example("/dead-letters/1-0/replay", null, 503, Scope.OPERATE)),
            Map.entry("POST /dead-letters/{id}/discard", new Example("/dead-letters/1-0/discard", "{\"reason\": \"x\"}", 503, Scope.OPERATE)),
            Map.entry("GET /parked", new Example("/parked", null, 200, Scope.OPERATE)),
            Map.entry("GET /parked/{id}", new Example("/parked/999", null, 404, Scope.OPERATE)),
            Map.entry("POST /parked/replay", new Example("/parked/replay", null, 200, Scope.OPERATE)),
            Map.entry("POST /parked/{id}/replay", new Example("/parked/999/replay", null, 404, Scope.OPERATE)),
            Map.entry("POST /parked/{id}/discard", new Example("/parked/999/discard", "{\"reason\": \"x\"}", 404, Scope.OPERATE)),
            Map.entry("GET /operator-actions", new Example("/operator-actions", null, 200, Scope.OPERATE)));

    /** The operators' page and its files: they hold no data, and ask for the token themselves. */
    private static final List<String> PAGE_PATHS = List.of("/", "/static/app.js", "/static/style.css",
            "/static/uPlot.iife.min.js", "/static/uPlot.min.css");

    /** Headers that must not let a request through: absent, malformed, or carrying a wrong token. */
    private static final List<String> REFUSED_HEADERS = List.of(
            "",
            "Bearer",
            "Bearer ",
            TOKEN,
            "Token " + TOKEN,
            "Basic " + Base64.getEncoder().encodeToString(("user:" + TOKEN).getBytes(StandardCharsets.UTF_8)),
            "Bearer wrong-token-0123456789",
            "Bearer " + TOKEN.substring(0, TOKEN.length() - 1),
            "Bearer " + TOKEN + "x",
            "Bearer " + TOKEN.toUpperCase());

    /** In the tokens file: for each scope, a token with only that scope, and one with every other. */
    private static final Map<Scope, String> ONLY = new EnumMap<>(Scope.class);
    private static final Map<Scope, String> ALL_BUT = new EnumMap<>(Scope.class);

    private Path tokensFile;
    private TestService secured;
    private TestService open;

    @BeforeAll
    void start() throws IOException {
        StringBuilder file = new StringBuilder("# one token per scope, and one with every scope but it\n");
        for (Scope scope : Scope.values()) {
            ONLY.put(scope, "only-" + scope.label() + "-0123456789");
            ALL_BUT.put(scope, "all-but-" + scope.label() + "-0123456789");
            file.append("only-").append(scope.label()).append(' ').append(scope.label()).append(' ')
                    .append(digest(ONLY.get(scope))).append('\n');
            file.append("all-but-").append(scope.label()).append(' ').append(Arrays.stream(Scope.values())
                    .filter(other -> other != scope).map(Scope::label).collect(Collectors.joining(","))).append(' ')
                    .append(digest(ALL_BUT.get(scope))).append('\n');
        }
        tokensFile = Files.createTempFile("api-tokens", ".txt");
        Files.writeString(tokensFile, file);
        secured = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKEN", TOKEN,
                "ALLOCATION_API_TOKENS_FILE", tokensFile.toString()));
        open = TestService.start(TestDatabase.Kind.H2);
        for (TestService api : List.of(secured, open)) {
            String auth = api == secured ? "Bearer " + TOKEN : null;
            assertThat(send(api, "POST", "/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}", auth)
                    .statusCode()).isEqualTo(201);
            for (String order : List.of("o1", "o9")) {
                assertThat(send(api, "POST", "/allocate", "{\"orderid\": \"" + order + "\", \"sku\": \"LAMP\", \"qty\": 1}",
                        auth).statusCode()).isEqualTo(202);
            }
        }
    }

    @AfterAll
    void stop() {
        Closing.all(secured, open, () -> {
            if (tokensFile != null) {
                Files.deleteIfExists(tokensFile);
            }
        });
    }

    /** "METHOD /path" of every HTTP route the app serves (before and after filters excluded). */
    Stream<String> routes() {
        List<String> routes = secured.service().http().unsafe.internalRouter.allHttpHandlers().stream()
                .map(parsed -> parsed.endpoint)
                .filter(endpoint -> endpoint.method.isHttpMethod())
                .map(ApiTokenTest::route)
                .distinct().toList();
        assertThat(routes).as("the router lists the app's routes").contains("POST /allocate", "GET /health", "GET /metrics");
        return routes.stream();
    }

    Stream<String> protectedRoutes() {
        return routes().filter(route -> !isOpen(route));
    }

    Stream<String> openRoutes() {
        return routes().filter(ApiTokenTest::isOpen);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protectedRoutes")
    void a_route_refuses_unknown_tokens_with_401_and_tokens_without_its_scope_with_403_and_serves_its_scope(String route) {
        Example example = example(route);
        String method = route.substring(0, route.indexOf(' '));
        assertThat(example.scope()).as("%s has a scope", route).isNotNull();
        List<String> before = secured.snapshot();

        for (String header : REFUSED_HEADERS) {
            HttpResponse<String> refused = send(secured, method, example.path(), example.body(),
                    header.isEmpty() ? null : header);

            assertThat(refused.statusCode()).as("%s with Authorization '%s': %s", route, header, refused.body())
                    .isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/json"));
            assertThat(TestService.message(refused)).isNotBlank().doesNotContain(TOKEN);
            assertThat(secured.snapshot()).as("a refused %s changes nothing", route).isEqualTo(before);
        }

        HttpResponse<String> forbidden = send(secured, method, example.path(), example.body(),
                "Bearer " + ALL_BUT.get(example.scope()));

        assertThat(forbidden.statusCode()).as("%s with every scope but %s: %s", route, example.scope(), forbidden.body())
                .isEqualTo(403);
        assertThat(TestService.message(forbidden)).isEqualTo("Token 'all-but-" + example.scope().label()
                + "' lacks the scope '" + example.scope().label() + "' for " + route);
        assertThat(secured.snapshot()).as("a forbidden %s changes nothing", route).isEqualTo(before);

        HttpResponse<String> served = send(secured, method, example.path(), example.body(),
                "Bearer " + ONLY.get(example.scope()));

        assertThat(served.statusCode()).as("%s with only %s: %s", route, example.scope(), served.body())
                .isEqualTo(example.status());
        if (example.body() != null && example.status() < 300) {
            assertThat(secured.snapshot()).as("the same %s with its scope changes something", route).isNotEqualTo(before);
        }
        HttpResponse<String> single = send(secured, method, example.path(), example.body(), "Bearer " + TOKEN);
        assertThat(single.statusCode()).as("%s with ALLOCATION_API_TOKEN: %s", route, single.body()).isNotIn(401, 403);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void the_openapi_document_lists_the_scope_each_route_needs(String route) {
        Example example = example(route);
        String method = route.substring(0, route.indexOf(' ')).toLowerCase(Locale.ROOT);
        String path = route.substring(route.indexOf(' ') + 1);
        JsonNode operation = OpenApiContract.document().path("paths").path(path).path(method);

        JsonNode security = operation.path("security");
        if (example.scope() == null) {
            assertThat(security.isArray() && security.isEmpty()).as("%s is open", route).isTrue();
        } else {
            assertThat(security.toString()).as(route).isEqualTo("[{\"bearerToken\":[\"" + example.scope().label() + "\"]}]");
            assertThat(operation.path("responses").has("403")).as("%s lists 403", route).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("routes")
    void a_head_request_needs_the_scope_of_its_get_route(String route) throws Exception {
        Example example = example(route);
        if (route.startsWith("GET ")) {
            String token = example.scope() == null ? null : "Bearer " + ONLY.get(example.scope());
            // Javalin answers a HEAD without running the GET route's handler: only a success is the same
            int status = head(example.path(), token);
            assertThat(status).as(route).isEqualTo(example.status() < 300 ? example.status() : 200);
            if (example.scope() != null) {
                assertThat(head(example.path(), "Bearer " + ALL_BUT.get(example.scope()))).as(route).isEqualTo(403);
                assertThat(head(example.path(), null)).as(route).isEqualTo(401);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protectedRoutes")
    void the_scheme_name_is_case_insensitive(String route) {
        Example example = example(route);
        if (route.startsWith("GET ")) {
            HttpResponse<String> response = send(secured, "GET", example.path(), null, "bearer " + TOKEN);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(example.status());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("openRoutes")
    void health_metrics_the_api_docs_and_the_page_answer_without_a_token(String route) {
        Example example = example(route);

        HttpResponse<String> response = send(secured, "GET", example.path(), null, null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(example.status());
    }

    @Test
    void the_page_and_its_files_are_served_without_a_token_and_hold_no_data() {
        for (String path : PAGE_PATHS) {
            HttpResponse<String> response = send(secured, "GET", path, null, null);

            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).as(path).hasValueSatisfying(
                    type -> assertThat(type).startsWith(path.endsWith(".js") ? "text/javascript"
                            : path.endsWith(".css") ? "text/css" : "text/html"));
            assertThat(response.body()).as(path).doesNotContain("LAMP", "b1", TOKEN);
        }
        assertThat(send(secured, "POST", "/", "{}", null).statusCode()).as("only reading the page is open").isEqualTo(401);
        assertThat(send(secured, "GET", "/static/no-such-file.js", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void an_unknown_path_without_the_token_is_refused_too() {
        HttpResponse<String> response = send(secured, "POST", "/no_such_endpoint", "{}", null);

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void a_path_through_health_or_the_page_does_not_escape_the_token() {
        List<String> before = secured.snapshot();
        for (String path : List.of("/health/../add_batch", "/health/..%2fadd_batch", "/health/%2e%2e/add_batch",
                "/metrics/../add_batch", "/health;x=1/../add_batch", "/docs/../add_batch", "/docs/..%2fadd_batch",
                "/docs/%2e%2e/add_batch", "/openapi.json/../add_batch", "/static/../add_batch", "/static/..%2fadd_batch",
                "/static/%2e%2e/add_batch", "/static;x=1/../add_batch")) {
            HttpResponse<String> response = send(secured, "POST", path,
                    "{\"ref\": \"b7\", \"sku\": \"LAMP\", \"qty\": 5, \"eta\": null}", null);

            assertThat(response.statusCode()).as("%s: %s", path, response.body()).isIn(400, 401, 404, 405);
        }
        assertThat(secured.snapshot()).isEqualTo(before);
    }

    @Test
    void a_read_through_the_pages_paths_does_not_escape_the_token() {
        for (String path : List.of("/static/../products/LAMP/stock", "/static/..%2fproducts/LAMP/stock",
                "/static/%2e%2e/products/LAMP/stock", "/static;x=1/../products/LAMP/stock", "/static/%2e%2e/status",
                "/static/../orders/o1", "//products/LAMP/stock", "/;/products/LAMP/stock")) {
            HttpResponse<String> response = send(secured, "GET", path, null, null);

            assertThat(response.statusCode()).as("%s: %s", path, response.body()).isIn(400, 401, 404);
            assertThat(response.body()).as(path).doesNotContain("b1", "o1\"", "database");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("protectedRoutes")
    void without_a_configured_token_every_route_is_open(String route) {
        Example example = example(route);
        String method = route.substring(0, route.indexOf(' '));

        HttpResponse<String> response = send(open, method, example.path(), example.body(), null);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(example.status());
    }

    /** The status of a HEAD request: answered by the GET route, outside the document (which lists no HEAD). */
    private int head(String path, String authorization) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(secured.uri(path)).method("HEAD", HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        }
    }

    private static Example example(String route) {
        Example example = EXAMPLES.get(route);
        if (example == null) {
            fail("No example request for the new route " + route + ": add one to EXAMPLES, so the token is tested on it");
        }
        return example;
    }

    /** Health and metrics (probes and scrapers carry no token), the API's documentation and the page. */
    private static boolean isOpen(String route) {
        String path = route.substring(route.indexOf(' ') + 1);
        return path.equals("/health") || path.startsWith("/health/") || path.equals("/metrics")
                || path.equals("/openapi.json") || path.equals("/docs") || path.startsWith("/docs/")
                || route.equals("GET /") || route.equals("GET /static/{file}");
    }

    private static String digest(String token) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String route(Endpoint endpoint) {
        return endpoint.method.name() + " " + endpoint.path;
    }

    private static HttpResponse<String> send(TestService api, String method, String path, String body, String authorization) {
        HttpRequest.Builder request = HttpRequest.newBuilder(api.uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return api.send(request.build());
    }
}

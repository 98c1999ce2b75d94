package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The OpenAPI document is served as written at /openapi.json and rendered at /docs from files of the
 * service alone; it lists exactly the app's routes; and {@link OpenApiContract}, through which every
 * HTTP test's responses pass, refuses a response that differs from it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiTest {

    private static final List<String> JSON_HEADERS = List.of("content-type");

    private TestService api;

    @BeforeAll
    void start() {
        api = TestService.start(TestDatabase.Kind.H2);
    }

    @AfterAll
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void the_document_is_served_as_written() {
        HttpResponse<String> response = api.get("/openapi.json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(TestService.json(response)).isEqualTo(OpenApiContract.document());
        assertThat(OpenApiContract.document().path("openapi").textValue()).startsWith("3.1.");
    }

    @Test
    void the_document_lists_exactly_the_routes_of_the_app() {
        List<String> routes = api.service().http().unsafe.internalRouter.allHttpHandlers().stream()
                .map(parsed -> parsed.endpoint)
                .filter(endpoint -> endpoint.method.isHttpMethod())
                .map(endpoint -> endpoint.method.name() + " " + endpoint.path)
                .distinct().toList();
        List<String> documented = new ArrayList<>();
        OpenApiContract.document().path("paths").properties().forEach(path -> path.getValue().fieldNames()
                .forEachRemaining(method -> documented.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey())));

        assertThat(documented).containsExactlyInAnyOrderElementsOf(routes);
    }

    @Test
    void every_operation_but_health_metrics_docs_and_the_page_needs_the_bearer_token() {
        JsonNode document = OpenApiContract.document();
        assertThat(document.at("/components/securitySchemes/bearerToken/type").textValue()).isEqualTo("http");
        assertThat(document.at("/components/securitySchemes/bearerToken/scheme").textValue()).isEqualTo("bearer");
        assertThat(document.at("/security/0").has("bearerToken")).isTrue();
        document.path("paths").properties().forEach(path -> path.getValue().properties().forEach(operation -> {
            boolean open = path.getKey().startsWith("/health") || path.getKey().equals("/metrics")
                    || path.getKey().equals("/openapi.json") || path.getKey().startsWith("/docs") || path.getKey().equals("/")
                    || path.getKey().equals("/static/{file}");
            JsonNode security = operation.getValue().get("security");
            assertThat(security != null && security.isEmpty()).as("%s %s is open", operation.getKey(), path.getKey())
                    .isEqualTo(open);
            assertThat(operation.getValue().path("responses").has("401")).as("%s %s lists 401", operation.getKey(), path.getKey())
                    .isEqualTo(!open);
        }));
    }

    @Test
    void the_docs_page_loads_only_files_the_service_serves() {
        HttpResponse<String> page = api.get("/docs");

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        Matcher link = Pattern.compile("(?:src|href|url)\\s*[=:]\\s*\"([^\"]+)\"").matcher(page.body());
        List<String> links = new ArrayList<>();
        while (link.find()) {
            links.add(link.group(1));
        }
        assertThat(links).containsExactlyInAnyOrder("docs/swagger-ui.css", "docs/swagger-ui-bundle.js", "openapi.json");
        for (String file : links) {
            HttpResponse<String> response = api.get("/" + file);
            assertThat(response.statusCode()).as(file).isEqualTo(200);
            assertThat(response.body()).as(file).hasSizeGreaterThan(10);
        }
        assertThat(api.get("/docs/swagger-ui-bundle.js").body()).contains("SwaggerUIBundle");
        assertThat(page.body()).contains("validatorUrl: null");
    }

    @Test
    void no_other_file_of_the_jar_is_served_under_docs() {
        for (String path : Set.of("/docs/index.html", "/docs/swagger-initializer.js", "/docs/..%2fopenapi.json",
                "/docs/%2e%2e%2fMETA-INF%2fMANIFEST.MF")) {
            HttpResponse<String> response = api.get(path);

            assertThat(response.statusCode()).as(path).isIn(400, 404);
            assertThat(TestService.message(response)).isNotBlank();
        }
    }

    @Test
    void a_response_matching_the_document_passes() {
        assertThat(problems("POST", "/allocate", 202, "application/json", "{\"batchref\": \"b1\"}")).isEmpty();
        assertThat(problems("GET", "/orders/PO%2F1", 200, "application/json",
                "[{\"sku\": \"LAMP\", \"qty\": 2, \"batchref\": null, \"status\": \"backordered\"}]")).isEmpty();
        assertThat(problems("GET", "/nowhere", 404, "application/json", "{\"message\": \"No such endpoint\"}")).isEmpty();
        assertThat(problems("GET", "/orders/o1/history", 200, "application/json",
                "[{\"at\": \"2026-12-06T17:00:00.123456Z\", \"sku\": \"LAMP\", \"kind\": \"moved\", \"batchref\": \"b2\", \"cause\": \"change_batch_quantity\", \"cause_ref\": \"b1\", \"cause_key\": \"7\", \"source\": \"http\", \"source_id\": \"clerk\"}, {\"at\": \"2026-12-06T17:00:00.123456Z\", \"sku\": \"LAMP\", \"kind\": \"backordered\", \"batchref\": null, \"cause\": \"change_batch_quantity\", \"cause_ref\": \"b1\", \"cause_key\": \"7\", \"source\": \"http\", \"source_id\": null}]")).isEmpty();
    }

    @Test
    void a_response_with_a_renamed_field_is_refused() {
        assertThat(problems("POST", "/allocate", 202, "application/json", "{\"batch\": \"b1\"}"))
                .anySatisfy(problem -> assertThat(problem).contains("batchref"));
        assertThat(problems("GET", "/products/LAMP/stock", 200, "application/json",
                "{\"sku\": \"LAMP\", \"batches\": [], \"warehouse\": {\"purchased\": 0, \"allocated\": 0, \"available\": 0},"
                        + " \"incoming\": {\"purchased\": 0, \"allocated\": 0, \"free\": 0}, \"backorder\": []}")).isNotEmpty();
        assertThat(problems("POST", "/deallocate", 404, "application/json", "{\"error\": \"No such line\"}")).isNotEmpty();
    }

    @Test
    void a_response_of_the_wrong_type_is_refused() {
        assertThat(problems("GET", "/orders/o1", 200, "application/json",
                "[{\"sku\": \"LAMP\", \"qty\": \"2\", \"batchref\": \"b1\", \"status\": \"allocated\"}]")).isNotEmpty();
        assertThat(problems("GET", "/orders/o1", 200, "application/json",
                "[{\"sku\": \"LAMP\", \"qty\": 2, \"batchref\": \"b1\", \"status\": \"shipped\"}]")).isNotEmpty();
        assertThat(problems("GET", "/orders/o1/history", 200, "application/json",
                "[{\"at\": \"2026-12-06T17:00:00.123456Z\", \"sku\": \"LAMP\", \"kind\": \"shipped\", \"batchref\": \"b2\", \"cause\": \"change_batch_quantity\", \"cause_ref\": \"b1\", \"cause_key\": \"7\", \"source\": \"http\", \"source_id\": \"clerk\"}]")).isNotEmpty();
        assertThat(problems("GET", "/orders/o1/history", 200, "application/json", "[]")).isNotEmpty();
        assertThat(problems("GET", "/health", 200, "text/plain", "UP")).isNotEmpty();
        assertThat(problems("GET", "/health", 200, "application/json", "")).isNotEmpty();
    }

    @Test
    void an_undocumented_status_or_a_missing_header_is_refused() {
        assertThat(problems("GET", "/products/LAMP/stock", 409, "application/json", "{\"message\": \"x\"}"))
                .anySatisfy(problem -> assertThat(problem).contains("status 409 is not documented"));
        assertThat(problems("POST", "/allocate", 401, "application/json", "{\"message\": \"Invalid API token\"}"))
                .anySatisfy(problem -> assertThat(problem).contains("WWW-Authenticate"));
        assertThat(problems("GET", "/nowhere", 200, "application/json", "{}")).isNotEmpty();
    }

    @Test
    void check_fails_the_test_with_what_differs() {
        assertThatThrownBy(() -> OpenApiContract.check("POST", URI.create("http://127.0.0.1/allocate"), 202,
                "application/json", JSON_HEADERS, "{\"batch\": \"b1\"}"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("POST /allocate").hasMessageContaining("batchref");
    }

    private static List<String> problems(String method, String path, int status, String contentType, String body) {
        return OpenApiContract.problems(method, path, status, contentType, JSON_HEADERS, body);
    }
}

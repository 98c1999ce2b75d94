package com.allocationservice.integration;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.Settings;
import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The real service, started by {@link Bootstrap#start} on a free port over a fresh test database,
 * and a plain {@link HttpClient} to talk to it, whose every response is checked against the OpenAPI
 * document.
 */
final class TestService implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    private final TestDatabase db;
    private final Bootstrap.Service service;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestService(TestDatabase db, Bootstrap.Service service) {
        this.db = db;
        this.service = service;
    }

    static TestService start(TestDatabase.Kind kind) {
        return start(kind, Map.of());
    }

    /** The service with these settings added to (or replacing) the test's defaults. */
    static TestService start(TestDatabase.Kind kind, Map<String, String> settings) {
        return start(kind, db -> settings);
    }

    /** The same, with settings that depend on the test database (a second URL to it, its URL through a proxy). */
    static TestService start(TestDatabase.Kind kind, Function<TestDatabase, Map<String, String>> settings) {
        return start(kind, settings, Clock.systemUTC());
    }

    /** The same, the charts' samples timed by {@code clock}. */
    static TestService start(TestDatabase.Kind kind, Map<String, String> settings, Clock clock) {
        return start(kind, db -> settings, clock);
    }

    private static TestService start(TestDatabase.Kind kind, Function<TestDatabase, Map<String, String>> settings,
            Clock clock) {
        TestDatabase db = TestDatabase.create(kind, 2);
        try {
            Map<String, String> env = new HashMap<>(environment(db));
            env.putAll(settings.apply(db));
            return new TestService(db, Bootstrap.start(Settings.fromEnvironment(env), clock));
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
    }

    static Settings settings(TestDatabase db) {
        return Settings.fromEnvironment(environment(db));
    }

    private static Map<String, String> environment(TestDatabase db) {
        return Map.of("ALLOCATION_HTTP_PORT", "0", "ALLOCATION_DB_URL", db.url(),
                "ALLOCATION_DB_USER", db.user(), "ALLOCATION_DB_POOL_SIZE", "4",
                "ALLOCATION_RELAY_ENABLED", "false", "ALLOCATION_CONSUMER_ENABLED", "false");
    }

    TestDatabase db() {
        return db;
    }

    Bootstrap.Service service() {
        return service;
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + service.port() + path);
    }

    HttpResponse<String> post(String path, String body) {
        return post(path, body, "application/json");
    }

    HttpResponse<String> post(String path, String body, String contentType) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return send(request.build());
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    /** Sends the request and checks the response against the OpenAPI document ({@link OpenApiContract}). */
    HttpResponse<String> send(HttpRequest request) {
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            OpenApiContract.check(request.method(), request.uri(), response);
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON (" + response.statusCode() + "): " + response.body(), e);
        }
    }

    static String message(HttpResponse<String> response) {
        JsonNode message = json(response).get("message");
        if (message == null || !message.isTextual()) {
            throw new AssertionError("no message in " + response.statusCode() + " " + response.body());
        }
        return message.textValue();
    }

    static String body(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every row of every table, as text, in a stable order: to show that nothing changed. */
    List<String> snapshot() {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection()) {
            for (String sql : List.of(
                    "SELECT 'product', sku, CAST(version AS VARCHAR) FROM products ORDER BY sku",
                    "SELECT 'batch', reference || '/' || sku || '/' || purchased_quantity || '/' || allocated_quantity,"
                            + " COALESCE(CAST(eta AS VARCHAR), '-') FROM batches ORDER BY reference",
                    "SELECT 'line', orderid || '/' || sku || '/' || qty, COALESCE(batchref, '-') || '/' || placed_version"
                            + " FROM order_lines ORDER BY orderid, sku",
                    "SELECT 'operator action', who || '/' || action || '/' || target_kind,"
                            + " COALESCE(target_id, '-') || '/' || affected FROM operator_actions ORDER BY id")) {
                try (ResultSet rs = c.createStatement().executeQuery(sql)) {
                    while (rs.next()) {
                        rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3));
                    }
                }
            }
            c.rollback();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    @Override
    public void close() {
        try {
            service.close();
        } finally {
            db.close();
        }
    }
}

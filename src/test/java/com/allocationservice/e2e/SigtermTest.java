package com.allocationservice.e2e;

import com.allocationservice.integration.Ports;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.allocationservice.integration.TestDatabase;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar, sent SIGTERM while a request is in flight: the request still gets its answer, the port
 * closes, and the process exits through its shutdown hook. The request is held in flight by a row
 * lock the test holds in PostgreSQL.
 */
class SigtermTest {

    @TempDir
    Path workDir;

    @Test
    void sigterm_lets_the_in_flight_request_finish_then_the_process_exits() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2)) {
            int port = Ports.free();
            ProcessBuilder builder = new ProcessBuilder(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", System.getProperty("allocation.jar"))
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(workDir.resolve("service.log").toFile());
            builder.environment().keySet().removeIf(name -> name.startsWith("ALLOCATION_"));
            builder.environment().put("ALLOCATION_HTTP_PORT", Integer.toString(port));
            builder.environment().put("ALLOCATION_DB_URL", db.url());
            builder.environment().put("ALLOCATION_DB_USER", db.user());
            Process service = builder.start();
            try {
                HttpClient client = HttpClient.newHttpClient();
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> client.send(
                        HttpRequest.newBuilder(uri(port, "/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
                assertThat(client.send(post(port, "/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10}"),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);

                CompletableFuture<HttpResponse<String>> inFlight;
                try (Connection lock = db.dataSource().getConnection()) {
                    try (ResultSet rs = lock.createStatement().executeQuery(
                            "SELECT version FROM products WHERE sku = 'LAMP' FOR UPDATE")) {
                        assertThat(rs.next()).isTrue();
                    }
                    inFlight = HttpClient.newHttpClient().sendAsync(
                            post(port, "/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 3}"),
                            HttpResponse.BodyHandlers.ofString());
                    await().atMost(Duration.ofSeconds(30)).until(() -> db.hasSessionWaitingOnLock());

                    service.destroy(); // SIGTERM

                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                            assertThatThrownBy(() -> connect(port)).isInstanceOf(ConnectException.class));
                    assertThat(service.isAlive()).as("the process waits for the in-flight request").isTrue();
                    lock.rollback();
                }

                HttpResponse<String> response = inFlight.get(30, TimeUnit.SECONDS);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
                assertThat(response.body()).isEqualTo("{\"batchref\":\"b1\"}");
                assertThat(service.waitFor(30, TimeUnit.SECONDS)).as("the process exits").isTrue();
                assertThat(Files.readString(workDir.resolve("service.log"))).contains("Stopped");
            } finally {
                service.destroyForcibly();
            }
        }
    }

    private static HttpRequest post(int port, String path, String body) {
        return HttpRequest.newBuilder(uri(port, path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        }
    }

}

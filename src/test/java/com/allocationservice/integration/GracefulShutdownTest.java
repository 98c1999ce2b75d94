package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.TestDatabase;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing the service lets a request already being handled finish, refuses new connections, and
 * closes the pool. The test holds a request in flight by holding a row lock it needs in PostgreSQL.
 */
class GracefulShutdownTest {

    @Test
    void an_in_flight_request_finishes_while_the_service_stops_and_new_connections_are_refused() throws Exception {
        try (TestService api = TestService.start(TestDatabase.Kind.POSTGRES)) {
            assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10}").statusCode()).isEqualTo(201);
            int port = api.service().port();
            CompletableFuture<HttpResponse<String>> inFlight;
            CompletableFuture<Void> closing;

            try (Connection lock = api.db().dataSource().getConnection()) {
                holdProductRow(lock);
                inFlight = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(api.uri("/allocate"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 3}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                await().atMost(Duration.ofSeconds(30)).until(() -> api.db().hasSessionWaitingOnLock());

                closing = CompletableFuture.runAsync(() -> api.service().close());

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThatThrownBy(() -> connect(port)).isInstanceOf(ConnectException.class));
                assertThat(inFlight).as("the request waits for the row lock").isNotDone();
                assertThat(closing).as("close waits for the in-flight request").isNotDone();
                assertThat(api.service().dataSource().isClosed()).isFalse();

                lock.rollback();
            }

            HttpResponse<String> response = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
            assertThat(json(response).get("batchref").textValue()).isEqualTo("b1");
            closing.get(30, TimeUnit.SECONDS);
            assertThat(api.service().dataSource().isClosed()).as("the pool is closed").isTrue();
            assertThat(api.snapshot()).contains("line o1/LAMP/3 b1/2");
            assertThatThrownBy(() -> connect(port)).isInstanceOf(ConnectException.class);
        }
    }

    private static void holdProductRow(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT version FROM products WHERE sku = 'LAMP' FOR UPDATE");
             ResultSet rs = st.executeQuery()) {
            assertThat(rs.next()).isTrue();
        }
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        }
    }
}

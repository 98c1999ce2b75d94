package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.TestDatabase;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
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
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
                ServiceProcess service = ServiceProcess.start(workDir,
                        Map.of("ALLOCATION_DB_URL", db.url(), "ALLOCATION_DB_USER", db.user()))) {
            assertThat(service.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10}").status())
                    .isEqualTo(201);

            CompletableFuture<ServiceProcess.Answer> inFlight;
            try (Connection lock = db.dataSource().getConnection()) {
                try (ResultSet rs = lock.createStatement().executeQuery(
                        "SELECT version FROM products WHERE sku = 'LAMP' FOR UPDATE")) {
                    assertThat(rs.next()).isTrue();
                }
                inFlight = CompletableFuture.supplyAsync(() ->
                        service.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 3}"));
                await().atMost(Duration.ofSeconds(30)).until(() -> db.hasSessionWaitingOnLock());

                service.terminate(); // SIGTERM

                await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThatThrownBy(() -> connect(service.port())).isInstanceOf(ConnectException.class));
                assertThat(service.isAlive()).as("the process waits for the in-flight request").isTrue();
                lock.rollback();
            }

            ServiceProcess.Answer answer = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(answer.status()).as(answer.body()).isEqualTo(202);
            assertThat(answer.body()).isEqualTo("{\"batchref\":\"b1\"}");
            assertThat(service.exitsWithin(Duration.ofSeconds(30))).as("the process exits").isTrue();
            assertThat(service.log()).contains("Stopped");
        }
    }

    private static void connect(int port) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        }
    }

}

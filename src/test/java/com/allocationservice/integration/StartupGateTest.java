package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.entrypoints.HttpApi;
import com.allocationservice.entrypoints.RequestObserver;
import com.allocationservice.support.TestDatabase;
import com.allocationservice.service.OperatorActions;
import com.allocationservice.views.Views;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * While the database is being migrated the server already listens: liveness answers UP, readiness
 * 503 "starting" at once, and other requests wait for the migration. When the migration fails (the
 * process then exits), every answer is a 503, the probes' saying DOWN: never a 500.
 */
class StartupGateTest {

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final CompletableFuture<Void> migrated = new CompletableFuture<>();
    private TestDatabase db;
    private Javalin app;

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.H2);
        app = HttpApi.create(new HttpApi.Dependencies(Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource())),
                new Views(db.dataSource()), () -> "", Map::of, Map::of, migrated, Optional.empty(), RequestObserver.NONE,
                OperatorActions.UNAVAILABLE, Optional.empty(), Optional.empty()))
                .start(0);
    }

    @AfterEach
    void stop() {
        app.stop();
        db.close();
    }

    @Test
    void while_migrating_liveness_is_up_readiness_is_503_starting_and_other_requests_wait() throws Exception {
        assertThat(get("/health/live").join()).isEqualTo("200 {\"status\":\"UP\"}");
        for (String probe : new String[] {"/health/ready", "/health"}) {
            assertThat(get(probe).join()).as(probe)
                    .isEqualTo("503 {\"status\":\"DOWN\",\"message\":\"Starting: the database is being migrated\"}");
        }
        CompletableFuture<String> waiting = get("/allocations/o1");
        Thread.sleep(300);
        assertThat(waiting).as("a request while migrating").isNotDone();

        migrated.complete(null);

        assertThat(waiting.get(5, TimeUnit.SECONDS)).startsWith("404 ");
        assertThat(get("/health/ready").join()).isEqualTo("200 {\"status\":\"UP\"}");
    }

    @Test
    void after_a_failed_migration_every_answer_is_503_never_500() throws Exception {
        CompletableFuture<String> waiting = get("/allocations/o1");
        Thread.sleep(300);

        migrated.completeExceptionally(new IllegalStateException("relation \"batches\" already exists"));

        assertThat(waiting.get(5, TimeUnit.SECONDS))
                .isEqualTo("503 {\"message\":\"The service failed to start and is stopping\"}");
        for (String probe : new String[] {"/health/live", "/health/ready", "/health"}) {
            assertThat(get(probe).join()).as(probe)
                    .isEqualTo("503 {\"status\":\"DOWN\",\"message\":\"Start-up failed; the service is stopping\"}");
        }
        assertThat(get("/products/LAMP/stock").join()).startsWith("503 ");
    }

    /** The status and body of a GET, once answered. */
    private CompletableFuture<String> get(String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + path))
                .timeout(Duration.ofSeconds(10)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(response -> response.statusCode() + " " + response.body());
    }
}

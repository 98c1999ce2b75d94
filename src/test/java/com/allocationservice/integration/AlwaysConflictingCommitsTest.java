package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Event;
import com.allocationservice.entrypoints.HttpApi;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.TestDatabase;
import com.allocationservice.views.Views;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A bus whose every commit loses the version compare-and-set (as if another instance always won):
 * the command is retried to its last attempt, HTTP answers 409 "Too many concurrent changes", and
 * the database is exactly as before.
 */
class AlwaysConflictingCommitsTest {

    private final TestDatabase db = TestDatabase.create(TestDatabase.Kind.H2);
    private Javalin app;

    @AfterEach
    void stop() {
        if (app != null) {
            app.stop();
        }
        db.close();
    }

    /** A JDBC unit of work whose commit always conflicts, before writing anything; closing rolls back. */
    private record Conflicting(UnitOfWork.Group real) implements UnitOfWork.Group {
        @Override
        public ProductRepository products() {
            return real.products();
        }

        @Override
        public void commit() {
            throw new ConcurrencyConflict("another instance changed the product first");
        }

        @Override
        public Set<String> claimVersions() {
            throw new ConcurrencyConflict("another instance changed the product first");
        }

        @Override
        public boolean[] recordMessages(List<String> messageIds) {
            return real.recordMessages(messageIds);
        }

        @Override
        public void forgetMessages(Collection<String> messageIds) {
            real.forgetMessages(messageIds);
        }

        @Override
        public void recordHistory(java.util.List<com.allocationservice.service.LineHistory> entries) {
            real.recordHistory(entries);
        }

        @Override
        public void close() {
            real.close();
        }
    }

    private List<String> rows() {
        return db.query("SELECT 'product ' || sku || ' v' || version FROM products UNION ALL "
                + "SELECT 'batch ' || reference || ' ' || purchased_quantity || '/' || allocated_quantity FROM batches "
                + "UNION ALL SELECT 'line ' || orderid || ' ' || COALESCE(batchref, '-') FROM order_lines", rs -> rs.getString(1));
    }

    @Test
    void every_attempt_conflicting_answers_409_and_changes_nothing() throws Exception {
        UnitOfWork.Factory real = JdbcUnitOfWork.factory(db.dataSource());
        Bootstrap.bus(real).handle(new CreateBatch("b1", "LAMP", 10, null));
        List<String> before = rows();
        MessageBus bus = Bootstrap.bus(() -> new Conflicting(real.begin()));
        app = HttpApi.create(HttpApi.Dependencies.of(bus, new Views(db.dataSource()))).start(0);

        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + app.port() + "/allocate"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.body()).contains("Too many concurrent changes");
        assertThat(bus.commandRetries()).isEqualTo(MessageBus.RetryPolicy.DEFAULT.commandAttempts() - 1);
        assertThat(rows()).isEqualTo(before).contains("batch b1 10/0");
    }

    /**
     * The same answer from the real service (its composition root, its retry policy) on PostgreSQL,
     * where the conflict is real: a trigger makes every {@code UPDATE products} change no row, so the
     * JDBC unit of work's version compare-and-set itself finds the product changed, on every attempt.
     */
    @Test
    void a_version_update_that_never_lands_answers_409_on_each_route_that_changes_a_product() throws Exception {
        try (TestService api = TestService.start(TestDatabase.Kind.POSTGRES)) {
            assertThat(api.post("/add_batch", TestService.body(Map.of("ref", "b1", "sku", "LAMP", "qty", 10)))
                    .statusCode()).isEqualTo(201);
            try (Connection c = api.db().dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE FUNCTION another_instance_won() RETURNS trigger LANGUAGE plpgsql"
                        + " AS 'BEGIN RETURN NULL; END'");
                st.execute("CREATE TRIGGER another_instance_always_wins BEFORE UPDATE ON products"
                        + " FOR EACH ROW EXECUTE FUNCTION another_instance_won()");
                c.commit();
            }
            List<String> before = api.snapshot();

            for (String[] request : List.of(
                    new String[] {"/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}"},
                    new String[] {"/change_batch_quantity", "{\"ref\": \"b1\", \"qty\": 5}"},
                    new String[] {"/add_batch", "{\"ref\": \"b2\", \"sku\": \"LAMP\", \"qty\": 3}"})) {
                HttpResponse<String> response = api.post(request[0], request[1]);

                assertThat(response.statusCode()).as(request[0]).isEqualTo(409);
                assertThat(TestService.message(response)).as(request[0])
                        .isEqualTo("Too many concurrent changes to the same product; try again");
            }
            assertThat(api.service().bus().commandRetries())
                    .isEqualTo(3L * (MessageBus.RetryPolicy.DEFAULT.commandAttempts() - 1));
            assertThat(api.snapshot()).isEqualTo(before);
        }
    }
}

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
import java.util.Collection;
import java.util.List;
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
}

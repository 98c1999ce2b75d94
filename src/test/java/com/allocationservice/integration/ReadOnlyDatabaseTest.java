package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.message;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL database that turns read-only while the service runs (every new session read-only,
 * the old ones terminated): reads and the connection's own check still succeed, so only a write
 * shows it. Readiness goes DOWN, writes answer 503 naming the cause, and both come back once the
 * database takes writes again, in the same service.
 */
class ReadOnlyDatabaseTest {

    private TestService api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void a_database_turned_read_only_is_not_ready_answers_503_naming_it_and_comes_back() throws Exception {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 100}").statusCode()).isEqualTo(201);
        assertThat(api.get("/health/ready").statusCode()).isEqualTo(200);
        String name = api.db().url().substring(api.db().url().lastIndexOf('/') + 1);

        admin("ALTER DATABASE " + name + " SET default_transaction_read_only = on", name);

        Awaitility.await("readiness DOWN").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.get("/health/ready").statusCode() == 503);
        assertThat(api.get("/health/live").statusCode()).isEqualTo(200);
        Awaitility.await("reads answer (404: no such order) once the terminated connections are replaced")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get("/allocations/o0").statusCode() == 404);
        AtomicReference<HttpResponse<String>> write = new AtomicReference<>();
        Awaitility.await("a write answered 503 naming the cause").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    write.set(api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 1}"));
                    assertThat(write.get().statusCode()).as(write.get().body()).isEqualTo(503);
                    return message(write.get()).contains("storage read-only");
                });

        // by now every connection is a new, read-only one: readiness stays DOWN, not only while they were being replaced
        Thread.sleep(1_100);
        assertThat(api.get("/health/ready").statusCode()).as("readiness on read-only sessions").isEqualTo(503);

        admin("ALTER DATABASE " + name + " RESET default_transaction_read_only", name);

        Awaitility.await("writes succeed again").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 1}").statusCode() == 202);
        Awaitility.await("readiness UP").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.get("/health/ready").statusCode() == 200);
    }

    /**
     * What a pool sees after a failover that left its connections up on the old primary, now a standby
     * (or behind a load balancer that sent them to one): sessions that refuse every write while new
     * ones would take it. The first refused write discards the pool's connections, so the service
     * writes again at once, not when the old sessions end.
     */
    @Test
    void connections_left_on_a_read_only_server_are_replaced_after_the_first_refused_write() throws Exception {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        assertThat(api.post("/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 100}").statusCode()).isEqualTo(201);
        String name = api.db().url().substring(api.db().url().lastIndexOf('/') + 1);
        // every session from now on is read-only: those open, or opening, before the setting are ended
        // (the pool may have been adding one as it changed: seen on a loaded machine), and the pool's
        // connections are replaced
        admin("ALTER DATABASE " + name + " SET default_transaction_read_only = on", name);
        api.service().dataSource().getHikariPoolMXBean().softEvictConnections();
        assertThat(api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 1}").statusCode()).isEqualTo(503);

        run("ALTER DATABASE " + name + " RESET default_transaction_read_only");   // the old sessions stay read-only

        HttpResponse<String> first = api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 1}");
        HttpResponse<String> second = api.post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 1}");
        assertThat(List.of(first.statusCode(), second.statusCode())).as(first.body() + " / " + second.body()).contains(202);
    }

    /** Runs the statement on the server, then ends the database's sessions so new ones take the setting. */
    private static void admin(String sql, String database) throws Exception {
        run(sql);
        run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
    }

    private static void run(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(TestDatabase.postgresServerUrl(), "postgres", "");
             Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}

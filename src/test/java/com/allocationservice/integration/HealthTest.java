package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.adapters.Database;
import com.allocationservice.support.TestDatabase;
import com.allocationservice.views.Views;
import com.zaxxer.hikari.HikariDataSource;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /health/live} does no I/O; {@code /health/ready} (and {@code /health}) asks the database
 * over a connection of its own, so a busy pool does not make a busy instance look down.
 */
class HealthTest {

    private TestService api;

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    @Test
    void ready_answers_200_at_once_while_every_pool_connection_is_busy() throws Exception {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        List<Connection> held = new ArrayList<>();
        try {
            for (int i = 0; i < api.service().dataSource().getMaximumPoolSize(); i++) {
                held.add(api.service().dataSource().getConnection());
            }
            for (String path : List.of("/health/ready", "/health")) {
                long start = System.nanoTime();
                HttpResponse<String> ready = api.get(path);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertThat(ready.statusCode()).as(path + ": " + ready.body()).isEqualTo(200);
                assertThat(json(ready).get("status").textValue()).isEqualTo("UP");
                assertThat(millis).as(path + " answered in ms").isLessThan(1_000);
            }
            assertThat(api.service().dataSource().getHikariPoolMXBean().getIdleConnections()).isZero();
        } finally {
            for (Connection c : held) {
                c.close();
            }
        }
    }

    /**
     * Each instance opens its pool and one more connection for the probe: an instance past PostgreSQL's
     * connection budget is down, and says so, rather than "does not answer".
     */
    @Test
    void ready_says_so_when_the_database_refuses_more_connections() throws Exception {
        String role = "capped_" + UUID.randomUUID().toString().replace("-", "");
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES)) {
            execute(db, "CREATE ROLE " + role + " LOGIN CONNECTION LIMIT 0");
            try (HikariDataSource probe = Database.probe(db.url(), role, "", 0)) {
                assertThat(new Views(db.dataSource(), probe).databaseProblem()).contains("The database refuses "
                        + "more connections (PostgreSQL's max_connections, or the database's or the role's connection"
                        + " limit, is reached)");
            } finally {
                execute(db, "DROP ROLE " + role);
            }
        }
    }

    @Test
    void live_answers_200_and_ready_503_within_two_seconds_once_the_database_is_gone() {
        api = TestService.start(TestDatabase.Kind.POSTGRES);
        assertThat(api.get("/health/ready").statusCode()).isEqualTo(200);

        api.db().close(); // drops the database, terminating every connection the service holds

        HttpResponse<String> live = api.get("/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(json(live).get("status").textValue()).isEqualTo("UP");
        long start = System.nanoTime();
        HttpResponse<String> ready = api.get("/health/ready");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms to answer").isLessThan(2_000);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(json(ready).get("status").textValue()).isEqualTo("DOWN");
        assertThat(json(ready).get("message").textValue()).contains("database");
    }

    private static void execute(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
            c.commit();
        }
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.Database;
import com.allocationservice.config.Settings;
import com.allocationservice.support.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pool applies the configured statement and lock timeouts, on PostgreSQL and on H2. */
class DatabaseTimeoutsTest {

    private static final Settings.Timeouts SHORT = Settings.fromEnvironment(Map.of(
            "ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "500", "ALLOCATION_DB_LOCK_TIMEOUT_MS", "300")).timeouts();

    @Test
    void a_postgresql_statement_is_cancelled_after_the_statement_timeout() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
             HikariDataSource pool = Database.pool(db.url(), db.user(), "", 2, SHORT, 0);
             Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> st.execute("SELECT pg_sleep(5)")).isInstanceOf(SQLException.class)
                    .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(2_000);
        }
    }

    @Test
    void a_row_lock_is_waited_for_no_longer_than_the_lock_timeout() throws Exception {
        for (TestDatabase.Kind kind : TestDatabase.Kind.values()) {
            try (TestDatabase db = TestDatabase.create(kind, 2);
                 HikariDataSource pool = Database.pool(db.url(), db.user(), "", 2, SHORT, 0);
                 Connection holder = pool.getConnection(); Connection waiter = pool.getConnection()) {
                try (Statement st = holder.createStatement()) {
                    st.execute("INSERT INTO products (sku, version) VALUES ('LAMP', 1)");
                }
                holder.commit();
                try (Statement st = holder.createStatement()) {
                    st.executeUpdate("UPDATE products SET version = 2 WHERE sku = 'LAMP'");
                }
                long start = System.nanoTime();
                try (Statement st = waiter.createStatement()) {
                    assertThatThrownBy(() -> st.executeUpdate("UPDATE products SET version = 3 WHERE sku = 'LAMP'"))
                            .as(kind.toString()).isInstanceOf(SQLException.class);
                }
                assertThat((System.nanoTime() - start) / 1_000_000).as(kind + ": ms waiting").isLessThan(2_000);
                holder.rollback();
                waiter.rollback();
            }
        }
    }
}

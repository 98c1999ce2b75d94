package com.allocationservice.support;

import com.allocationservice.adapters.Database;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

/**
 * A fresh, migrated database for one test class, dropped on close. PostgreSQL is found at
 * {@code ALLOCATION_TEST_DB_URL}, else at 127.0.0.1:5432, else an embedded PostgreSQL is started once
 * per test JVM, so the tests run on a machine with no PostgreSQL at all.
 */
public final class TestDatabase implements AutoCloseable {

    public enum Kind { POSTGRES, H2 }

    private static final String LOCAL_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static String serverUrl;
    private static EmbeddedPostgres embedded;

    private final Kind kind;
    private final String name;
    private final String url;
    private final HikariDataSource dataSource;

    private TestDatabase(Kind kind, String name, String url, int poolSize) {
        this.kind = kind;
        this.name = name;
        this.url = url;
        this.dataSource = Database.open(url, user(kind), "", poolSize);
    }

    public static TestDatabase create(Kind kind) {
        return create(kind, 8);
    }

    public static TestDatabase create(Kind kind, int poolSize) {
        String name = "alloc_test_" + UUID.randomUUID().toString().replace("-", "");
        if (kind == Kind.H2) {
            return new TestDatabase(kind, name, "jdbc:h2:mem:" + name
                    + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1", poolSize);
        }
        String server = postgresServerUrl();
        admin(server, "CREATE DATABASE " + name);
        return new TestDatabase(kind, name, server.substring(0, server.lastIndexOf('/') + 1) + name, poolSize);
    }

    /** The JDBC URL of a PostgreSQL database tests may create databases from. */
    public static synchronized String postgresServerUrl() {
        if (serverUrl != null) {
            return serverUrl;
        }
        String configured = System.getenv("ALLOCATION_TEST_DB_URL");
        if (configured != null && !configured.isBlank()) {
            serverUrl = configured;
        } else if (reachable(LOCAL_URL)) {
            serverUrl = LOCAL_URL;
        } else {
            try {
                embedded = EmbeddedPostgres.builder().start();
                serverUrl = embedded.getJdbcUrl("postgres", "postgres");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (IOException ignored) {
                        // the JVM is going away
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException("no PostgreSQL reachable and embedded PostgreSQL failed", e);
            }
        }
        return serverUrl;
    }

    public Kind kind() {
        return kind;
    }

    public HikariDataSource dataSource() {
        return dataSource;
    }

    /** The JDBC URL of this database, for a service started in another process. */
    public String url() {
        return url;
    }

    public String user() {
        return user(kind);
    }

    /** Maps one row of a result set. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** The rows of a query, each mapped, read in a transaction of its own; {@code params} fill its {@code ?}s. */
    public <T> List<T> query(String sql, RowMapper<T> mapper, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setObject(i + 1, params[i]);
            }
            List<T> rows = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
            }
            c.rollback();
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The one number a query answers (a count, a version, a quantity); fails unless it finds exactly one row. */
    public long number(String sql, Object... params) {
        List<Long> rows = query(sql, rs -> rs.getLong(1), params);
        if (rows.size() != 1) {
            throw new IllegalStateException(rows.size() + " rows, not one, for " + sql);
        }
        return rows.getFirst();
    }

    /** Whether a session of this PostgreSQL database is waiting for a lock (e.g. a request a test holds up). */
    public boolean hasSessionWaitingOnLock() {
        return number("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND wait_event_type = 'Lock'") > 0;
    }

    @Override
    public void close() {
        dataSource.close();
        if (kind == Kind.POSTGRES) {
            admin(postgresServerUrl(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    @Override
    public String toString() {
        return kind.toString();
    }

    private static String user(Kind kind) {
        return kind == Kind.H2 ? "sa" : "postgres";
    }

    private static boolean reachable(String url) {
        DriverManager.setLoginTimeout(2);
        try (Connection ignored = DriverManager.getConnection(url, credentials())) {
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private static void admin(String url, String sql) {
        try (Connection c = DriverManager.getConnection(url, credentials()); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + " failed on " + url, e);
        }
    }

    private static Properties credentials() {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", "");
        return p;
    }

}

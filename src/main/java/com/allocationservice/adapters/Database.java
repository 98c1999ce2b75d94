package com.allocationservice.adapters;

import com.allocationservice.config.Settings;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.postgresql.PGStatement;

/** A pooled connection to PostgreSQL or H2, migrated to the current schema by Flyway. */
public final class Database {

    /** The timeouts of an environment that sets none (the tests' pools). */
    private static final Settings.Timeouts DEFAULT_TIMEOUTS = Settings.defaults().timeouts();

    private Database() {
    }

    /** A pool on the database with the default timeouts, migrated: ready to use when this returns. */
    public static HikariDataSource open(String jdbcUrl, String user, String password, int poolSize) {
        HikariDataSource dataSource = pool(jdbcUrl, user, password, poolSize);
        try {
            migrate(dataSource);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        return dataSource;
    }

    /** {@link #pool(String, String, String, int, Settings.Timeouts)} with the default timeouts. */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int poolSize) {
        return pool(jdbcUrl, user, password, poolSize, DEFAULT_TIMEOUTS);
    }

    /**
     * A pool that connects on first use (so a caller can build everything else meanwhile); call
     * {@link #migrate} before serving anything from it. Waiting for a connection from the pool, and
     * opening one, each give up after {@code dbConnect}. PostgreSQL: a read with no answer fails after
     * {@code dbSocket}, a statement after {@code dbStatement}, waiting for a lock after {@code dbLock}
     * (its driver counts connect and socket timeouts in whole seconds: they are rounded up). H2: a
     * statement after {@code dbStatement}, waiting for a lock after {@code dbLock}; the embedded
     * database has no connection to open and no socket to time out.
     */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int poolSize,
            Settings.Timeouts timeouts) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(poolSize);
        dataSource.setAutoCommit(false);
        dataSource.setConnectionTimeout(Math.max(250, timeouts.dbConnect().toMillis()));
        dataSource.setValidationTimeout(Math.max(250, timeouts.dbConnect().toMillis() / 2));
        dataSource.setPoolName("allocation");
        timeoutProperties(dataSource, jdbcUrl, timeouts.dbConnect(), timeouts.dbSocket(), timeouts.dbStatement(),
                timeouts.dbLock());
        return dataSource;
    }

    /**
     * A pool of one connection, for health checks only: a check never waits behind the requests that
     * hold the main pool's connections, and gives up after a second.
     */
    public static HikariDataSource probe(String jdbcUrl, String user, String password) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(1);
        dataSource.setMinimumIdle(0);
        dataSource.setAutoCommit(false);
        dataSource.setConnectionTimeout(1_000);
        dataSource.setValidationTimeout(500);
        dataSource.setInitializationFailTimeout(-1);
        dataSource.setPoolName("allocation-health");
        Duration second = Duration.ofSeconds(1);
        timeoutProperties(dataSource, jdbcUrl, second, second, second, second);
        return dataSource;
    }

    /**
     * Brings the schema to the latest migration (Flyway, the same files for PostgreSQL and H2; the two
     * differences are placeholders: a generated column's STORED, {@code stored}, the outbox's partial
     * index of retried rows, {@code retryingIndex}, which H2 cannot have, and the type of text of 255
     * characters, {@code text}: H2 counts an emoji as two).
     */
    public static void migrate(HikariDataSource dataSource) {
        boolean postgres = dataSource.getJdbcUrl().startsWith("jdbc:postgresql:");
        Map<String, String> placeholders = postgres
                ? Map.of("stored", "STORED", "retryingIndex", "(destination, sku, id) WHERE attempts > 0",
                        "text", "VARCHAR(255)")
                : Map.of("stored", "", "retryingIndex", "(attempts, destination, sku, id)", "text", "VARCHAR(510)");
        Flyway.configure().dataSource(dataSource).placeholders(placeholders).load().migrate();
    }

    /**
     * Has PostgreSQL plan this statement at each execution, for its parameters and the tables as they
     * are then, instead of keeping one plan (what the driver and the server do after a few executions).
     * A plan made while a table was empty or small (a new database, an outbox drained and truncated by
     * vacuum) and kept reads the whole table at every execution once it has grown, until autovacuum next
     * analyzes it. Planning costs a few tenths of a millisecond: for statements run once per group or
     * per relay round, whose plans depend on how many rows the tables hold.
     */
    static void planEachTime(PreparedStatement statement) throws SQLException {
        if (statement.isWrapperFor(PGStatement.class)) {
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
        }
    }

    /** Driver properties (strings: H2 reads them with getProperty); a parameter in the URL wins over them. */
    private static void timeoutProperties(HikariDataSource dataSource, String jdbcUrl, Duration connect,
            Duration socket, Duration statement, Duration lock) {
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            dataSource.addDataSourceProperty("connectTimeout", seconds(connect));
            dataSource.addDataSourceProperty("loginTimeout", seconds(connect));
            dataSource.addDataSourceProperty("socketTimeout", seconds(socket));
            dataSource.addDataSourceProperty("options", "-c statement_timeout=" + statement.toMillis()
                    + " -c lock_timeout=" + lock.toMillis());
        } else if (jdbcUrl.startsWith("jdbc:h2:")) {
            dataSource.addDataSourceProperty("QUERY_TIMEOUT", Long.toString(statement.toMillis()));
            dataSource.addDataSourceProperty("LOCK_TIMEOUT", Long.toString(lock.toMillis()));
        }
    }

    private static String seconds(Duration timeout) {
        return Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
    }
}

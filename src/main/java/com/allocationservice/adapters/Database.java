package com.allocationservice.adapters;

import com.allocationservice.config.Settings;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.util.DriverDataSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.postgresql.PGStatement;

/** A pooled connection to PostgreSQL or H2, migrated to the current schema by Flyway. */
public final class Database {

    /** PostgreSQL's read_only_sql_transaction: a write on a standby (or a read-only session). */
    private static final String READ_ONLY_TRANSACTION = "25006";

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

    /** {@link #pool(String, String, String, int, Settings.Timeouts, long)} with the default timeouts and reserve. */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int poolSize) {
        return pool(jdbcUrl, user, password, poolSize, DEFAULT_TIMEOUTS, Settings.defaults().dbMinFreeBytes());
    }

    /**
     * A pool that connects on first use (so a caller can build everything else meanwhile); call
     * {@link #migrate} before serving anything from it. Waiting for a connection from the pool, and
     * opening one, each give up after {@code dbConnect}. PostgreSQL: a read with no answer fails after
     * {@code dbSocket}, a statement after {@code dbStatement}, waiting for a lock after {@code dbLock}
     * (its driver counts connect and socket timeouts in whole seconds: they are rounded up). H2: a
     * statement after {@code dbStatement}, waiting for a lock after {@code dbLock}; the embedded
     * database has no connection to open and no socket to time out. An H2 file database commits nothing
     * while its file system has less than {@code minFreeBytes} free ({@link FreeSpace}).
     */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int poolSize,
            Settings.Timeouts timeouts, long minFreeBytes) {
        return pool("allocation", jdbcUrl, user, password, poolSize, timeouts, minFreeBytes);
    }

    /**
     * A pool for the views only, on a database that may be a standby (the read side of chapter 12):
     * never migrated (a standby cannot be; the writes' pool migrates the primary, which the standby
     * follows), its connections read-only, the same timeouts as the writes' pool.
     */
    public static HikariDataSource readPool(String jdbcUrl, String user, String password, int poolSize,
            Settings.Timeouts timeouts) {
        HikariDataSource dataSource = pool("allocation-read", jdbcUrl, user, password, poolSize, timeouts, 0);
        dataSource.setReadOnly(true);
        return dataSource;
    }

    /** The pool's name is also its connections' application name on PostgreSQL (in {@code pg_stat_activity}). */
    private static HikariDataSource pool(String name, String jdbcUrl, String user, String password, int poolSize,
            Settings.Timeouts timeouts, long minFreeBytes) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(poolSize);
        dataSource.setAutoCommit(false);
        dataSource.setConnectionTimeout(Math.max(250, timeouts.dbConnect().toMillis()));
        dataSource.setValidationTimeout(Math.max(250, timeouts.dbConnect().toMillis() / 2));
        dataSource.setPoolName(name);
        timeoutProperties(dataSource, jdbcUrl, timeouts.dbConnect(), timeouts.dbSocket(), timeouts.dbStatement(),
                timeouts.dbLock());
        recoverable(dataSource, jdbcUrl, user, password, minFreeBytes);
        return dataSource;
    }

    /**
     * A pool of one connection, for health checks only: a check never waits behind the requests that
     * hold the main pool's connections. Getting its connection gives up after 750 ms, inside the check's
     * second, so that the check can say why (a server refusing more connections, say).
     */
    public static HikariDataSource probe(String jdbcUrl, String user, String password, long minFreeBytes) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(1);
        dataSource.setMinimumIdle(0);
        dataSource.setAutoCommit(false);
        dataSource.setConnectionTimeout(750);
        dataSource.setValidationTimeout(500);
        dataSource.setInitializationFailTimeout(-1);
        dataSource.setPoolName("allocation-health");
        Duration second = Duration.ofSeconds(1);
        timeoutProperties(dataSource, jdbcUrl, second, second, second, second);
        recoverable(dataSource, jdbcUrl, user, password, minFreeBytes);
        return dataSource;
    }

    /**
     * Brings the schema to the latest migration (Flyway, the same files for PostgreSQL and H2; the two
     * differences are placeholders: a generated column's STORED, {@code stored}, the outbox's partial
     * index of retried rows, {@code retryingIndex}, which H2 cannot have, and the type of text of 255
     * characters, {@code text}: H2 counts an emoji as two; the index of backordered lines,
     * {@code backorderedIndex}, and of SKUs needing attention, {@code attentionIndex}, both partial on
     * PostgreSQL).
     */
    public static void migrate(HikariDataSource dataSource) {
        boolean postgres = dataSource.getJdbcUrl().startsWith("jdbc:postgresql:");
        Map<String, String> placeholders = postgres
                ? Map.of("stored", "STORED", "retryingIndex", "(destination, sku, id) WHERE attempts > 0",
                        "text", "VARCHAR(255)", "backorderedIndex", "(sku, qty) WHERE batchref IS NULL",
                        "attentionIndex", "(sku) WHERE needs_attention")
                : Map.of("stored", "", "retryingIndex", "(attempts, destination, sku, id)", "text", "VARCHAR(510)",
                        "backorderedIndex", "(batchref, sku, qty)", "attentionIndex", "(needs_attention, sku)");
        Optional<Path> directory = h2Directory(dataSource.getJdbcUrl());
        directory.ifPresent(Database::requireWritable);
        try {
            Flyway.configure().dataSource(dataSource).placeholders(placeholders).load().migrate();
            checkWrite(dataSource);
        } catch (RuntimeException e) {
            Optional<String> fault = JdbcErrors.storageFault(e);
            if (directory.isPresent() && fault.isPresent()) {
                Optional<String> low = Stream.<Throwable>iterate(e, t -> t != null, Throwable::getCause)
                        .filter(FreeSpace.Low.class::isInstance).map(Throwable::getMessage).findFirst();
                throw new IllegalStateException("the database in " + directory.get() + " cannot be written ("
                        + fault.get() + low.map(message -> ": " + message).orElse("") + ")", e);
            }
            throw e;
        }
    }

    /**
     * Commits a write to the one-row table {@code storage_check}: on H2 a file that cannot be written
     * opens read-only without complaint, and only a write shows it.
     */
    private static void checkWrite(HikariDataSource dataSource) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement("UPDATE storage_check SET checked_at = CURRENT_TIMESTAMP WHERE id = 1")) {
            st.executeUpdate();
            c.commit();
        } catch (SQLException e) {
            throw JdbcErrors.translate("writing to the database", e);
        }
    }

    /** The directory of an H2 database in a file ({@code jdbc:h2:[file:]path}), else empty. */
    static Optional<Path> h2Directory(String jdbcUrl) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:h2:")) {
            return Optional.empty();
        }
        String location = jdbcUrl.substring("jdbc:h2:".length()).split(";", 2)[0];
        if (location.startsWith("file:")) {
            location = location.substring("file:".length());
        } else if (location.matches("^(mem|tcp|ssl|zip|split|nio\\w*|async|retry)\\b.*")) {
            return Optional.empty();
        }
        if (location.startsWith("~")) {
            location = System.getProperty("user.home") + location.substring(1);
        }
        Path parent = Path.of(location).toAbsolutePath().normalize().getParent();
        return Optional.ofNullable(parent);
    }

    /**
     * Stops start-up on a database directory (or the nearest directory that exists above it, where H2
     * would create it) that this process cannot write to: H2 would open its files read-only, and every
     * write would fail. Checked with access(2), which a read-only mount or an immutable directory
     * refuses even to root.
     */
    private static void requireWritable(Path directory) {
        Path existing = directory;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && !Files.isWritable(existing)) {
            throw new IllegalStateException("the database directory " + directory + " is read-only (" + existing
                    + " cannot be written)");
        }
    }

    /**
     * A pool that gets over a failed store by itself. Its connections are opened through
     * {@link ReconnectingDataSource}, so a database that comes back is used within a tenth of a second.
     * On H2, a connection that reports a storage fault is discarded with every other one of the pool:
     * H2 closes the whole database when a write to its file fails (a full disk) and its connections then
     * still pass HikariCP's check ({@code isValid}); once none is left, the next connection opens the
     * file again, and with it the database. A commit refused for the free-space reserve ({@link FreeSpace})
     * wrote nothing: its connection is kept. On PostgreSQL, a connection that refuses a write as read-only
     * (25006) is on a server that is no longer the primary, or not yet (a failover, or a load balancer
     * that sent it to a standby): it is discarded with every other one of the pool, and the next ones are
     * opened where the URL now leads ({@code targetServerType=primary} of a multi-host URL, or the load
     * balancer's check), instead of answering 503 for as long as that server stays up.
     */
    private static void recoverable(HikariDataSource dataSource, String jdbcUrl, String user, String password,
            long minFreeBytes) {
        Properties properties = new Properties();
        properties.putAll(dataSource.getDataSourceProperties());
        dataSource.setDataSource(new ReconnectingDataSource(new DriverDataSource(jdbcUrl, null, properties, user,
                password), dataSource::isClosed, FreeSpace.of(jdbcUrl, minFreeBytes)));
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            dataSource.setExceptionOverride(new SQLExceptionOverride() {
                @java.lang.Override
                public SQLExceptionOverride.Override adjudicate(SQLException e) {
                    if (!READ_ONLY_TRANSACTION.equals(e.getSQLState())) {
                        return SQLExceptionOverride.Override.CONTINUE_EVICT;
                    }
                    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
                    if (pool != null) {
                        pool.softEvictConnections();
                    }
                    return SQLExceptionOverride.Override.MUST_EVICT;
                }
            });
        } else if (jdbcUrl.startsWith("jdbc:h2:")) {
            dataSource.setExceptionOverride(new SQLExceptionOverride() {
                @java.lang.Override   // plain @Override would name SQLExceptionOverride.Override
                public SQLExceptionOverride.Override adjudicate(SQLException e) {
                    if (e instanceof FreeSpace.Low) {
                        return SQLExceptionOverride.Override.DO_NOT_EVICT;
                    }
                    if (JdbcErrors.storageFault(e).isEmpty()) {
                        return SQLExceptionOverride.Override.CONTINUE_EVICT;
                    }
                    HikariPoolMXBean pool = dataSource.getHikariPoolMXBean();
                    if (pool != null) {
                        pool.softEvictConnections();
                    }
                    return SQLExceptionOverride.Override.MUST_EVICT;
                }
            });
        }
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
            dataSource.addDataSourceProperty("ApplicationName", dataSource.getPoolName());
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

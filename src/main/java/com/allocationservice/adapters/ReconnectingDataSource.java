package com.allocationservice.adapters;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Opens the pool's connections, and once the database has been reached, keeps trying every tenth of
 * a second while it refuses them (PostgreSQL restarting or down: 08, 57P03) or its store is unusable
 * (an H2 file on a full or read-only disk), instead of failing back to the pool. HikariCP waits after
 * each failed attempt, doubling the wait up to 5 seconds and not configurably, so after an outage of
 * a few seconds the pool used to notice a database that was back only up to 5 seconds later. Only
 * HikariCP's thread that adds connections calls this; requests wait for a connection from the pool
 * for the connect timeout, as before. The first connection is not retried (a database that is not
 * there at start-up stops start-up), nor are other errors (a wrong password), nor a closed pool. An
 * H2 file is not opened again below its free-space reserve, and its connections keep the reserve
 * ({@link FreeSpace}).
 */
final class ReconnectingDataSource implements DataSource {

    private static final Duration RETRY = Duration.ofMillis(100);

    private final DataSource driver;
    private final BooleanSupplier poolClosed;
    private final FreeSpace freeSpace;
    private volatile boolean connected;

    ReconnectingDataSource(DataSource driver, BooleanSupplier poolClosed, FreeSpace freeSpace) {
        this.driver = driver;
        this.poolClosed = poolClosed;
        this.freeSpace = freeSpace;
    }

    FreeSpace freeSpace() {
        return freeSpace;
    }

    @Override
    public Connection getConnection() throws SQLException {
        return connect(null, null);
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
        return connect(user, password);
    }

    private Connection connect(String user, String password) throws SQLException {
        while (true) {
            try {
                if (connected) {
                    freeSpace.check();
                }
                Connection connection = user == null ? driver.getConnection() : driver.getConnection(user, password);
                connected = true;
                return freeSpace.guard(connection);
            } catch (SQLException e) {
                if (!connected || !worthWaitingFor(e) || poolClosed.getAsBoolean()) {
                    throw e;
                }
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static boolean worthWaitingFor(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("08") || state.equals("57P03")) || JdbcErrors.storageFault(e).isPresent();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return driver.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        driver.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        driver.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return driver.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return driver.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        return driver.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
        return driver.isWrapperFor(type);
    }
}

package com.allocationservice.adapters;

import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;

/** A pooled connection to PostgreSQL or H2, migrated to the current schema by Flyway. */
public final class Database {

    private Database() {
    }

    /** A pool on the database, migrated: ready to use when this returns. */
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

    /**
     * A pool that connects on first use (so a caller can build everything else meanwhile); call
     * {@link #migrate} before serving anything from it.
     */
    public static HikariDataSource pool(String jdbcUrl, String user, String password, int poolSize) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(jdbcUrl);
        dataSource.setUsername(user);
        dataSource.setPassword(password);
        dataSource.setMaximumPoolSize(poolSize);
        dataSource.setAutoCommit(false);
        dataSource.setConnectionTimeout(5_000);
        dataSource.setPoolName("allocation");
        return dataSource;
    }

    /** Brings the schema to the latest migration (Flyway, the same files for PostgreSQL and H2). */
    public static void migrate(HikariDataSource dataSource) {
        Flyway.configure().dataSource(dataSource).load().migrate();
    }
}

package com.allocationservice.adapters;

import com.allocationservice.config.Settings;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The free space an embedded H2 database keeps in reserve on its file system. When a write to its file
 * fails on a full disk, H2 closes the whole database, and reopening a file whose last write failed
 * half-way lost an acknowledged line in about one run in four of EmbeddedStorageFaultsTest under CPU
 * load. So H2 is kept away from a full disk: below the reserve a commit is refused before H2 writes
 * anything (PostgreSQL's disk_full state, 53100, which the service answers as "storage full"), and
 * the pool opens no connection, so a database H2 closed is reopened only once space is back.
 */
final class FreeSpace {

    /** PostgreSQL, H2 in memory, or no reserve asked for. */
    static final FreeSpace NONE = new FreeSpace(null, 0, "none");

    /** The automatic reserve's most: 64 MB, far more than H2 writes at once, and little on any disk. */
    private static final long AUTO_MAXIMUM = 64L * 1024 * 1024;

    private final Path directory;
    private final long minimum;
    private final String setting;

    private FreeSpace(Path directory, long minimum, String setting) {
        this.directory = directory;
        this.minimum = minimum;
        this.setting = setting;
    }

    /**
     * The reserve of the H2 file database at {@code jdbcUrl}, or {@link #NONE}; {@link Settings#MIN_FREE_AUTO}
     * is 64 MB, or a tenth of the file system if that is less (a small volume still gets one).
     */
    static FreeSpace of(String jdbcUrl, long minimumBytes) {
        if (minimumBytes == 0) {
            return NONE;
        }
        return Database.h2Directory(jdbcUrl).map(directory -> {
            if (minimumBytes != Settings.MIN_FREE_AUTO) {
                return new FreeSpace(directory, minimumBytes, minimumBytes / 1048576 + " MB");
            }
            long auto = Math.min(AUTO_MAXIMUM, existing(directory).toFile().getTotalSpace() / 10);
            return new FreeSpace(directory, auto, String.format("auto: %.1f MB", auto / 1048576.0));
        }).orElse(NONE);
    }

    /** The reserve of a pool built by {@link Database}, or {@link #NONE}. */
    static FreeSpace of(DataSource dataSource) {
        return dataSource instanceof HikariDataSource pool && pool.getDataSource() instanceof ReconnectingDataSource driver
                ? driver.freeSpace() : NONE;
    }

    /** Throws {@link Low} when the database's file system has less free space than the reserve. */
    void check() throws Low {
        if (this == NONE) {
            return;
        }
        long free = existing(directory).toFile().getUsableSpace();
        if (free < minimum) {
            throw new Low(String.format("No space left for the database: %.1f MB free in %s, below"
                    + " ALLOCATION_DB_MIN_FREE_MB (%s)", free / 1048576.0, directory, setting));
        }
    }

    /** The directory, or the nearest one above it that exists (H2 creates it on first use). */
    private static Path existing(Path directory) {
        Path existing = directory;
        while (existing.getParent() != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        return existing;
    }

    /** The connection, with {@link #check} before each commit. */
    Connection guard(Connection connection) {
        if (this == NONE) {
            return connection;
        }
        return (Connection) Proxy.newProxyInstance(FreeSpace.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("commit") && method.getParameterCount() == 0) {
                        check();
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /** Refused for want of space; nothing was written, and the connection is still good. */
    static final class Low extends SQLException {
        Low(String message) {
            super(message, "53100");
        }
    }
}

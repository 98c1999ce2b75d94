package com.allocationservice.adapters;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;

/**
 * Makes a commit to an H2 file survive a power loss, not only a crash of the process. With
 * {@code WRITE_DELAY=0} (the embedded default) H2 writes each commit to its file before the commit
 * returns, but never fsyncs it; {@code CHECKPOINT SYNC} does (it writes whatever is unsaved, then
 * forces the file to the device). One fsync covers every commit that returned before it began, so
 * commits arriving while one runs share the next (group commit) instead of queueing one fsync each.
 */
final class H2FileSync {

    /** Not an H2 database, or one in memory: nothing to sync. */
    static final H2FileSync NONE = new H2FileSync();

    private final AtomicLong committed = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private long synced;

    private H2FileSync() {
    }

    /** A sync for this pool's database if it is an H2 database on disk (not {@code jdbc:h2:mem:}), else {@link #NONE}. */
    static H2FileSync of(DataSource dataSource) {
        return dataSource instanceof HikariDataSource pool && pool.getJdbcUrl() != null
                && pool.getJdbcUrl().startsWith("jdbc:h2:") && !pool.getJdbcUrl().startsWith("jdbc:h2:mem:")
                ? new H2FileSync() : NONE;
    }

    /** Returns once the commit that just returned on {@code connection} is on the device. */
    void afterCommit(Connection connection) throws SQLException {
        if (this == NONE) {
            return;
        }
        long mine = committed.incrementAndGet();
        lock.lock();
        try {
            if (synced >= mine) {
                return;
            }
            long upTo = committed.get();
            try (Statement st = connection.createStatement()) {
                st.execute("CHECKPOINT SYNC");
            }
            // ends the statement's transaction, which changed nothing: a commit here could be refused for
            // the free-space reserve after the unit of work's own commit succeeded
            connection.rollback();
            synced = upTo;
        } finally {
            lock.unlock();
        }
    }
}

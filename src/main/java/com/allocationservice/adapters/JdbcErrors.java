package com.allocationservice.adapters;

import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.StorageUnavailable;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** Turns a JDBC failure into the service layer's terms: a retryable conflict, an outage, or a bug. */
final class JdbcErrors {

    /** Unique violation, serialization failure, deadlock (PostgreSQL and H2), H2's lock timeout. */
    private static final Set<String> CONFLICT_STATES = Set.of("23505", "40001", "40P01", "HYT00");

    /**
     * Connection exceptions (08), operator intervention such as a terminated backend, a dropped
     * database or a statement timeout (57), a database that does not exist (3D000), and PostgreSQL's
     * lock timeout (55P03: a lock held that long means something is stuck, not a race to retry).
     */
    private static final Set<String> UNAVAILABLE_STATES = Set.of("08", "57", "3D000", "55P03");

    private JdbcErrors() {
    }

    static RuntimeException translate(String doing, SQLException e) {
        String state = e.getSQLState();
        if (state != null && CONFLICT_STATES.contains(state)) {
            return new ConcurrencyConflict(doing + ": " + e.getMessage(), e);
        }
        if (e instanceof SQLTransientConnectionException || e instanceof SQLNonTransientConnectionException
                || e instanceof SQLRecoverableException || (state != null && UNAVAILABLE_STATES.stream().anyMatch(state::startsWith))) {
            return new StorageUnavailable(doing + ": database unreachable", e);
        }
        return new IllegalStateException(doing + " failed: " + e.getMessage(), e);
    }
}

package com.allocationservice.adapters;

import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.StorageUnavailable;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** Turns a JDBC failure into the service layer's terms: a retryable conflict, an outage, or a bug. */
final class JdbcErrors {

    /** Unique violation, serialization failure, deadlock (PostgreSQL and H2), H2's lock timeout. */
    private static final Set<String> CONFLICT_STATES = Set.of("23505", "40001", "40P01", "HYT00");

    private JdbcErrors() {
    }

    static RuntimeException translate(String doing, SQLException e) {
        String state = e.getSQLState();
        if (state != null && CONFLICT_STATES.contains(state)) {
            return new ConcurrencyConflict(doing + ": " + e.getMessage(), e);
        }
        if (e instanceof SQLTransientConnectionException || (state != null && state.startsWith("08"))) {
            return new StorageUnavailable(doing + ": database unreachable", e);
        }
        return new IllegalStateException(doing + " failed: " + e.getMessage(), e);
    }
}

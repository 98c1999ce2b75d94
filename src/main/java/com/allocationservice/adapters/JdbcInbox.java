package com.allocationservice.adapters;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Keeps the inbox (the ids of handled incoming messages) from growing forever: ids older than
 * {@link #RETENTION} are deleted. A copy of a message arriving later than that is handled again; the
 * stream's pending entries are claimed within 30 seconds, so only a producer resending after a week
 * could be affected.
 */
final class JdbcInbox {

    static final Duration RETENTION = Duration.ofDays(7);

    private JdbcInbox() {
    }

    /** Deletes the ids handled before the retention; how many went. */
    static int prune(Connection connection) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement(
                "DELETE FROM inbox WHERE handled_at < CURRENT_TIMESTAMP - INTERVAL '" + RETENTION.toDays() + "' DAY")) {
            return st.executeUpdate();
        }
    }
}

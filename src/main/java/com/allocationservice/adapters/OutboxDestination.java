package com.allocationservice.adapters;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/** What {@link OutboxRelay} delivers outbox rows to, each in a loop, a transaction and a lock of its own. */
sealed interface OutboxDestination permits RedisDestination, EmailDestination {

    /** What happened to the rows handed over; a row in neither list stays as it was. */
    record Outcome(List<JdbcOutbox.Row> delivered, Map<JdbcOutbox.Row, String> refused, RuntimeException unreachable) {
    }

    /** Names the relay lock and the log lines. */
    String name();

    /** The values of {@code outbox.destination} whose rows it takes. */
    List<String> rows();

    int batchSize();

    /**
     * Delivers the rows (oldest first) within the relay's transaction. A row refused by the destination
     * is in {@code refused} with its error; when the destination cannot be reached, {@code unreachable}
     * says why and the rows not yet delivered are left alone (no attempt counted against them).
     */
    Outcome deliver(Connection connection, List<JdbcOutbox.Row> rows) throws SQLException;
}

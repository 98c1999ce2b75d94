package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.Deallocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The outbox table: rows written by a unit of work in its own transaction, read and deleted by the
 * relay in its. Each event becomes one message (a UUID, a type, the time, the product version and
 * the book's fields as JSON) with one row per destination: {@code redis} for every event, and
 * {@code email} as well for {@link OutOfStock}.
 */
final class JdbcOutbox {

    static final String REDIS = "redis";
    static final String EMAIL = "email";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** An event and the version of the product that raised it, as saved in this transaction. */
    record Raised(Event event, long version) {
    }

    /** A row as the relay reads it. */
    record Row(long id, String messageId, String type, String sku, Instant occurredAt, String payload) {
    }

    private JdbcOutbox() {
    }

    static String type(Event event) {
        return switch (event) {
            case Allocated e -> "line_allocated";
            case Deallocated e -> "line_deallocated";
            case OutOfStock e -> "out_of_stock";
        };
    }

    /** The message's JSON: id, type, occurred_at (ISO-8601 UTC), version, then the book's fields. */
    static String payload(UUID id, Event event, long version, Instant occurredAt) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id.toString());
        json.put("type", type(event));
        json.put("occurred_at", DateTimeFormatter.ISO_INSTANT.format(occurredAt));
        json.put("version", version);
        switch (event) {
            case Allocated e -> {
                json.put("orderid", e.orderid());
                json.put("sku", e.sku());
                json.put("qty", e.qty());
                json.put("batchref", e.batchref());
            }
            case Deallocated e -> {
                json.put("orderid", e.orderid());
                json.put("sku", e.sku());
                json.put("qty", e.qty());
            }
            case OutOfStock e -> json.put("sku", e.sku());
        }
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + event + " as JSON", e);
        }
    }

    /** Inserts the rows of these events in one JDBC batch; returns how many rows. */
    static int write(Connection connection, List<Raised> raised, Instant now) throws SQLException {
        if (raised.isEmpty()) {
            return 0;
        }
        Instant occurredAt = now.truncatedTo(ChronoUnit.MICROS);
        int rows = 0;
        try (PreparedStatement st = connection.prepareStatement("INSERT INTO outbox "
                + "(message_id, destination, type, sku, product_version, occurred_at, payload) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (Raised r : raised) {
                UUID id = UUID.randomUUID();
                String payload = payload(id, r.event(), r.version(), occurredAt);
                List<String> destinations = r.event() instanceof OutOfStock ? List.of(REDIS, EMAIL) : List.of(REDIS);
                for (String destination : destinations) {
                    st.setObject(1, id);
                    st.setString(2, destination);
                    st.setString(3, type(r.event()));
                    st.setString(4, r.event().sku());
                    st.setLong(5, r.version());
                    st.setTimestamp(6, Timestamp.from(occurredAt));
                    st.setString(7, payload);
                    st.addBatch();
                    rows++;
                }
            }
            st.executeBatch();
        }
        return rows;
    }

    static List<Row> oldest(Connection connection, String destination, int limit) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT id, message_id, type, sku, occurred_at, payload "
                + "FROM outbox WHERE destination = ? ORDER BY id LIMIT ?")) {
            st.setString(1, destination);
            st.setInt(2, limit);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getObject(2).toString(), rs.getString(3), rs.getString(4),
                            rs.getTimestamp(5).toInstant(), rs.getString(6)));
                }
            }
            return rows;
        }
    }

    static void delete(Connection connection, List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement st = connection.prepareStatement("DELETE FROM outbox WHERE id = ?")) {
            for (Row row : rows) {
                st.setLong(1, row.id());
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    /**
     * Takes the relay lock within the connection's transaction; false when another relay holds it.
     * A lock row deleted by hand (say, every table emptied) is put back, or no relay would ever run.
     */
    static boolean lockRelay(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT name FROM outbox_relay_lock WHERE name = 'relay' FOR UPDATE SKIP LOCKED")) {
            if (exists(lock)) {
                return true;
            }
            try (PreparedStatement restore = connection.prepareStatement(
                    "INSERT INTO outbox_relay_lock (name) VALUES ('relay') ON CONFLICT DO NOTHING")) {
                return restore.executeUpdate() == 1 && exists(lock);
            }
        }
    }

    private static boolean exists(PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            return rs.next();
        }
    }

    static long backlog(Connection connection) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT count(*) FROM outbox");
             ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.Deallocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.Product.Raised;
import com.allocationservice.service.Backoff;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;

/**
 * The outbox table: rows written by a unit of work in its own transaction, read and deleted by the
 * relay in its. Each event becomes one message (a UUID, a type, the time, the product version and
 * the book's fields as JSON) with one row per destination: {@code pubsub} and {@code stream} (Redis)
 * for every event, and {@code email} as well for {@link OutOfStock}. A row a destination refused
 * counts its attempts; after the last one it moves to {@code outbox_parked}.
 */
final class JdbcOutbox {

    static final String PUBSUB = "pubsub";
    static final String STREAM = "stream";
    static final String EMAIL = "email";
    /** A refused row's pause before its next attempt, by its refused attempts before. */
    private static final Backoff RETRY = new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5), false);
    private static final int MAX_ERROR_LENGTH = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Typed array parameters, in the SQL standard's spelling that PostgreSQL and H2 both read, so that
     * a statement takes any number of rows and keeps one text (prepared once, planned once).
     */
    static final String BIGINTS = "CAST(? AS BIGINT ARRAY)";
    static final String INTS = "CAST(? AS INTEGER ARRAY)";
    static final String TEXTS = "CAST(? AS VARCHAR ARRAY)";
    static final String TIMESTAMPS = "CAST(? AS TIMESTAMP WITH TIME ZONE ARRAY)";

    /** A row as the relay reads it; attempts counts the earlier attempts its destination refused. */
    record Row(long id, String messageId, String destination, String type, String sku, Instant occurredAt,
            String payload, int attempts, String traceparent) {
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

    /** One row to insert: a message for one destination. */
    private record NewRow(UUID messageId, String destination, Raised raised, String payload) {
    }

    private static final NamedSql INSERT = new NamedSql("INSERT INTO outbox "
            + "(message_id, destination, type, sku, product_version, occurred_at, payload, traceparent) "
            + "SELECT u.m, u.d, u.t, u.s, u.v, :occurred_at, u.p, :traceparent FROM UNNEST(CAST(:ids AS UUID ARRAY), "
            + "CAST(:destinations AS VARCHAR ARRAY), CAST(:types AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY), "
            + "CAST(:versions AS BIGINT ARRAY), CAST(:payloads AS VARCHAR ARRAY)) "
            + "WITH ORDINALITY AS u (m, d, t, s, v, p, n) ORDER BY u.n");

    /**
     * The statement that inserts the rows of these events (at least one), as arrays, in the order raised
     * (so their ids follow it), occurred {@code at}, each with this traceparent (null: none).
     */
    static NamedSql.Bound insert(Connection connection, List<Raised> raised, Timestamp at, String traceparent)
            throws SQLException {
        Instant occurredAt = at.toInstant();
        List<NewRow> rows = new ArrayList<>();
        for (Raised r : raised) {
            UUID id = UUID.randomUUID();
            String payload = payload(id, r.event(), r.version(), occurredAt);
            for (String destination : destinations(r.event())) {
                rows.add(new NewRow(id, destination, r, payload));
            }
        }
        Map<String, Object> values = new HashMap<>();
        values.put("traceparent", traceparent);
        values.putAll(Map.of("occurred_at", at,
                "ids", NamedSql.array(connection, "UUID", rows, NewRow::messageId),
                "destinations", NamedSql.array(connection, "VARCHAR", rows, NewRow::destination),
                "types", NamedSql.array(connection, "VARCHAR", rows, r -> type(r.raised().event())),
                "skus", NamedSql.array(connection, "VARCHAR", rows, r -> r.raised().event().sku()),
                "versions", NamedSql.array(connection, "BIGINT", rows, r -> r.raised().version()),
                "payloads", NamedSql.array(connection, "VARCHAR", rows, NewRow::payload)));
        return INSERT.with(values);
    }

    /** The destinations of an event's rows. */
    static List<String> destinations(Event event) {
        return event instanceof OutOfStock ? List.of(PUBSUB, STREAM, EMAIL) : List.of(PUBSUB, STREAM);
    }

    /**
     * The oldest rows of these destinations that are due: not waiting for a retry, and not behind a
     * row of the same SKU and destination that is being retried (so each SKU's rows go out in order,
     * and a failing row holds back only its own SKU).
     */
    static List<Row> due(Connection connection, List<String> destinations, Instant now, int limit)
            throws SQLException {
        // One ordered scan of (destination, id) per destination, each stopping after `limit` rows, so a
        // round costs the same however long the backlog; a row behind a retried row of its SKU is
        // found through outbox_retrying, which holds only retried rows (V9).
        String one = "(SELECT id, message_id, destination, type, sku, occurred_at, payload, attempts, traceparent "
                + "FROM outbox o "
                + "WHERE destination = ? AND (retry_at IS NULL OR retry_at <= ?) AND NOT EXISTS (SELECT 1 FROM outbox f "
                + "WHERE f.attempts > 0 AND f.destination = o.destination AND f.sku = o.sku AND f.id < o.id) "
                + "ORDER BY id LIMIT ?)";
        String sql = destinations.size() == 1 ? one
                : String.join(" UNION ALL ", destinations.stream().map(d -> one).toList()) + " ORDER BY id LIMIT ?";
        try (PreparedStatement st = connection.prepareStatement(sql)) {
            // The outbox drains to nothing and vacuum truncates it; a plan kept from then would walk a
            // later backlog with nested loops (OutboxRoundStatementsTest).
            Database.planEachTime(st);
            int i = 1;
            for (String destination : destinations) {
                st.setString(i++, destination);
                st.setTimestamp(i++, Timestamp.from(now));
                st.setInt(i++, limit);
            }
            if (destinations.size() > 1) {
                st.setInt(i, limit);
            }
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getObject(2).toString(), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getTimestamp(6).toInstant(), rs.getString(7), rs.getInt(8), rs.getString(9)));
                }
            }
            return rows;
        }
    }

    /** One more refused attempt of a row: its attempts, this one counted, and the error cut to fit its column. */
    private record Refusal(Row row, int attempts, String error) {
        Refusal(Row row, String error) {
            this(row, row.attempts() + 1, error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error);
        }
    }

    /**
     * Records one more refused attempt for each of these rows: a row still under maxAttempts is tried
     * again after a pause that doubles with each attempt (one second up to five minutes); the others
     * are copied to {@code outbox_parked}, and returned for the caller to delete with the delivered.
     * At most two statements however many rows: one update of those to retry, one insert of those to
     * park, each taking its rows as arrays.
     */
    static List<Row> refused(Connection connection, Map<Row, String> refused, Instant now, int maxAttempts)
            throws SQLException {
        Map<Boolean, List<Refusal>> last = refused.entrySet().stream()
                .map(e -> new Refusal(e.getKey(), e.getValue()))
                .collect(Collectors.partitioningBy(r -> r.attempts() >= maxAttempts));
        List<Refusal> retried = last.get(false);
        List<Refusal> parked = last.get(true);
        if (!retried.isEmpty()) {
            try (PreparedStatement retry = connection.prepareStatement("UPDATE outbox SET (attempts, retry_at, "
                    + "last_error) = (SELECT u.attempts, u.retry_at, u.error FROM UNNEST(" + BIGINTS + ", " + INTS
                    + ", " + TIMESTAMPS + ", " + TEXTS + ") AS u(id, attempts, retry_at, error) WHERE u.id = outbox.id) "
                    + "WHERE id = ANY(" + BIGINTS + ")")) {
                Array ids = NamedSql.array(connection, "bigint", retried, r -> r.row().id());
                retry.setArray(1, ids);
                retry.setArray(2, NamedSql.array(connection, "integer", retried, Refusal::attempts));
                retry.setArray(3, NamedSql.array(connection, "timestamptz", retried,
                        r -> now.plus(RETRY.delay(r.attempts() - 1)).atOffset(ZoneOffset.UTC)));
                retry.setArray(4, NamedSql.array(connection, "varchar", retried, Refusal::error));
                retry.setArray(5, ids);
                retry.executeUpdate();
            }
        }
        if (!parked.isEmpty()) {
            try (PreparedStatement park = connection.prepareStatement("INSERT INTO outbox_parked (id, message_id, "
                    + "destination, type, sku, product_version, occurred_at, payload, attempts, error, parked_at) "
                    + "SELECT o.id, o.message_id, o.destination, o.type, o.sku, o.product_version, o.occurred_at, "
                    + "o.payload, u.attempts, u.error, ? FROM outbox o JOIN UNNEST(" + BIGINTS + ", " + INTS + ", "
                    + TEXTS + ") AS u(id, attempts, error) ON u.id = o.id")) {
                park.setTimestamp(1, Timestamp.from(now));
                park.setArray(2, NamedSql.array(connection, "bigint", parked, r -> r.row().id()));
                park.setArray(3, NamedSql.array(connection, "integer", parked, Refusal::attempts));
                park.setArray(4, NamedSql.array(connection, "varchar", parked, Refusal::error));
                park.executeUpdate();
            }
        }
        return parked.stream().map(Refusal::row).toList();
    }

    /** Deletes these rows in one statement. */
    static void delete(Connection connection, List<Row> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        try (PreparedStatement st = connection.prepareStatement("DELETE FROM outbox WHERE id = ANY(" + BIGINTS + ")")) {
            Database.planEachTime(st); // a plan kept from an empty outbox reads it whole
            st.setArray(1, NamedSql.array(connection, "bigint", rows, Row::id));
            st.executeUpdate();
        }
    }

    /**
     * Starts a relay round: takes the named relay lock (one per destination loop) within the
     * connection's transaction, false when another relay holds it. A lock row deleted by hand (say,
     * every table emptied) is put back, or no relay would ever run.
     * <p>
     * On PostgreSQL the same statement (a round runs after nearly every group commit under load, so a
     * round trip of its own would cost) sets two things for the rest of the round's transaction. Its
     * commit does not wait for the disk: a round lost in a crash only delivers its rows again, which
     * at-least-once delivery allows. And bitmap scans are off: the planner, told by its statistics that
     * a draining queue holds next to nothing, would pick one that revisits every dead index entry of
     * the outbox at each round, where an index scan in id order stops after the batch (bench/PROFILE.md).
     */
    static boolean startRound(Connection connection, String name) throws SQLException {
        String roundSettings = connection.isWrapperFor(PGConnection.class)
                ? ", set_config('synchronous_commit', 'off', true), set_config('enable_bitmapscan', 'off', true)"
                : "";
        try (PreparedStatement lock = connection.prepareStatement(
                "SELECT name" + roundSettings + " FROM outbox_relay_lock WHERE name = ? FOR UPDATE SKIP LOCKED")) {
            lock.setString(1, name);
            if (exists(lock)) {
                return true;
            }
            try (PreparedStatement restore = connection.prepareStatement(
                    "INSERT INTO outbox_relay_lock (name) VALUES (?) ON CONFLICT DO NOTHING")) {
                restore.setString(1, name);
                return restore.executeUpdate() == 1 && exists(lock);
            }
        }
    }

    private static boolean exists(PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            return rs.next();
        }
    }

    /** Rows waiting in {@code outbox} or, with table {@code outbox_parked}, set aside. */
    static long count(Connection connection, String table) throws SQLException {
        try (PreparedStatement st = connection.prepareStatement("SELECT count(*) FROM " + table);
             ResultSet rs = st.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.service.Notifications;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code email} rows: out-of-stock notices, up to 20 a round, one after the other. One per SKU
 * per window: the out-of-stock time last emailed for a SKU is kept in {@code out_of_stock_emails}
 * (read once and written in at most two statements a round), and a row that happened within the window after it is counted
 * as suppressed instead of sent. (The book sends an email per event, from a handler that runs after
 * the commit, so a crash loses it and a burst floods the inbox.) A message the server refuses holds
 * back the later ones of its SKU; a server that cannot be reached ends the round.
 */
public final class EmailDestination implements OutboxDestination {

    private static final Logger log = LoggerFactory.getLogger(EmailDestination.class);
    private static final int BATCH = 20;

    private final Notifications notifications;
    private final String notifyTo;
    private final Duration window;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    public EmailDestination(Notifications notifications, String notifyTo, Duration window) {
        this.notifications = Objects.requireNonNull(notifications);
        this.notifyTo = Objects.requireNonNull(notifyTo);
        this.window = Objects.requireNonNull(window);
    }

    @Override
    public String name() {
        return "email";
    }

    @Override
    public List<String> rows() {
        return List.of(JdbcOutbox.EMAIL);
    }

    @Override
    public int batchSize() {
        return BATCH;
    }

    public long sent() {
        return sent.get();
    }

    /** Out-of-stock emails not sent because one for the same SKU went out within the window. */
    public long suppressed() {
        return suppressed.get();
    }

    @Override
    public Outcome deliver(Connection connection, List<JdbcOutbox.Row> rows) throws SQLException {
        Map<String, Instant> lastEmailed = lastEmailed(connection, rows);
        Set<String> known = new HashSet<>(lastEmailed.keySet());
        Map<String, Instant> emailed = new LinkedHashMap<>();
        List<JdbcOutbox.Row> delivered = new ArrayList<>();
        Map<JdbcOutbox.Row, String> refused = new LinkedHashMap<>();
        RuntimeException unreachable = null;
        for (JdbcOutbox.Row row : rows) {
            if (refused.keySet().stream().anyMatch(r -> r.sku().equals(row.sku()))) {
                continue;
            }
            Instant last = lastEmailed.get(row.sku());
            if (last != null && row.occurredAt().isBefore(last.plus(window))) {
                suppressed.incrementAndGet();
                log.debug("Not emailing out of stock for {} (message {}): emailed for the out-of-stock at {}",
                        row.sku(), row.messageId(), last);
                delivered.add(row);
                continue;
            }
            try {
                notifications.send(notifyTo, "Out of stock for " + row.sku() + "\n\nAn order line for SKU "
                        + row.sku() + " could not be allocated at " + row.occurredAt() + ": no batch has enough stock.");
            } catch (EmailNotifications.MailFailed e) {
                if (!e.refused()) {
                    unreachable = e;
                    break;
                }
                refused.put(row, e.getMessage());
                continue;
            } catch (RuntimeException e) {
                unreachable = e;
                break;
            }
            sent.incrementAndGet();
            lastEmailed.put(row.sku(), row.occurredAt());
            emailed.put(row.sku(), row.occurredAt());
            delivered.add(row);
        }
        remember(connection, emailed, known);
        return new Outcome(delivered, refused, unreachable);
    }

    private static Map<String, Instant> lastEmailed(Connection c, List<JdbcOutbox.Row> rows) throws SQLException {
        Map<String, Instant> last = new HashMap<>();
        if (rows.isEmpty()) {
            return last;
        }
        try (PreparedStatement st = c.prepareStatement(
                "SELECT sku, occurred_at FROM out_of_stock_emails WHERE sku = ANY(" + JdbcOutbox.TEXTS + ")")) {
            st.setArray(1, c.createArrayOf("varchar", rows.stream().map(JdbcOutbox.Row::sku).distinct().toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    last.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                }
            }
        }
        return last;
    }

    /** Records the SKUs emailed this round: one update of those known, one insert of the others. */
    private static void remember(Connection c, Map<String, Instant> emailed, Set<String> known) throws SQLException {
        Map<String, Instant> updated = new LinkedHashMap<>(emailed);
        updated.keySet().retainAll(known);
        Map<String, Instant> inserted = new LinkedHashMap<>(emailed);
        inserted.keySet().removeAll(known);
        String unnest = "UNNEST(" + JdbcOutbox.TEXTS + ", " + JdbcOutbox.TIMESTAMPS + ") AS u(sku, occurred_at)";
        if (!updated.isEmpty()) {
            try (PreparedStatement update = c.prepareStatement("UPDATE out_of_stock_emails SET occurred_at = "
                    + "(SELECT u.occurred_at FROM " + unnest + " WHERE u.sku = out_of_stock_emails.sku) "
                    + "WHERE sku = ANY(" + JdbcOutbox.TEXTS + ")")) {
                Array skus = c.createArrayOf("varchar", updated.keySet().toArray());
                update.setArray(1, skus);
                update.setArray(2, times(c, updated));
                update.setArray(3, skus);
                update.executeUpdate();
            }
        }
        if (!inserted.isEmpty()) {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO out_of_stock_emails (sku, occurred_at) SELECT u.sku, u.occurred_at FROM " + unnest)) {
                insert.setArray(1, c.createArrayOf("varchar", inserted.keySet().toArray()));
                insert.setArray(2, times(c, inserted));
                insert.executeUpdate();
            }
        }
    }

    private static Array times(Connection c, Map<String, Instant> bySku) throws SQLException {
        return c.createArrayOf("timestamptz",
                bySku.values().stream().map(t -> t.atOffset(ZoneOffset.UTC)).toArray());
    }

    @Override
    public String toString() {
        return "EmailDestination[" + notifications + "]";
    }
}

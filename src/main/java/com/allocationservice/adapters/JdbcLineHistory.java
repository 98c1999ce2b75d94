package com.allocationservice.adapters;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.LineChange;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.Source;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The table {@code order_line_history} (V14): one row per entry, written by the unit of work in its own
 * transaction, all of a group's entries in one statement (arrays, as the group's new lines are); read
 * by {@code Views.history}; pruned by the outbox relay once older than the retention, a bounded batch
 * at a time, oldest first.
 */
final class JdbcLineHistory {

    /** How long entries are kept unless {@code ALLOCATION_HISTORY_RETENTION_DAYS} says otherwise. */
    static final Duration DEFAULT_RETENTION = Duration.ofDays(90);
    /** The most rows one prune deletes, in one transaction. */
    static final int PRUNE_BATCH = 1000;

    private static final NamedSql INSERT = new NamedSql("INSERT INTO order_line_history (at, orderid, sku, kind, "
            + "batchref, cause, cause_ref, cause_key, source, source_id) "
            + "SELECT :at, u.o, u.s, u.k, u.b, u.c, u.r, u.y, u.f, u.i FROM UNNEST(CAST(:orderids AS VARCHAR ARRAY), "
            + "CAST(:skus AS VARCHAR ARRAY), CAST(:kinds AS VARCHAR ARRAY), CAST(:batchrefs AS VARCHAR ARRAY), "
            + "CAST(:causes AS VARCHAR ARRAY), CAST(:cause_refs AS VARCHAR ARRAY), CAST(:cause_keys AS VARCHAR ARRAY), "
            + "CAST(:sources AS VARCHAR ARRAY), CAST(:source_ids AS VARCHAR ARRAY)) "
            + "WITH ORDINALITY AS u (o, s, k, b, c, r, y, f, i, n) ORDER BY u.n");

    /**
     * The oldest rows by id, those of them past the cutoff: ids grow with time, so once the oldest row
     * is within the retention nothing older is left, and each prune reads at most a batch of the
     * primary key, however large the table.
     */
    private static final NamedSql PRUNE = new NamedSql("DELETE FROM order_line_history WHERE id IN "
            + "(SELECT id FROM order_line_history ORDER BY id LIMIT :limit) AND at < :cutoff");

    /**
     * Moves lines' allocation entries from their rows (V18) into the history, as they were written
     * there, in the lines' order: run just before the lines change or go (nothing for a row that
     * carries none).
     */
    static final NamedSql MOVE_ALLOCATION_ENTRIES = new NamedSql("INSERT INTO order_line_history (at, orderid, sku, "
            + "kind, batchref, cause, cause_ref, source, source_id) SELECT l.allocated_at, l.orderid, l.sku, 'allocated', "
            + "l.batchref, 'allocate', l.orderid, l.source, l.source_id FROM "
            + "UNNEST(CAST(:orderids AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY)) WITH ORDINALITY AS u (o, s, n)"
            + " JOIN order_lines l ON l.orderid = u.o AND l.sku = u.s WHERE l.allocated_at IS NOT NULL ORDER BY u.n");

    /** An order line's place: its order and SKU. */
    record LineKey(String orderid, String sku) {
        static LineKey of(LineHistory entry) {
            return new LineKey(entry.change().orderid(), entry.change().sku());
        }
    }

    private JdbcLineHistory() {
    }

    /**
     * The entries a new line's row can carry instead of a row of their own (V18), by line: an allocation
     * by the order's own command that is the only entry of its line in the group (a line allocated and
     * changed in one group keeps its entries as rows, in their order).
     */
    static Map<LineKey, LineHistory> allocationEntries(List<LineHistory> entries) {
        Map<LineKey, LineHistory> only = new HashMap<>();
        Set<LineKey> several = new HashSet<>();
        for (LineHistory e : entries) {
            LineKey key = LineKey.of(e);
            if (only.put(key, e) != null) {
                several.add(key);
            }
        }
        only.keySet().removeAll(several);
        only.values().removeIf(e -> e.change().kind() != LineChange.Kind.ALLOCATED || !(e.cause() instanceof Allocate));
        return only;
    }

    /** The entries that need rows of their own: all but those of the lines whose rows carry them. */
    static List<LineHistory> rows(List<LineHistory> entries, Set<LineKey> carried) {
        return carried.isEmpty() ? entries : entries.stream()
                .filter(e -> !carried.contains(LineKey.of(e))).toList();
    }

    /** The statement that inserts these entries (at least one), stamped {@code at}, in their order (their ids follow it). */
    static NamedSql.Bound insert(Connection c, List<LineHistory> entries, Timestamp at) throws SQLException {
        return INSERT.with(Map.of("at", at,
                "orderids", NamedSql.array(c, "VARCHAR", entries, e -> e.change().orderid()),
                "skus", NamedSql.array(c, "VARCHAR", entries, e -> e.change().sku()),
                "kinds", NamedSql.array(c, "VARCHAR", entries, e -> e.change().kind().name().toLowerCase(Locale.ROOT)),
                "batchrefs", NamedSql.array(c, "VARCHAR", entries, e -> e.change().batchref()),
                "causes", NamedSql.array(c, "VARCHAR", entries, e -> cause(e.cause())),
                "cause_refs", NamedSql.array(c, "VARCHAR", entries, e -> causeRef(e.cause())),
                "cause_keys", NamedSql.array(c, "VARCHAR", entries, e -> causeKey(e.cause(), e.source())),
                "sources", NamedSql.array(c, "VARCHAR", entries, e -> e.source().channel()),
                "source_ids", NamedSql.array(c, "VARCHAR", entries, e -> e.source().id())));
    }

    /** The command as its HTTP route and its message are named. */
    static String cause(Command<?> command) {
        return switch (command) {
            case Allocate a -> "allocate";
            case Deallocate d -> "deallocate";
            case CreateBatch b -> "add_batch";
            case ChangeBatchQuantity q -> "change_batch_quantity";
        };
    }

    /** The order a line command names, or the batch a batch command names. */
    static String causeRef(Command<?> command) {
        return switch (command) {
            case Allocate a -> a.orderid();
            case Deallocate d -> d.orderid();
            case CreateBatch b -> b.ref();
            case ChangeBatchQuantity q -> q.ref();
        };
    }

    /**
     * A quantity change's place in its producer's order, as the producer gave it: the stream entry id
     * for a change read from the stream, else its {@code seq}; null when it carried none.
     */
    static String causeKey(Command<?> command, Source source) {
        if (!(command instanceof ChangeBatchQuantity change) || change.key() == null) {
            return null;
        }
        ChangeKey key = change.key();
        return "stream".equals(source.channel()) ? key.toString() : Long.toString(key.major());
    }

    /** Deletes at most {@code limit} of the oldest entries written before {@code cutoff}; how many went. */
    static int prune(Connection c, Instant cutoff, int limit) throws SQLException {
        try (PreparedStatement st = PRUNE.prepare(c)) {
            PRUNE.bind(st, Map.of("limit", limit, "cutoff", Timestamp.from(cutoff)));
            return st.executeUpdate();
        }
    }
}

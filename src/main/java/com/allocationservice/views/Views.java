package com.allocationservice.views;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * Queries that answer reads without going through the domain, as in the book's chapter 12. They read
 * the write tables directly: an allocation is one indexed row, so there is no second copy to keep
 * in step and the read side can never lag or disagree.
 */
public final class Views {

    public record Allocation(String sku, String batchref) {
    }

    /** An order line and where it stands: on a batch, or backordered ({@code batchref} null). */
    public record OrderLineStatus(String sku, int qty, String batchref, String status) {
    }

    /** A SKU's stock: each batch, totals for warehouse stock (no ETA) and incoming stock, and the backorder. */
    public record Stock(String sku, List<BatchStock> batches, Totals warehouse, Totals incoming,
            List<Backorder> backorder) {
    }

    /** One batch; {@code eta} is YYYY-MM-DD, or null for warehouse stock. */
    public record BatchStock(String ref, String eta, int purchased, int allocated, int available) {
    }

    public record Totals(long purchased, long allocated, long available) {
        static Totals of(List<BatchStock> batches) {
            long purchased = batches.stream().mapToLong(BatchStock::purchased).sum();
            long allocated = batches.stream().mapToLong(BatchStock::allocated).sum();
            return new Totals(purchased, allocated, purchased - allocated);
        }
    }

    /** A line of this SKU that no batch could take yet. */
    public record Backorder(String orderid, int qty) {
    }

    /**
     * One entry of an order's history (the line of {@code sku}): {@code kind} allocated, moved, backordered,
     * placed or deallocated; {@code batchref} the batch the line is on afterwards (null when backordered or
     * deallocated); the command that caused it ({@code cause}, and {@code causeRef} the order or batch it
     * names, {@code causeKey} a quantity change's seq or stream entry id); where that command came from
     * ({@code source} http, stream, pubsub or internal, {@code sourceId} the token's name, the entry id or
     * the message id); {@code at} ISO-8601 UTC.
     */
    public record HistoryEntry(String at, String sku, String kind, String batchref, String cause, String causeRef,
            String causeKey, String source, String sourceId) {
    }

    /** Outbox rows waiting to be delivered, and rows set aside in {@code outbox_parked} for an operator. */
    public record Outbox(long backlog, long parked) {
    }

    /**
     * A SKU in the overview of all stock. {@code warehouse} and {@code incoming} are what batches without
     * and with an ETA still have available; {@code allocated} is on any batch; {@code next_eta} is the
     * earliest ETA of an incoming batch that still has stock available, or null. {@code attention}: the
     * SKU has backordered lines, or less than the threshold available in the warehouse.
     */
    public record ProductOverview(String sku, long warehouse, long incoming, long allocated, Backordered backordered,
            String next_eta, boolean attention) {
    }

    /** A SKU's lines waiting for stock: how many, and their total quantity. */
    public record Backordered(long lines, long qty) {
    }

    /** Which SKUs the overview lists. */
    public enum OverviewFilter { ALL, SHORT }

    /**
     * The overview's orders: {@code ATTENTION} lists the SKUs needing attention first (most backordered
     * first, then least in the warehouse, then by SKU), then the others by SKU; {@code SKU} by SKU only.
     */
    public enum OverviewSort { ATTENTION, SKU }

    /**
     * Where a row stands in the overview's order, for keyset paging. For {@code ATTENTION}: its group
     * (0 needs attention, 1 not), minus its backordered quantity and its warehouse stock (both 0 in group
     * 1), then its SKU, compared in that order; for {@code SKU}, only the SKU counts.
     */
    public record OverviewKey(int group, long minusBackordered, long warehouse, String sku) {
    }

    /** One page of the overview, and the key of its last row when more rows follow (else null). */
    public record OverviewPage(List<ProductOverview> products, OverviewKey next) {
    }

    /** An outbox row set aside after its last refused attempt; times are ISO-8601 UTC. */
    public record ParkedRow(long id, String messageId, String destination, String type, String sku, int attempts,
            String error, String parkedAt, String occurredAt, String payload) {
    }

    /** One recorded operator action; {@code targetId} is null for a replay of all. */
    public record OperatorAction(long id, String at, String who, String action, String kind, String targetId,
            int affected, String reason) {
    }

    private static final String PARKED_COLUMNS = "SELECT id, message_id, destination, type, sku, attempts, error,"
            + " parked_at, occurred_at, payload FROM outbox_parked";

    private static final long WRITE_REUSED_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** PostgreSQL's too_many_connections: max_connections, or a database's or role's limit. */
    private static final String TOO_MANY_CONNECTIONS = "53300";

    private final DataSource dataSource;
    private final DataSource healthProbe;
    /** When the last check's write succeeded ({@link System#nanoTime}), 0: the last check failed. */
    private volatile long lastWriteNanos;

    /** Views whose health check shares the pool of the reads (tests). */
    public Views(DataSource dataSource) {
        this(dataSource, dataSource);
    }

    /** Views whose health check uses {@code healthProbe}, a pool of its own, so it never waits behind busy reads. */
    public Views(DataSource dataSource, DataSource healthProbe) {
        this.dataSource = dataSource;
        this.healthProbe = healthProbe;
    }

    /** The order's lines that are on a batch: the book's {@code allocations} view. */
    public List<Allocation> allocations(String orderid) throws SQLException {
        return list("SELECT sku, batchref FROM order_lines WHERE orderid = ? AND batchref IS NOT NULL ORDER BY sku",
                orderid, rs -> new Allocation(rs.getString(1), rs.getString(2)));
    }

    /** Every line of the order, including backorders. */
    public List<OrderLineStatus> orderLines(String orderid) throws SQLException {
        return list("SELECT sku, qty, batchref FROM order_lines WHERE orderid = ? ORDER BY sku", orderid, rs -> {
            String batchref = rs.getString(3);
            return new OrderLineStatus(rs.getString(1), rs.getInt(2), batchref,
                    batchref == null ? "backordered" : "allocated");
        });
    }

    /**
     * What happened to the order's lines, in the order it happened; empty when nothing is kept for the
     * order. The entries are rows of the history, and the allocations that lines still carry on their
     * own rows (V18), each written with its group, first among that group's entries; a group's entries
     * share their time and follow each other by id.
     */
    public List<HistoryEntry> history(String orderid) throws SQLException {
        return list("SELECT at, sku, kind, batchref, cause, cause_ref, cause_key, source, source_id FROM ("
                + "SELECT at, id, sku, kind, batchref, cause, cause_ref, cause_key, source, source_id "
                + "FROM order_line_history WHERE orderid = ? UNION ALL "
                + "SELECT allocated_at, 0, sku, 'allocated', batchref, 'allocate', orderid, NULL, source, source_id "
                + "FROM order_lines WHERE orderid = ? AND allocated_at IS NOT NULL) h ORDER BY at, id", orderid,
                rs -> new HistoryEntry(instant(rs, "at"), rs.getString("sku"), rs.getString("kind"),
                        rs.getString("batchref"), rs.getString("cause"), rs.getString("cause_ref"),
                        rs.getString("cause_key"), rs.getString("source"), rs.getString("source_id")));
    }

    /**
     * The SKU's stock, or empty for an unknown SKU. All three queries read one snapshot (a repeatable
     * read transaction), so the batches, totals and backorder always agree with each other.
     */
    public Optional<Stock> stock(String sku) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                List<String> product = list(c, "SELECT sku FROM products WHERE sku = ?", sku, rs -> rs.getString(1));
                if (product.isEmpty()) {
                    return Optional.empty();
                }
                List<BatchStock> batches = list(c, """
                        SELECT reference, eta, purchased_quantity, allocated_quantity FROM batches
                        WHERE sku = ? ORDER BY eta NULLS FIRST, reference""", sku, rs -> {
                    LocalDate eta = rs.getObject(2, LocalDate.class);   // not java.sql.Date: Julian before 1582
                    int purchased = rs.getInt(3);
                    int allocated = rs.getInt(4);
                    return new BatchStock(rs.getString(1), eta == null ? null : eta.toString(),
                            purchased, allocated, purchased - allocated);
                });
                List<Backorder> backorder = list(c, """
                        SELECT orderid, qty FROM order_lines WHERE sku = ? AND batchref IS NULL
                        ORDER BY placed_version, orderid""", sku, rs -> new Backorder(rs.getString(1), rs.getInt(2)));
                return Optional.of(new Stock(sku, batches,
                        Totals.of(batches.stream().filter(b -> b.eta() == null).toList()),
                        Totals.of(batches.stream().filter(b -> b.eta() != null).toList()),
                        backorder));
            } finally {
                c.rollback();
            }
        }
    }

    /**
     * One page of the overview of all stock, after the row keyed {@code after} (null: from the start),
     * read in one snapshot. A SKU needs attention when it has backordered lines or less than
     * {@code below} in the warehouse (nothing at all, whatever {@code below}). The page is found first by
     * its SKUs, and only its rows' figures are then read (see {@link #figures}):
     * <ul>
     * <li>the SKUs that need attention, in their order, from the product rows, which carry each SKU's
     * warehouse stock and backordered quantity (V16__products_stock_figures.sql) and, indexed, whether
     * it needs attention at the default threshold (V17__products_needing_attention.sql);</li>
     * <li>the others, and every page by SKU, by walking the products' primary key from the cursor, each
     * SKU checked on its row, until the page is full.</li>
     * </ul>
     */
    public OverviewPage products(OverviewFilter filter, OverviewSort sort, long below, OverviewKey after, int limit)
            throws SQLException {
        long threshold = Math.max(below, 1);
        try (Connection c = dataSource.getConnection()) {
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                List<OverviewKey> keys = new ArrayList<>();
                if (sort == OverviewSort.SKU) {
                    keys.addAll(bySku(c, filter == OverviewFilter.SHORT ? Boolean.TRUE : null, threshold,
                            after == null ? null : after.sku(), limit + 1));
                } else {
                    if (after == null || after.group() == 0) {
                        keys.addAll(needingAttention(c, threshold, after, limit + 1));
                    }
                    if (keys.size() <= limit && filter == OverviewFilter.ALL) {
                        keys.addAll(bySku(c, Boolean.FALSE, threshold,
                                after == null || after.group() == 0 ? null : after.sku(), limit + 1 - keys.size()));
                    }
                }
                boolean more = keys.size() > limit;
                List<OverviewKey> page = more ? keys.subList(0, limit) : keys;
                Map<String, ProductOverview> figures = figures(c, page, threshold);
                return new OverviewPage(page.stream().map(key -> figures.get(key.sku())).toList(),
                        more ? page.getLast() : null);
            } finally {
                c.rollback();
            }
        }
    }

    /**
     * The condition on products {@code p} of needing attention, from the figures each product row
     * carries (V16); binds the threshold once.
     */
    private static final String NEEDS_ATTENTION = "(p.backordered > 0 OR p.warehouse < ?)";

    /**
     * The threshold of the products' indexed flag {@code needs_attention} (V17): up to it, the SKUs
     * needing attention are among the flagged ones, read through its index instead of a pass over every
     * product row.
     */
    private static final long FLAGGED_BELOW = 10;

    /** {@link #NEEDS_ATTENTION}, through the flag's index when the threshold allows. */
    private static String needsAttention(long threshold) {
        return threshold <= FLAGGED_BELOW ? "p.needs_attention AND " + NEEDS_ATTENTION : NEEDS_ATTENTION;
    }

    /**
     * The keys of the SKUs needing attention after {@code after}, in their order: the flagged product
     * rows (V17) up to the flag's threshold, else a pass over every product row (narrow, one per SKU; the
     * figures are unindexed, see V16), the page's rows kept by a top-N sort.
     */
    private static List<OverviewKey> needingAttention(Connection c, long threshold, OverviewKey after, int limit)
            throws SQLException {
        String sql = "SELECT p.sku, -p.backordered, p.warehouse FROM products p WHERE " + needsAttention(threshold)
                + (after == null ? "" : " AND (-p.backordered, p.warehouse, p.sku) > (?, ?, ?)")
                + " ORDER BY -p.backordered, p.warehouse, p.sku LIMIT ?";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            int i = 1;
            st.setLong(i++, threshold);
            if (after != null) {
                st.setLong(i++, after.minusBackordered());
                st.setLong(i++, after.warehouse());
                st.setString(i++, after.sku());
            }
            st.setInt(i, limit);
            List<OverviewKey> keys = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    keys.add(new OverviewKey(0, rs.getLong(2), rs.getLong(3), rs.getString(1)));
                }
            }
            return keys;
        }
    }

    /**
     * The keys of the SKUs after {@code afterSku} (null: from the first), by SKU: all of them
     * ({@code attention} null), only those needing attention (true), or only the others (false).
     */
    private static List<OverviewKey> bySku(Connection c, Boolean attention, long threshold, String afterSku, int limit)
            throws SQLException {
        String sql = "SELECT p.sku FROM products p WHERE 1 = 1" + (afterSku == null ? "" : " AND p.sku > ?")
                + (attention == null ? "" : attention ? " AND " + needsAttention(threshold) : " AND NOT " + NEEDS_ATTENTION)
                + " ORDER BY p.sku LIMIT ?";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            int i = 1;
            if (afterSku != null) {
                st.setString(i++, afterSku);
            }
            if (attention != null) {
                st.setLong(i++, threshold);
            }
            st.setInt(i, limit);
            List<OverviewKey> keys = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    keys.add(new OverviewKey(1, 0, 0, rs.getString("sku")));
                }
            }
            return keys;
        }
    }

    /** The figures of the page's SKUs, by SKU: each from its batches and its backordered lines, by index. */
    private static Map<String, ProductOverview> figures(Connection c, List<OverviewKey> page, long threshold)
            throws SQLException {
        Map<String, ProductOverview> figures = new HashMap<>();
        if (page.isEmpty()) {
            return figures;
        }
        String sql = """
                SELECT p.sku, COALESCE(s.warehouse, 0) AS warehouse, COALESCE(s.incoming, 0) AS incoming,
                       COALESCE(s.allocated, 0) AS allocated, s.next_eta,
                       COALESCE(o.lines, 0) AS backordered_lines, COALESCE(o.qty, 0) AS backordered_qty
                FROM products p
                LEFT JOIN (
                  SELECT sku,
                         SUM(CASE WHEN eta IS NULL THEN purchased_quantity - allocated_quantity ELSE 0 END) AS warehouse,
                         SUM(CASE WHEN eta IS NULL THEN 0 ELSE purchased_quantity - allocated_quantity END) AS incoming,
                         SUM(allocated_quantity) AS allocated,
                         MIN(CASE WHEN eta IS NOT NULL AND purchased_quantity > allocated_quantity THEN eta END) AS next_eta
                  FROM batches WHERE sku = ANY(CAST(? AS VARCHAR ARRAY)) GROUP BY sku) s ON s.sku = p.sku
                LEFT JOIN (
                  SELECT sku, COUNT(*) AS lines, SUM(qty) AS qty FROM order_lines
                  WHERE batchref IS NULL AND sku = ANY(CAST(? AS VARCHAR ARRAY)) GROUP BY sku) o ON o.sku = p.sku
                WHERE p.sku = ANY(CAST(? AS VARCHAR ARRAY))""";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            java.sql.Array skus = c.createArrayOf("VARCHAR", page.stream().map(OverviewKey::sku).toArray());
            st.setArray(1, skus);
            st.setArray(2, skus);
            st.setArray(3, skus);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    LocalDate eta = rs.getObject("next_eta", LocalDate.class);
                    long warehouse = rs.getLong("warehouse");
                    long lines = rs.getLong("backordered_lines");
                    figures.put(rs.getString("sku"), new ProductOverview(rs.getString("sku"), warehouse,
                            rs.getLong("incoming"), rs.getLong("allocated"), new Backordered(lines, rs.getLong("backordered_qty")),
                            eta == null ? null : eta.toString(), lines > 0 || warehouse < threshold));
                }
            }
        }
        return figures;
    }

    /** The outbox's two counts, read in one statement. */
    public Outbox outbox() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement st = c.prepareStatement(
                     "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox_parked)")) {
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return new Outbox(rs.getLong(1), rs.getLong(2));
            } finally {
                c.rollback();
            }
        }
    }

    /** Up to {@code limit} parked rows after the id {@code after} (0: from the first), oldest first. */
    public List<ParkedRow> parkedRows(long after, int limit) throws SQLException {
        return list(PARKED_COLUMNS + " WHERE id > ? ORDER BY id FETCH FIRST " + limit + " ROWS ONLY", after,
                Views::parkedRow);
    }

    public Optional<ParkedRow> parkedRow(long id) throws SQLException {
        return list(PARKED_COLUMNS + " WHERE id = ?", id, Views::parkedRow).stream().findFirst();
    }

    /** Up to {@code limit} recorded actions before the id {@code before} (0: from the latest), latest first. */
    public List<OperatorAction> operatorActions(long before, int limit) throws SQLException {
        return list("SELECT id, at, who, action, target_kind, target_id, affected, reason FROM operator_actions"
                + " WHERE ? = 0 OR id < ? ORDER BY id DESC FETCH FIRST " + limit + " ROWS ONLY", before,
                rs -> new OperatorAction(rs.getLong("id"), instant(rs, "at"), rs.getString("who"),
                        rs.getString("action"), rs.getString("target_kind"), rs.getString("target_id"),
                        rs.getInt("affected"), rs.getString("reason")));
    }

    private static ParkedRow parkedRow(ResultSet rs) throws SQLException {
        return new ParkedRow(rs.getLong("id"), rs.getString("message_id"), rs.getString("destination"),
                rs.getString("type"), rs.getString("sku"), rs.getInt("attempts"), rs.getString("error"),
                instant(rs, "parked_at"), instant(rs, "occurred_at"), rs.getString("payload"));
    }

    private static String instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime at = rs.getObject(column, OffsetDateTime.class);
        return at == null ? null : at.toInstant().toString();
    }

    /** The rows of a query whose every {@code ?} is this number. */
    private <T> List<T> list(String sql, long param, RowMapper<T> mapper) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 1; i <= sql.chars().filter(ch -> ch == '?').count(); i++) {
                st.setLong(i, param);
            }
            List<T> result = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    result.add(mapper.map(rs));
                }
            } finally {
                c.rollback();
            }
            return result;
        }
    }

    /**
     * True when the database takes a write within a second, on the health probe's pool: a committed
     * update of the one row of {@code storage_check} (a read, or a write rolled back, does not touch the
     * disk, so it would not see a full or read-only one). The write is made at most once a second while
     * writes succeed; a check within a second of a successful one only asks the connection whether it
     * is valid. A check that takes longer is left to end on its own timeouts: the answer does not wait
     * for it.
     */
    public boolean databaseAnswers() {
        return databaseProblem().isEmpty();
    }

    /** Why the database fails {@link #databaseAnswers}'s check (naming a full or read-only store), or empty if it passes. */
    public Optional<String> databaseProblem() {
        CompletableFuture<Optional<String>> answered = CompletableFuture.supplyAsync(this::probe,
                check -> Thread.ofVirtual().name("health-check").start(check));
        try {
            return answered.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return Optional.of("The database does not answer within a second");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("Interrupted while checking the database");
        }
    }

    private Optional<String> probe() {
        Connection connection;
        try {
            connection = healthProbe.getConnection();
        } catch (SQLException e) {
            // the probe's pool gives up within the second (Database.probe), saying why when the server refused
            return Optional.of(TOO_MANY_CONNECTIONS.equals(e.getSQLState())
                    ? "The database refuses more connections (PostgreSQL's max_connections, or the database's or"
                            + " the role's connection limit, is reached)"
                    : "The database does not answer within a second");
        }
        try (Connection c = connection) {
            long wrote = lastWriteNanos;
            if (wrote != 0 && System.nanoTime() - wrote < WRITE_REUSED_NANOS) {
                boolean valid = c.isValid(1);
                c.rollback();
                return valid ? Optional.empty() : Optional.of("The database connection is not valid");
            }
            try (PreparedStatement st = c.prepareStatement(
                    "UPDATE storage_check SET checked_at = CURRENT_TIMESTAMP WHERE id = 1")) {
                st.executeUpdate();
            }
            c.commit();
            lastWriteNanos = System.nanoTime();
            return Optional.empty();
        } catch (SQLException e) {
            lastWriteNanos = 0;
            return Optional.of("The database cannot take a write" + switch (String.valueOf(e.getSQLState())) {
                case "53100" -> " (storage full)";
                case "25006", "90097" -> " (storage read-only)";
                default -> "";
            });
        }
    }

    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> list(String sql, String param, RowMapper<T> mapper) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            List<T> result = list(c, sql, param, mapper);
            c.rollback();
            return result;
        }
    }

    /** The rows of {@code sql}, with {@code param} for each of its parameters. */
    private static <T> List<T> list(Connection c, String sql, String param, RowMapper<T> mapper) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            for (int i = 1; i <= sql.chars().filter(ch -> ch == '?').count(); i++) {
                st.setString(i, param);
            }
            List<T> result = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    result.add(mapper.map(rs));
                }
            }
            return result;
        }
    }
}

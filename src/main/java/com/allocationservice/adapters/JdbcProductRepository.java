package com.allocationservice.adapters;

import com.allocationservice.adapters.ProductRows.BatchRow;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.ProductRepository;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.postgresql.PGConnection;

/**
 * Products in three tables, with plain JDBC. Any number of needs load in one round trip, the needs
 * passed as arrays, so the statement text is the same for one command and for a hundred. It is the
 * unit of work's identity map: it hands out each product once and remembers the rows it was loaded
 * from, so that saving writes only what changed ({@link ProductRows}, {@link ProductWrites}).
 *
 * <p>On PostgreSQL the load also locks the products it reads, in SKU order ({@link #LOCKING}). A group
 * of commands loads once, so its locks never cross another group's. A unit of work used outside a group
 * may load again, and lock more products after the first ones: a deadlock there is a
 * {@code ConcurrencyConflict}, run again like any other.
 */
final class JdbcProductRepository implements ProductRepository {

    private static final String BATCH_COLUMNS = "'batch' AS row_kind, p.sku, p.version, b.reference AS id, "
            + "b.purchased_quantity AS qty, b.allocated_quantity AS allocated, b.eta, "
            + "b.last_change_major AS change_major, b.last_change_minor AS change_minor, "
            + "CAST(NULL AS VARCHAR(255)) AS batchref";
    private static final String LINES = "SELECT 'line', l.sku, l.placed_version, l.orderid, l.qty, 0, "
            + "CAST(NULL AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), l.batchref FROM order_lines l ";
    private static final String NAMED_LINES = "JOIN UNNEST(CAST(:order_ids AS VARCHAR ARRAY), "
            + "CAST(:order_skus AS VARCHAR ARRAY)) AS n (orderid, sku) ON l.orderid = n.orderid AND l.sku = n.sku ";

    /** The products named by SKU, each with its batches that have stock (or one row with no batch). */
    private static final String STOCKED = "SELECT " + BATCH_COLUMNS + " FROM products p "
            + "LEFT JOIN batches b ON b.sku = p.sku AND b.has_stock WHERE p.sku = ANY(CAST(:skus AS VARCHAR ARRAY))";

    /**
     * What allocations alone need, the usual group: the products with their batches that have stock,
     * and the lines named. Two parts instead of eight, so PostgreSQL plans it in a fraction of the time.
     */
    private static final String FOR_ALLOCATIONS = STOCKED + " UNION ALL " + LINES + NAMED_LINES;

    /**
     * Every need of a group: one row per batch (or one with no batch, for a product that has none) and
     * one per line. Each part is a plain indexed lookup; a row two parts find comes twice and is kept
     * once. In order: the products named by SKU with their batches that have stock; the batches named,
     * and the batches with stock of their SKUs; the batches of the lines named; the lines named; the
     * lines on the batches named; the backorders of the SKUs, and of the batches' SKUs, that ask for them.
     */
    private static final String ALL = STOCKED
            + " UNION ALL SELECT " + BATCH_COLUMNS + " FROM batches b JOIN products p ON p.sku = b.sku "
            + "WHERE b.reference = ANY(CAST(:refs AS VARCHAR ARRAY))"
            + " UNION ALL SELECT " + BATCH_COLUMNS + " FROM batches b JOIN products p ON p.sku = b.sku "
            + "WHERE b.has_stock AND b.sku IN (SELECT sku FROM batches WHERE reference = ANY(CAST(:refs AS VARCHAR ARRAY)))"
            + " UNION ALL SELECT " + BATCH_COLUMNS + " FROM order_lines l " + NAMED_LINES
            + "JOIN batches b ON b.reference = l.batchref JOIN products p ON p.sku = b.sku"
            + " UNION ALL " + LINES + NAMED_LINES
            + " UNION ALL " + LINES + "JOIN batches b ON l.sku = b.sku AND l.batchref = b.reference "
            + "WHERE b.reference = ANY(CAST(:refs AS VARCHAR ARRAY))"
            + " UNION ALL " + LINES + "WHERE l.batchref IS NULL AND l.sku = ANY(CAST(:backorder_skus AS VARCHAR ARRAY))"
            + " UNION ALL " + LINES + "WHERE l.batchref IS NULL AND l.sku IN "
            + "(SELECT sku FROM batches WHERE reference = ANY(CAST(:backorder_refs AS VARCHAR ARRAY)))";

    /**
     * PostgreSQL's row locks on the products a load reads, taken by the load itself: the products
     * named by SKU and, for the full load, the owners of the batches named. {@code ORDER BY} puts the
     * lock above the sort, so every group locks in SKU order and two groups cannot deadlock. The
     * lock is the one the version compare-and-set's update takes later anyway ({@code NO KEY}; a
     * {@code FOR UPDATE} would also hold up other transactions' foreign-key checks on the product).
     */
    private static final String LOCK_NAMED_AND_OWNERS = "WITH locked AS (SELECT sku, version FROM products "
            + "WHERE sku = ANY(CAST(:skus AS VARCHAR ARRAY) || ARRAY(SELECT sku FROM batches "
            + "WHERE reference = ANY(CAST(:refs AS VARCHAR ARRAY)))) ORDER BY sku FOR NO KEY UPDATE) ";
    /**
     * One row per product locked, with its version as the lock found it. The product itself keeps the
     * version read with its batches, so the compare-and-set refuses rows read before a change.
     */
    private static final String LOCKED = " UNION ALL SELECT 'lock', sku, version, CAST(NULL AS VARCHAR(255)), 0, 0, "
            + "CAST(NULL AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR(255)) FROM locked";

    /**
     * On PostgreSQL, what allocations alone need in statements of one table each, sent together: the
     * products locked in SKU order, then (read after the locks, so current) their batches with stock and
     * the lines of the orders named. A plan of one table looked up by its index cannot go wrong as the
     * table grows, once a sequential scan is ruled out, so these keep the plans PostgreSQL caches
     * instead of being planned at each group (a join planned while a table was empty can: the load for
     * any need is planned each time). The setting is put back for the group's writes.
     */
    private static final String LOCKED_FOR_ALLOCATIONS = "SET LOCAL enable_seqscan = off;\n"
            + "SELECT 'product' AS row_kind, sku, version, CAST(NULL AS VARCHAR(255)) AS id, 0 AS qty, 0 AS allocated, "
            + "CAST(NULL AS DATE) AS eta, CAST(NULL AS BIGINT) AS change_major, CAST(NULL AS BIGINT) AS change_minor, "
            + "CAST(NULL AS VARCHAR(255)) AS batchref FROM products WHERE sku = ANY(CAST(:skus AS VARCHAR ARRAY)) "
            + "ORDER BY sku FOR NO KEY UPDATE;\n"
            + "SELECT 'batch' AS row_kind, sku, CAST(NULL AS BIGINT) AS version, reference AS id, purchased_quantity AS qty, "
            + "allocated_quantity AS allocated, eta, last_change_major AS change_major, last_change_minor AS change_minor, "
            + "CAST(NULL AS VARCHAR(255)) AS batchref FROM batches WHERE sku = ANY(CAST(:skus AS VARCHAR ARRAY)) AND has_stock;\n"
            + "SELECT 'line' AS row_kind, sku, placed_version AS version, orderid AS id, qty, 0 AS allocated, "
            + "CAST(NULL AS DATE) AS eta, CAST(NULL AS BIGINT) AS change_major, CAST(NULL AS BIGINT) AS change_minor, "
            + "batchref FROM order_lines WHERE orderid = ANY(CAST(:order_ids AS VARCHAR ARRAY));\n"
            + "SET LOCAL enable_seqscan TO DEFAULT";

    /** The two loads, for allocations alone and for any need. */
    private record Loads(NamedSql forAllocations, NamedSql all) {
    }

    /**
     * On PostgreSQL, where several instances may share the database, a group waits for another
     * group that holds one of its products, instead of losing the compare-and-set to it and
     * running again. H2 is embedded, one process: its groups run one at a time, and nothing waits.
     */
    private static final Loads LOCKING = new Loads(new NamedSql(LOCKED_FOR_ALLOCATIONS),
            new NamedSql(LOCK_NAMED_AND_OWNERS + ALL + LOCKED));
    private static final Loads PLAIN = new Loads(new NamedSql(FOR_ALLOCATIONS), new NamedSql(ALL));

    /** A product handed out, and the rows it was loaded from (or last saved as). */
    private record Tracked(Product product, ProductRows stored) {
        /** Saving must compare-and-set its version: it changed, is new, or has events to write in its order. */
        boolean toSave() {
            return stored == null || product.version() != stored.version() || !product.pendingEvents().isEmpty();
        }
    }

    private final Supplier<Connection> connection;
    private final OpenTelemetryTracing tracing;
    private final Map<String, Tracked> seen = new LinkedHashMap<>();
    private final Set<Need> loadedNeeds = new HashSet<>();

    /** With {@code tracing} (null: off), each round trip is a span. */
    JdbcProductRepository(Supplier<Connection> connection, OpenTelemetryTracing tracing) {
        this.connection = connection;
        this.tracing = tracing;
    }

    @Override
    public void add(Product product) {
        seen.put(product.sku(), new Tracked(product, null));
    }

    @Override
    public Optional<Product> get(Need need) {
        if (!loadedNeeds.contains(need)) {
            prefetch(List.of(need));
        }
        if (need.sku() != null) {
            return Optional.ofNullable(seen.get(need.sku())).map(Tracked::product);
        }
        return seen.values().stream().map(Tracked::product).filter(p -> p.batch(need.batchref()).isPresent()).findFirst();
    }

    /**
     * Loads the products of the needs not loaded yet. A product handed out already is never loaded
     * again (that would lose its changes): it is handed out again as it is.
     */
    @Override
    public void prefetch(Collection<Need> needs) {
        List<Need> todo = needs.stream()
                .filter(n -> !loadedNeeds.contains(n) && (n.sku() == null || !seen.containsKey(n.sku())))
                .distinct().toList();
        if (!todo.isEmpty()) {
            for (ProductRows rows : load(todo)) {
                seen.putIfAbsent(rows.sku(), new Tracked(rows.toProduct(), rows));
            }
        }
        loadedNeeds.addAll(needs);
    }

    /**
     * A product to save: the version it was loaded at (null: new), its rows now, and how much its
     * backordered quantity changed since it was loaded (with its warehouse stock, the product row's
     * figures, V16).
     */
    record ToSave(Long loadedVersion, ProductRows now, long backorderedChange) {
        long warehouse() {
            return now.warehouse();
        }
    }

    /** The products to save, each with its rows as they are now (what {@link #save} writes). */
    Map<Product, ToSave> toSave() {
        Map<Product, ToSave> products = new LinkedHashMap<>();
        seen.values().stream().filter(Tracked::toSave).forEach(t -> {
            ProductRows now = ProductRows.of(t.product());
            ProductRows stored = t.stored() == null ? ProductRows.none(t.product().sku()) : t.stored();
            products.put(t.product(), new ToSave(t.stored() == null ? null : stored.version(), now,
                    now.backordered() - stored.backordered()));
        });
        return products;
    }

    /**
     * The statements that save these products (from {@link #toSave}): the compare-and-set on the
     * versions of those loaded, and what changed since they were loaded (or last saved). New lines
     * carry their allocation's entry of {@code allocationEntries}, stamped {@code at}
     * ({@link ProductWrites#writes}).
     */
    ProductWrites.Writes writes(Collection<ToSave> products,
            Map<JdbcLineHistory.LineKey, LineHistory> allocationEntries, Timestamp at) throws SQLException {
        ProductRows.Changes changes = ProductRows.Changes.none();
        for (ToSave product : products) {
            ProductRows now = product.now();
            ProductRows stored = seen.get(now.sku()).stored();
            (stored == null ? ProductRows.none(now.sku()) : stored).diff(now, changes);
        }
        return ProductWrites.writes(connection.get(), products, changes, allocationEntries, at);
    }

    /** Remembers these products as saved, once their {@link #writes} ran. */
    void saved(Collection<ToSave> products) {
        products.forEach(p -> seen.computeIfPresent(p.now().sku(), (sku, t) -> new Tracked(t.product(), p.now())));
    }

    private static boolean allocationsOnly(List<Need> needs) {
        return needs.stream().allMatch(n -> n.sku() != null && n.orderid() != null && n.batchref() == null && !n.backorders());
    }

    /**
     * Reads the products once, or twice when a lock waited for another transaction that changed them.
     * A statement reads at the moment it starts (PostgreSQL's read committed), so such a product's
     * batches and lines come from before that change, while its lock is on the row after it: the
     * version read with the batches is the old one, so the compare-and-set would refuse them. Read
     * again with the locks held, they are current.
     */
    private List<ProductRows> load(List<Need> needs) {
        Read read = read(needs);
        return read.changedWhileLocking().isEmpty() ? read.products() : read(needs).products();
    }

    /** The products read, and those whose lock found a later version than the statement read. */
    private record Read(List<ProductRows> products, Set<String> changedWhileLocking) {
    }

    private Read read(List<Need> needs) {
        Connection c = connection.get();
        boolean all = !allocationsOnly(needs);
        try {
            boolean locking = c.isWrapperFor(PGConnection.class);
            Loads loads = locking ? LOCKING : PLAIN;
            NamedSql sql = all ? loads.all() : loads.forAllocations();
            boolean ofOneTable = locking && !all;
            try (PreparedStatement st = sql.prepare(c)) {
                if (!ofOneTable) {
                    // a plan kept from an empty order_lines would hash the whole table at every load once it grew
                    Database.planEachTime(st);
                }
                List<Need> lines = needs.stream().filter(n -> n.orderid() != null).toList();
                Map<String, Object> values = new HashMap<>();
                values.put("skus", texts(c, needs.stream().map(Need::sku).filter(Objects::nonNull).distinct()));
                values.put("order_ids", texts(c, lines.stream().map(Need::orderid)));
                if (!ofOneTable) {
                    values.put("order_skus", texts(c, lines.stream().map(Need::sku)));
                }
                if (all) {
                    List<Need> backorders = needs.stream().filter(Need::backorders).toList();
                    values.put("refs", texts(c, needs.stream().map(Need::batchref).filter(Objects::nonNull).distinct()));
                    values.put("backorder_skus", texts(c, backorders.stream().map(Need::sku).filter(Objects::nonNull).distinct()));
                    values.put("backorder_refs", texts(c, backorders.stream().filter(n -> n.sku() == null).map(Need::batchref)));
                }
                sql.bind(st, values);
                // the lines of the orders named, in any SKU, come: only those named are kept
                Set<Need> named = ofOneTable ? Set.copyOf(lines) : null;
                return OpenTelemetryTracing.sql(tracing, "load products", () -> decode(st,
                        named == null ? l -> true : l -> named.contains(Need.line(l.sku(), l.orderid()))));
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("loading products for " + needs.size() + " needs", e);
        }
    }

    private static java.sql.Array texts(Connection c, Stream<String> values) throws SQLException {
        return c.createArrayOf("VARCHAR", values.toArray());
    }

    /** A product's rows as they come: its version from a batch row, its batches and lines, its version as locked. */
    private static final class Rows {
        Long version;
        Long locked;
        final Map<String, BatchRow> batches = new LinkedHashMap<>();
        final Map<String, LineAllocation> lines = new LinkedHashMap<>();
    }

    /** Decodes every result of the load; a line {@code keep} refuses is left out. */
    private static Read decode(PreparedStatement st, Predicate<OrderLine> keep) throws SQLException {
        Map<String, Rows> products = new LinkedHashMap<>();
        for (boolean rows = st.execute(); rows || st.getUpdateCount() != -1; rows = st.getMoreResults()) {
            if (rows) {
                try (ResultSet rs = st.getResultSet()) {
                    decode(rs, products, keep);
                }
            }
        }
        List<ProductRows> loaded = new ArrayList<>();
        Set<String> changed = new HashSet<>();
        products.forEach((sku, rows) -> {
            if (rows.version != null) {
                loaded.add(new ProductRows(sku, rows.version, rows.batches, rows.lines));
                if (rows.locked != null && !rows.locked.equals(rows.version)) {
                    changed.add(sku);
                }
            }
        });
        return new Read(loaded, changed);
    }

    /**
     * One result's rows, each to its product: a product's version from its own row or a batch row (a
     * batch row read on its own has none), its batches, its lines, its version as locked.
     */
    private static void decode(ResultSet rs, Map<String, Rows> products, Predicate<OrderLine> keep) throws SQLException {
        while (rs.next()) {
            String sku = rs.getString("sku");
            String id = rs.getString("id");
            Rows rows = products.computeIfAbsent(sku, s -> new Rows());
            String kind = rs.getString("row_kind");
            long version = rs.getLong("version");
            boolean versioned = !rs.wasNull();
            if ("lock".equals(kind)) {
                rows.locked = version;
            } else if ("product".equals(kind)) {
                rows.version = version;
            } else if ("batch".equals(kind)) {
                if (versioned) {
                    rows.version = version;
                }
                if (id != null) {
                    // as a LocalDate: java.sql.Date's calendar is Julian before 1582, so H2 shifted early dates
                    LocalDate eta = rs.getObject("eta", LocalDate.class);
                    long major = rs.getLong("change_major");
                    ChangeKey lastChange = rs.wasNull() ? null : new ChangeKey(major, rs.getLong("change_minor"));
                    rows.batches.put(id, new BatchRow(id, sku, rs.getInt("qty"), rs.getInt("allocated"), eta, lastChange));
                }
            } else {
                // a line's version is the product's version when it was placed
                OrderLine line = new OrderLine(id, sku, rs.getInt("qty"));
                if (keep.test(line)) {
                    rows.lines.put(id, new LineAllocation(line, rs.getString("batchref"), version));
                }
            }
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
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
import java.util.function.Supplier;

/**
 * Maps products to three tables with plain JDBC. Any number of needs load in one query, with the
 * needs passed as arrays, so the statement text is the same for one command and for a hundred. It
 * keeps what it loaded of each product and, on commit, writes only what changed: a compare-and-set on
 * each product's version first ({@code UPDATE ... WHERE version = ?}, all products in one batch), then
 * the batches and lines that differ, one batched statement per kind of change for the whole group.
 */
final class JdbcProductRepository implements ProductRepository {

    private static final String BATCH_COLUMNS = "p.sku, p.version, b.reference, b.purchased_quantity, "
            + "b.allocated_quantity, b.eta, b.last_change_major, b.last_change_minor, CAST(NULL AS VARCHAR(255))";
    private static final String LINE_COLUMNS = "SELECT 'l', l.sku, l.placed_version, l.orderid, l.qty, 0, "
            + "CAST(NULL AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), l.batchref FROM order_lines l ";
    private static final String ORDERS = "JOIN UNNEST(CAST(? AS VARCHAR ARRAY), CAST(? AS VARCHAR ARRAY)) "
            + "AS n (orderid, sku) ON l.orderid = n.orderid AND l.sku = n.sku ";
    private static final String ANY = "ANY(CAST(? AS VARCHAR ARRAY))";

    /** The products named by SKU, each with its batches that have stock (or one row with no batch). */
    private static final String STOCKED = "SELECT 'b', " + BATCH_COLUMNS + " FROM products p "
            + "LEFT JOIN batches b ON b.sku = p.sku AND b.has_stock WHERE p.sku = " + ANY;

    /**
     * What allocations alone need, the usual group: the products with their batches that have stock,
     * and the lines named. Two parts instead of nine, so PostgreSQL plans it in a fraction of the time.
     */
    private static final String LOAD_FOR_ALLOCATIONS = STOCKED + " UNION ALL " + LINE_COLUMNS + ORDERS;

    /**
     * Every need of a group in one statement, its needs passed as arrays: one 'b' row per batch (or one
     * with no batch, for a product that has none) and one 'l' row per line. Each part is a plain
     * indexed lookup; a row that two parts find comes twice and is kept once. In order: the products
     * named by SKU with their batches that have stock; the batches named, with their product's
     * version, and the batches with stock of their SKUs; the batches of the lines named; the lines
     * named; the lines on the batches named; the backorders of the SKUs, and of the batches' SKUs,
     * that asked for them.
     */
    private static final String LOAD = STOCKED
            + " UNION ALL SELECT 'b', " + BATCH_COLUMNS + " FROM batches b JOIN products p ON p.sku = b.sku "
            + "WHERE b.reference = " + ANY
            + " UNION ALL SELECT 'b', " + BATCH_COLUMNS + " FROM batches b JOIN products p ON p.sku = b.sku "
            + "WHERE b.has_stock AND b.sku IN (SELECT sku FROM batches WHERE reference = " + ANY + ")"
            + " UNION ALL SELECT 'b', " + BATCH_COLUMNS + " FROM order_lines l " + ORDERS
            + "JOIN batches b ON b.reference = l.batchref JOIN products p ON p.sku = b.sku"
            + " UNION ALL " + LINE_COLUMNS + ORDERS
            + " UNION ALL " + LINE_COLUMNS + "JOIN batches b ON l.sku = b.sku AND l.batchref = b.reference "
            + "WHERE b.reference = " + ANY
            + " UNION ALL " + LINE_COLUMNS + "WHERE l.batchref IS NULL AND l.sku = " + ANY
            + " UNION ALL " + LINE_COLUMNS + "WHERE l.batchref IS NULL AND l.sku IN "
            + "(SELECT sku FROM batches WHERE reference = " + ANY + ")";

    /** What a product looked like when loaded; absent for a product added in this unit of work. */
    private record Loaded(long version, Map<String, BatchRow> batches, Map<String, LineAllocation> lines) {
    }

    private record BatchRow(int purchased, int allocated, LocalDate eta, ChangeKey lastChange) {
        static BatchRow of(Batch b) {
            return new BatchRow(b.purchasedQuantity(), b.allocatedQuantity(), b.eta().orElse(null),
                    b.lastChange().orElse(null));
        }
    }

    private final Supplier<Connection> connection;
    private final Map<String, Product> seen = new LinkedHashMap<>();
    private final Map<String, Loaded> loaded = new HashMap<>();
    private final Set<Need> loadedNeeds = new HashSet<>();
    private final List<Product> claimed = new ArrayList<>();

    JdbcProductRepository(Supplier<Connection> connection) {
        this.connection = connection;
    }

    Collection<Product> seen() {
        return seen.values();
    }

    @Override
    public void add(Product product) {
        seen.put(product.sku(), product);
    }

    @Override
    public Optional<Product> get(Need need) {
        if (!loadedNeeds.contains(need)) {
            prefetch(List.of(need));
        }
        if (need.sku() != null) {
            return Optional.ofNullable(seen.get(need.sku()));
        }
        return seen.values().stream().filter(p -> p.batch(need.batchref()).isPresent()).findFirst();
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
            query(todo).forEach((sku, state) -> {
                if (!seen.containsKey(sku)) {
                    List<Batch> batches = new ArrayList<>();
                    state.batches().forEach((ref, row) -> batches.add(new Batch(ref, sku, row.purchased(), row.eta(),
                            row.allocated(), row.lastChange())));
                    seen.put(sku, new Product(sku, batches, state.version(), state.lines().values()));
                    loaded.put(sku, state);
                }
            });
        }
        loadedNeeds.addAll(needs);
    }

    /** True when every need is an allocation's (a line of a named SKU, no backorders). */
    private static boolean allocationsOnly(List<Need> needs) {
        return needs.stream().allMatch(n -> n.sku() != null && n.orderid() != null && n.batchref() == null && !n.backorders());
    }

    /** A product's rows as they come: its version from a 'b' row, its batches and lines. */
    private static final class Rows {
        Long version;
        final Map<String, BatchRow> batches = new LinkedHashMap<>();
        final Map<String, LineAllocation> lines = new LinkedHashMap<>();
    }

    private Map<String, Loaded> query(List<Need> needs) {
        Connection c = connection.get();
        boolean allocationsOnly = allocationsOnly(needs);
        try (PreparedStatement st = c.prepareStatement(allocationsOnly ? LOAD_FOR_ALLOCATIONS : LOAD)) {
            // A plan kept from an empty order_lines hashed the whole table at every load once it had
            // grown: 20 ms a load after 28,000 lines, until autovacuum analyzed it.
            Database.planEachTime(st);
            Object[] skus = needs.stream().map(Need::sku).filter(Objects::nonNull).distinct().toArray();
            Object[] refs = needs.stream().map(Need::batchref).filter(Objects::nonNull).distinct().toArray();
            List<Need> lines = needs.stream().filter(n -> n.orderid() != null).toList();
            Object[] orders = lines.stream().map(Need::orderid).toArray();
            Object[] orderSkus = lines.stream().map(Need::sku).toArray();
            List<Need> backorders = needs.stream().filter(Need::backorders).toList();
            Object[] backorderSkus = backorders.stream().map(Need::sku).filter(Objects::nonNull).distinct().toArray();
            Object[] backorderRefs = backorders.stream().filter(n -> n.sku() == null).map(Need::batchref).toArray();
            Object[][] params = allocationsOnly ? new Object[][] {skus, orders, orderSkus}
                    : new Object[][] {skus, refs, refs, orders, orderSkus, orders, orderSkus, refs, backorderSkus, backorderRefs};
            for (int i = 0; i < params.length; i++) {
                st.setArray(i + 1, c.createArrayOf("VARCHAR", params[i]));
            }
            Map<String, Rows> products = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String sku = rs.getString(2);
                    String id = rs.getString(4);
                    Rows rows = products.computeIfAbsent(sku, s -> new Rows());
                    if ("b".equals(rs.getString(1))) {
                        rows.version = rs.getLong(3);
                        if (id != null) {
                            Date eta = rs.getDate(7);
                            long major = rs.getLong(8);
                            ChangeKey lastChange = rs.wasNull() ? null : new ChangeKey(major, rs.getLong(9));
                            rows.batches.put(id, new BatchRow(rs.getInt(5), rs.getInt(6),
                                    eta == null ? null : eta.toLocalDate(), lastChange));
                        }
                    } else {
                        OrderLine line = new OrderLine(id, sku, rs.getInt(5));
                        rows.lines.put(id, new LineAllocation(line, rs.getString(10), rs.getLong(3)));
                    }
                }
            }
            Map<String, Loaded> states = new LinkedHashMap<>();
            products.forEach((sku, rows) -> {
                if (rows.version != null) {
                    states.put(sku, new Loaded(rows.version, rows.batches, rows.lines));
                }
            });
            return states;
        } catch (SQLException e) {
            throw JdbcErrors.translate("loading products for " + needs.size() + " needs", e);
        }
    }

    /**
     * Compare-and-set on the version of every product to be saved: changed, new, or with events to
     * write (an event raised with no change, such as out of stock, is written only if the product is
     * still as seen, which also orders its outbox rows among the SKU's others). One batch of updates
     * and one of inserts. Returns the SKUs another transaction changed first; the others are locked
     * until the transaction ends and are what {@link #write} saves.
     */
    Set<String> claim() throws SQLException {
        List<Product> updated = new ArrayList<>();
        List<Product> created = new ArrayList<>();
        for (Product product : seen.values()) {
            Loaded before = loaded.get(product.sku());
            if (before == null) {
                created.add(product);
            } else if (product.version() != before.version() || !product.pendingEvents().isEmpty()) {
                updated.add(product);
            }
        }
        Set<String> conflicted = new HashSet<>();
        Connection c = connection.get();
        if (!updated.isEmpty()) {
            try (PreparedStatement st = c.prepareStatement("UPDATE products SET version = ? WHERE sku = ? AND version = ?")) {
                for (Product product : updated) {
                    st.setLong(1, product.version());
                    st.setString(2, product.sku());
                    st.setLong(3, loaded.get(product.sku()).version());
                    st.addBatch();
                }
                conflicted.addAll(unchanged(st.executeBatch(), updated));
            }
        }
        if (!created.isEmpty()) {
            try (PreparedStatement st = c.prepareStatement(
                    "INSERT INTO products (sku, version) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                for (Product product : created) {
                    st.setString(1, product.sku());
                    st.setLong(2, product.version());
                    st.addBatch();
                }
                conflicted.addAll(unchanged(st.executeBatch(), created));
            }
        }
        claimed.clear();
        updated.stream().filter(p -> !conflicted.contains(p.sku())).forEach(claimed::add);
        created.stream().filter(p -> !conflicted.contains(p.sku())).forEach(claimed::add);
        return conflicted;
    }

    /** The products claimed and not conflicted: those whose events go to the outbox. */
    List<Product> claimed() {
        return List.copyOf(claimed);
    }

    private static List<String> unchanged(int[] counts, List<Product> products) {
        List<String> skus = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                skus.add(products.get(i).sku());
            }
        }
        return skus;
    }

    /** Writes what changed in the claimed products: each kind of row change is one batched statement. */
    void write() throws SQLException {
        Statements writes = new Statements();
        List<LineAllocation> inserted = new ArrayList<>();
        for (Product product : claimed) {
            Loaded before = loaded.getOrDefault(product.sku(), new Loaded(0, Map.of(), Map.of()));
            for (Batch batch : product.batches()) {
                BatchRow now = BatchRow.of(batch);
                BatchRow then = before.batches().get(batch.reference());
                if (!now.equals(then)) {
                    writes.add(then == null ? INSERT_BATCH : UPDATE_BATCH, st -> {
                        st.setInt(1, now.purchased());
                        st.setInt(2, now.allocated());
                        st.setObject(3, now.eta() == null ? null : Date.valueOf(now.eta()), Types.DATE);
                        st.setObject(4, now.lastChange() == null ? null : now.lastChange().major(), Types.BIGINT);
                        st.setObject(5, now.lastChange() == null ? null : now.lastChange().minor(), Types.BIGINT);
                        st.setString(6, batch.reference());
                        if (then == null) {
                            st.setString(7, product.sku());
                        }
                    });
                }
            }
            Map<String, LineAllocation> now = new HashMap<>();
            product.lines().forEach(a -> now.put(a.line().orderid(), a));
            for (String orderid : before.lines().keySet()) {
                if (!now.containsKey(orderid)) {
                    writes.add(DELETE_LINE, st -> {
                        st.setString(1, orderid);
                        st.setString(2, product.sku());
                    });
                }
            }
            for (LineAllocation allocation : now.values()) {
                LineAllocation then = before.lines().get(allocation.line().orderid());
                if (then == null) {
                    inserted.add(allocation);
                } else if (!allocation.equals(then)) {
                    writes.add(UPDATE_LINE, st -> {
                        st.setInt(1, allocation.line().qty());
                        st.setString(2, allocation.batchref());
                        st.setLong(3, allocation.sequence());
                        st.setString(4, allocation.line().orderid());
                        st.setString(5, product.sku());
                    });
                }
            }
        }
        Connection c = connection.get();
        writes.execute(c, INSERT_BATCH, UPDATE_BATCH, DELETE_LINE);
        insertLines(c, inserted);
        writes.execute(c, UPDATE_LINE);
        for (Product product : claimed) {
            loaded.put(product.sku(), snapshot(product));
        }
        claimed.clear();
    }

    private static final String INSERT_BATCH = "INSERT INTO batches (purchased_quantity, allocated_quantity, eta, "
            + "last_change_major, last_change_minor, reference, sku) VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String UPDATE_BATCH = "UPDATE batches SET purchased_quantity = ?, allocated_quantity = ?, "
            + "eta = ?, last_change_major = ?, last_change_minor = ? WHERE reference = ?";
    private static final String DELETE_LINE = "DELETE FROM order_lines WHERE orderid = ? AND sku = ?";
    /** New lines, any number in one statement, as arrays (a line is inserted by every allocation). */
    private static final String INSERT_LINES = "INSERT INTO order_lines (qty, batchref, placed_version, orderid, sku) "
            + "SELECT * FROM UNNEST(CAST(? AS INTEGER ARRAY), CAST(? AS VARCHAR ARRAY), CAST(? AS BIGINT ARRAY), "
            + "CAST(? AS VARCHAR ARRAY), CAST(? AS VARCHAR ARRAY))";
    private static final String UPDATE_LINE = "UPDATE order_lines SET qty = ?, batchref = ?, placed_version = ? "
            + "WHERE orderid = ? AND sku = ?";

    private static void insertLines(Connection c, List<LineAllocation> lines) throws SQLException {
        if (lines.isEmpty()) {
            return;
        }
        try (PreparedStatement st = c.prepareStatement(INSERT_LINES)) {
            st.setArray(1, c.createArrayOf("INTEGER", lines.stream().map(a -> a.line().qty()).toArray()));
            st.setArray(2, c.createArrayOf("VARCHAR", lines.stream().map(LineAllocation::batchref).toArray()));
            st.setArray(3, c.createArrayOf("BIGINT", lines.stream().map(LineAllocation::sequence).toArray()));
            st.setArray(4, c.createArrayOf("VARCHAR", lines.stream().map(a -> a.line().orderid()).toArray()));
            st.setArray(5, c.createArrayOf("VARCHAR", lines.stream().map(a -> a.line().sku()).toArray()));
            st.executeUpdate();
        }
    }

    @FunctionalInterface
    private interface Binder {
        void bind(PreparedStatement st) throws SQLException;
    }

    /** Rows to write, by statement; each statement is prepared only if it has rows, and run as one batch. */
    private static final class Statements {
        private final Map<String, List<Binder>> rows = new HashMap<>();

        void add(String sql, Binder binder) {
            rows.computeIfAbsent(sql, s -> new ArrayList<>()).add(binder);
        }

        /** Runs the statements in this order (deletes before inserts, so a line can leave and come back). */
        void execute(Connection c, String... order) throws SQLException {
            for (String sql : order) {
                List<Binder> binders = rows.get(sql);
                if (binders == null) {
                    continue;
                }
                try (PreparedStatement st = c.prepareStatement(sql)) {
                    for (Binder binder : binders) {
                        binder.bind(st);
                        st.addBatch();
                    }
                    st.executeBatch();
                }
            }
        }
    }

    private static Loaded snapshot(Product product) {
        Map<String, BatchRow> batches = new LinkedHashMap<>();
        product.batches().forEach(b -> batches.put(b.reference(), BatchRow.of(b)));
        Map<String, LineAllocation> lines = new LinkedHashMap<>();
        product.lines().forEach(a -> lines.put(a.line().orderid(), a));
        return new Loaded(product.version(), batches, lines);
    }
}

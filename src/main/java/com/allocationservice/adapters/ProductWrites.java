package com.allocationservice.adapters;

import com.allocationservice.adapters.ProductRows.BatchRow;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.LineHistory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The statements that save products: a compare-and-set on each product's version, then the rows that
 * changed, one statement per kind of change for a whole group of commands, the rows passed as arrays,
 * so that a group's writes run together in one round trip ({@link NamedSql#runTogether}).
 */
final class ProductWrites {

    /**
     * The compare-and-set on the versions of products loaded, which also keeps their stock figures for
     * the overview (V16): its update count is the number of products still at the version loaded.
     */
    private static final NamedSql CLAIM = new NamedSql("MERGE INTO products p USING (SELECT * FROM UNNEST("
            + "CAST(:skus AS VARCHAR ARRAY), CAST(:loaded_versions AS BIGINT ARRAY), CAST(:versions AS BIGINT ARRAY), "
            + "CAST(:warehouses AS BIGINT ARRAY), CAST(:backordered_changes AS BIGINT ARRAY)) AS u (s, l, v, w, b)) AS u "
            + "ON p.sku = u.s AND p.version = u.l "
            + "WHEN MATCHED THEN UPDATE SET version = u.v, warehouse = u.w, backordered = p.backordered + u.b");
    private static final NamedSql INSERT_PRODUCT = new NamedSql("INSERT INTO products (sku, version, warehouse, "
            + "backordered) VALUES (:sku, :version, :warehouse, :backordered_change) ON CONFLICT DO NOTHING");
    private static final String BATCHES = "UNNEST(CAST(:references AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY), "
            + "CAST(:purchased AS INTEGER ARRAY), CAST(:allocated AS INTEGER ARRAY), CAST(:etas AS DATE ARRAY), "
            + "CAST(:change_majors AS BIGINT ARRAY), CAST(:change_minors AS BIGINT ARRAY))";
    private static final NamedSql INSERT_BATCHES = new NamedSql("INSERT INTO batches (reference, sku, "
            + "purchased_quantity, allocated_quantity, eta, last_change_major, last_change_minor) SELECT * FROM " + BATCHES);
    private static final NamedSql UPDATE_BATCHES = new NamedSql("MERGE INTO batches b USING (SELECT * FROM " + BATCHES
            + " AS u (r, s, p, a, e, ma, mi)) AS u ON b.reference = u.r AND b.sku = u.s WHEN MATCHED THEN UPDATE SET "
            + "purchased_quantity = u.p, allocated_quantity = u.a, eta = u.e, last_change_major = u.ma, "
            + "last_change_minor = u.mi");
    private static final NamedSql DELETE_LINES = new NamedSql("DELETE FROM order_lines WHERE (orderid, sku) IN "
            + "(SELECT * FROM UNNEST(CAST(:orderids AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY)))");
    private static final String LINES = "UNNEST(CAST(:qtys AS INTEGER ARRAY), CAST(:batchrefs AS VARCHAR ARRAY), "
            + "CAST(:versions AS BIGINT ARRAY), CAST(:orderids AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY)";
    /**
     * New lines (every allocation inserts one), each with its allocation's history entry where it has
     * one (V18: a source; then the time is the group's).
     */
    private static final NamedSql INSERT_LINES = new NamedSql("INSERT INTO order_lines (qty, batchref, placed_version, "
            + "orderid, sku, allocated_at, source, source_id) SELECT u.q, u.b, u.v, u.o, u.s, "
            + "CASE WHEN u.f IS NULL THEN NULL ELSE CAST(:at AS TIMESTAMP WITH TIME ZONE) END, u.f, u.i FROM "
            + LINES + ", CAST(:sources AS VARCHAR ARRAY), CAST(:source_ids AS VARCHAR ARRAY)) AS u (q, b, v, o, s, f, i)");
    /** Changed lines; their allocation's entries, where they still had one, were moved to the history first. */
    private static final NamedSql UPDATE_LINES = new NamedSql("MERGE INTO order_lines l USING (SELECT * FROM " + LINES
            + ") AS u (q, b, v, o, s)) AS u ON l.orderid = u.o AND l.sku = u.s WHEN MATCHED THEN UPDATE SET "
            + "qty = u.q, batchref = u.b, placed_version = u.v, allocated_at = NULL, source = NULL, source_id = NULL");

    private ProductWrites() {
    }

    /**
     * Inserts the products new in this unit of work with their stock figures, unless another
     * transaction did first. Returns the SKUs another did; the others stay locked until the transaction
     * ends.
     */
    static Set<String> create(Connection c, Map<Product, JdbcProductRepository.ToSave> created) throws SQLException {
        // a new product has no row the load could lock: in SKU order, two groups creating the same ones
        // wait for each other's inserts instead of deadlocking
        List<Product> products = created.keySet().stream().sorted(Comparator.comparing(Product::sku)).toList();
        int[] counts = batch(c, INSERT_PRODUCT, products, p -> productValues(p, created.get(p)));
        Set<String> conflicted = new HashSet<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                conflicted.add(products.get(i).sku());
            }
        }
        return conflicted;
    }

    /**
     * A group's writes: the statements, in order, and how many products the first one, the
     * compare-and-set, must find at their loaded version (0: no such statement); the lines whose rows
     * carry their allocation's entry.
     */
    record Writes(List<NamedSql.Bound> statements, int claims, Set<JdbcLineHistory.LineKey> carried) {
    }

    /**
     * The compare-and-set on the products loaded of these, then their changes; lines that leave go
     * before lines that come, so a line can leave and come back. A new line carries its allocation's
     * entry of {@code allocationEntries} (by line, see {@link JdbcLineHistory#allocationEntries}); a line
     * that changes or goes has the entry it still carries moved to the history first.
     */
    static Writes writes(Connection c, Collection<JdbcProductRepository.ToSave> products, ProductRows.Changes changes,
            Map<JdbcLineHistory.LineKey, LineHistory> allocationEntries, Timestamp at) throws SQLException {
        List<NamedSql.Bound> statements = new ArrayList<>();
        List<JdbcProductRepository.ToSave> loaded = products.stream().filter(p -> p.loadedVersion() != null).toList();
        if (!loaded.isEmpty()) {
            statements.add(CLAIM.with(Map.of(
                    "skus", NamedSql.array(c, "VARCHAR", loaded, p -> p.now().sku()),
                    "loaded_versions", NamedSql.array(c, "BIGINT", loaded, JdbcProductRepository.ToSave::loadedVersion),
                    "versions", NamedSql.array(c, "BIGINT", loaded, p -> p.now().version()),
                    "warehouses", NamedSql.array(c, "BIGINT", loaded, JdbcProductRepository.ToSave::warehouse),
                    "backordered_changes", NamedSql.array(c, "BIGINT", loaded,
                            JdbcProductRepository.ToSave::backorderedChange))));
        }
        add(statements, INSERT_BATCHES, changes.newBatches(), rows -> batchArrays(c, rows));
        add(statements, UPDATE_BATCHES, changes.changedBatches(), rows -> batchArrays(c, rows));
        List<LineAllocation> leaving = new ArrayList<>(changes.goneLines());
        leaving.addAll(changes.changedLines());
        add(statements, JdbcLineHistory.MOVE_ALLOCATION_ENTRIES, leaving, rows -> lineKeys(c, rows));
        add(statements, DELETE_LINES, changes.goneLines(), rows -> lineKeys(c, rows));
        Set<JdbcLineHistory.LineKey> carried = new HashSet<>();
        add(statements, INSERT_LINES, changes.newLines(), rows -> newLines(c, rows, allocationEntries, at, carried));
        add(statements, UPDATE_LINES, changes.changedLines(), rows -> lineArrays(c, rows));
        return new Writes(statements, loaded.size(), carried);
    }

    /** The values of a statement for some rows, as arrays. */
    @FunctionalInterface
    private interface ArrayValues<T> {
        Map<String, Object> of(List<T> rows) throws SQLException;
    }

    private static <T> void add(List<NamedSql.Bound> statements, NamedSql sql, List<T> rows, ArrayValues<T> values)
            throws SQLException {
        if (!rows.isEmpty()) {
            statements.add(sql.with(values.of(rows)));
        }
    }

    private static Map<String, Object> batchArrays(Connection c, List<BatchRow> rows) throws SQLException {
        return Map.of("references", NamedSql.array(c, "VARCHAR", rows, BatchRow::reference),
                "skus", NamedSql.array(c, "VARCHAR", rows, BatchRow::sku),
                "purchased", NamedSql.array(c, "INTEGER", rows, BatchRow::purchased),
                "allocated", NamedSql.array(c, "INTEGER", rows, BatchRow::allocated),
                "etas", NamedSql.array(c, "DATE", rows, BatchRow::eta),
                "change_majors", NamedSql.array(c, "BIGINT", rows, r -> r.lastChange() == null ? null : r.lastChange().major()),
                "change_minors", NamedSql.array(c, "BIGINT", rows, r -> r.lastChange() == null ? null : r.lastChange().minor()));
    }

    private static Map<String, Object> lineKeys(Connection c, List<LineAllocation> lines) throws SQLException {
        return Map.of("orderids", NamedSql.array(c, "VARCHAR", lines, a -> a.line().orderid()),
                "skus", NamedSql.array(c, "VARCHAR", lines, a -> a.line().sku()));
    }

    private static Map<String, Object> lineArrays(Connection c, List<LineAllocation> lines) throws SQLException {
        Map<String, Object> values = new HashMap<>(lineKeys(c, lines));
        values.put("qtys", NamedSql.array(c, "INTEGER", lines, a -> a.line().qty()));
        values.put("batchrefs", NamedSql.array(c, "VARCHAR", lines, LineAllocation::batchref));
        values.put("versions", NamedSql.array(c, "BIGINT", lines, LineAllocation::sequence));
        return values;
    }

    private static Map<String, Object> productValues(Product p, JdbcProductRepository.ToSave save) {
        return Map.of("sku", p.sku(), "version", p.version(), "warehouse", save.warehouse(),
                "backordered_change", save.backorderedChange());
    }

    /** New lines' values; adds to {@code carried} the lines whose rows carry their allocation's entry. */
    private static Map<String, Object> newLines(Connection c, List<LineAllocation> lines,
            Map<JdbcLineHistory.LineKey, LineHistory> allocationEntries, Timestamp at,
            Set<JdbcLineHistory.LineKey> carried) throws SQLException {
        Object[] sources = new Object[lines.size()];
        Object[] sourceIds = new Object[lines.size()];
        for (int i = 0; i < lines.size(); i++) {
            OrderLine line = lines.get(i).line();
            JdbcLineHistory.LineKey key = new JdbcLineHistory.LineKey(line.orderid(), line.sku());
            LineHistory entry = allocationEntries.get(key);
            if (entry != null) {
                sources[i] = entry.source().channel();
                sourceIds[i] = entry.source().id();
                carried.add(key);
            }
        }
        Map<String, Object> values = lineArrays(c, lines);
        values.put("sources", c.createArrayOf("VARCHAR", sources));
        values.put("source_ids", c.createArrayOf("VARCHAR", sourceIds));
        values.put("at", at);
        return values;
    }

    /** Runs the statement once per row, as one batch; returns the update counts. */
    private static <T> int[] batch(Connection c, NamedSql sql, List<T> rows, Function<T, Map<String, ?>> values)
            throws SQLException {
        if (rows.isEmpty()) {
            return new int[0];
        }
        try (PreparedStatement st = sql.prepare(c)) {
            for (T row : rows) {
                sql.bind(st, values.apply(row));
                st.addBatch();
            }
            return st.executeBatch();
        }
    }
}

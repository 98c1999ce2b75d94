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
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The statements that save products: a compare-and-set on each product's version first, then the
 * rows that changed, one batched statement per kind of change for a whole group of commands.
 */
final class ProductWrites {

    /** The compare-and-set, which also keeps the product's stock figures for the overview (V16). */
    private static final NamedSql UPDATE_VERSION = new NamedSql("UPDATE products SET version = :version, "
            + "warehouse = :warehouse, backordered = backordered + :backordered_change "
            + "WHERE sku = :sku AND version = :loaded_version");
    private static final NamedSql INSERT_PRODUCT = new NamedSql("INSERT INTO products (sku, version, warehouse, "
            + "backordered) VALUES (:sku, :version, :warehouse, :backordered_change) ON CONFLICT DO NOTHING");
    private static final NamedSql INSERT_BATCH = new NamedSql("INSERT INTO batches (reference, sku, "
            + "purchased_quantity, allocated_quantity, eta, last_change_major, last_change_minor) "
            + "VALUES (:reference, :sku, :purchased, :allocated, :eta, :change_major, :change_minor)");
    private static final NamedSql UPDATE_BATCH = new NamedSql("UPDATE batches SET purchased_quantity = :purchased, "
            + "allocated_quantity = :allocated, eta = :eta, last_change_major = :change_major, "
            + "last_change_minor = :change_minor WHERE reference = :reference AND sku = :sku");
    private static final NamedSql DELETE_LINE = new NamedSql("DELETE FROM order_lines WHERE orderid = :orderid AND sku = :sku");
    /**
     * New lines, any number in one statement, as arrays (every allocation inserts one), each with its
     * allocation's history entry where it has one (V18: a source; then the time is the group's).
     */
    private static final NamedSql INSERT_LINES = new NamedSql("INSERT INTO order_lines (qty, batchref, placed_version, "
            + "orderid, sku, allocated_at, source, source_id) SELECT u.q, u.b, u.v, u.o, u.s, "
            + "CASE WHEN u.f IS NULL THEN NULL ELSE CAST(:at AS TIMESTAMP WITH TIME ZONE) END, u.f, u.i "
            + "FROM UNNEST(CAST(:qtys AS INTEGER ARRAY), CAST(:batchrefs AS VARCHAR ARRAY), "
            + "CAST(:versions AS BIGINT ARRAY), CAST(:orderids AS VARCHAR ARRAY), CAST(:skus AS VARCHAR ARRAY), "
            + "CAST(:sources AS VARCHAR ARRAY), CAST(:source_ids AS VARCHAR ARRAY)) AS u (q, b, v, o, s, f, i)");
    /** A changed line; its allocation's entry, if it still had one, was moved to the history first. */
    private static final NamedSql UPDATE_LINE = new NamedSql("UPDATE order_lines SET qty = :qty, batchref = :batchref, "
            + "placed_version = :version, allocated_at = NULL, source = NULL, source_id = NULL "
            + "WHERE orderid = :orderid AND sku = :sku");

    private ProductWrites() {
    }

    /**
     * Compare-and-set on the version of each product (a new one is inserted if no one else did), which
     * also writes its warehouse stock and adds the change to its backordered quantity.
     * Returns the SKUs another transaction changed first; the others stay locked until the transaction
     * ends.
     */
    static Set<String> claim(Connection c, Map<Product, JdbcProductRepository.ToSave> toSave) throws SQLException {
        List<Product> updated = new ArrayList<>();
        List<Product> created = new ArrayList<>();
        toSave.forEach((product, save) -> (save.loadedVersion() == null ? created : updated).add(product));
        // a new product has no row the load could lock: in SKU order, two groups creating the same ones
        // wait for each other's inserts instead of deadlocking
        created.sort(Comparator.comparing(Product::sku));
        Set<String> conflicted = new HashSet<>();
        conflicted.addAll(unchanged(c, UPDATE_VERSION, updated, p -> productValues(p, toSave.get(p))));
        conflicted.addAll(unchanged(c, INSERT_PRODUCT, created, p -> productValues(p, toSave.get(p))));
        return conflicted;
    }

    /**
     * Writes the changes; lines that leave go before lines that come, so a line can leave and come back.
     * A new line carries its allocation's entry of {@code allocationEntries} (by line, see
     * {@link JdbcLineHistory#allocationEntries}); a line that changes or goes has the entry it still
     * carries moved to the history first. Returns the lines whose entry their row now carries.
     */
    static Set<JdbcLineHistory.LineKey> write(Connection c, ProductRows.Changes changes,
            Map<JdbcLineHistory.LineKey, LineHistory> allocationEntries, Timestamp at) throws SQLException {
        batch(c, INSERT_BATCH, changes.newBatches(), ProductWrites::batchValues);
        batch(c, UPDATE_BATCH, changes.changedBatches(), ProductWrites::batchValues);
        List<LineAllocation> leaving = new ArrayList<>(changes.goneLines());
        leaving.addAll(changes.changedLines());
        batch(c, JdbcLineHistory.MOVE_ALLOCATION_ENTRY, leaving, ProductWrites::lineKey);
        batch(c, DELETE_LINE, changes.goneLines(), ProductWrites::lineKey);
        Set<JdbcLineHistory.LineKey> carried = insertLines(c, changes.newLines(), allocationEntries, at);
        batch(c, UPDATE_LINE, changes.changedLines(), ProductWrites::lineValues);
        return carried;
    }

    private static Map<String, Object> lineKey(LineAllocation a) {
        return Map.of("orderid", a.line().orderid(), "sku", a.line().sku());
    }

    private static Map<String, Object> productValues(Product p, JdbcProductRepository.ToSave save) {
        Map<String, Object> values = new HashMap<>();
        values.put("sku", p.sku());
        values.put("version", p.version());
        if (save.loadedVersion() != null) {
            values.put("loaded_version", save.loadedVersion()); // the compare-and-set's; a new product has none
        }
        values.put("warehouse", save.warehouse());
        values.put("backordered_change", save.backorderedChange());
        return values;
    }

    private static Map<String, Object> batchValues(BatchRow row) {
        Map<String, Object> values = new HashMap<>();
        values.put("reference", row.reference());
        values.put("sku", row.sku());
        values.put("purchased", row.purchased());
        values.put("allocated", row.allocated());
        values.put("eta", row.eta());
        values.put("change_major", row.lastChange() == null ? null : row.lastChange().major());
        values.put("change_minor", row.lastChange() == null ? null : row.lastChange().minor());
        return values;
    }

    private static Map<String, Object> lineValues(LineAllocation a) {
        Map<String, Object> values = new HashMap<>();
        values.put("qty", a.line().qty());
        values.put("batchref", a.batchref());
        values.put("version", a.sequence());
        values.put("orderid", a.line().orderid());
        values.put("sku", a.line().sku());
        return values;
    }

    private static Set<JdbcLineHistory.LineKey> insertLines(Connection c, List<LineAllocation> lines,
            Map<JdbcLineHistory.LineKey, LineHistory> allocationEntries, Timestamp at) throws SQLException {
        if (lines.isEmpty()) {
            return Set.of();
        }
        Object[] sources = new Object[lines.size()];
        Object[] sourceIds = new Object[lines.size()];
        Set<JdbcLineHistory.LineKey> carried = new HashSet<>();
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
        try (PreparedStatement st = INSERT_LINES.prepare(c)) {
            INSERT_LINES.bind(st, Map.of(
                    "qtys", NamedSql.array(c, "INTEGER", lines, a -> a.line().qty()),
                    "batchrefs", NamedSql.array(c, "VARCHAR", lines, LineAllocation::batchref),
                    "versions", NamedSql.array(c, "BIGINT", lines, LineAllocation::sequence),
                    "orderids", NamedSql.array(c, "VARCHAR", lines, a -> a.line().orderid()),
                    "skus", NamedSql.array(c, "VARCHAR", lines, a -> a.line().sku()),
                    "sources", c.createArrayOf("VARCHAR", sources),
                    "source_ids", c.createArrayOf("VARCHAR", sourceIds),
                    "at", at));
            st.executeUpdate();
        }
        return carried;
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

    private static List<String> unchanged(Connection c, NamedSql sql, List<Product> products,
            Function<Product, Map<String, ?>> values) throws SQLException {
        int[] counts = batch(c, sql, products, values);
        List<String> skus = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] == 0) {
                skus.add(products.get(i).sku());
            }
        }
        return skus;
    }
}

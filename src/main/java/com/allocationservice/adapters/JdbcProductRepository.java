package com.allocationservice.adapters;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Maps products to three tables with plain JDBC. It keeps what it loaded of each product and, on
 * commit, writes only what changed: a compare-and-set on the version first ({@code UPDATE ... WHERE
 * version = ?}), then the batches and lines that differ. No lines beyond those a command needs are
 * ever read, so one allocation costs a fixed handful of indexed statements.
 */
final class JdbcProductRepository implements ProductRepository {

    private static final String PRODUCT_ROWS = """
            SELECT 'b', p.version, b.reference, b.purchased_quantity, b.allocated_quantity, b.eta,
                   CAST(NULL AS VARCHAR(255)), b.last_change_major, b.last_change_minor
            FROM products p LEFT JOIN batches b ON b.sku = p.sku WHERE p.sku = ?""";
    private static final String LINE_COLUMNS =
            "SELECT 'l', placed_version, orderid, qty, 0, CAST(NULL AS DATE), batchref, CAST(NULL AS BIGINT), "
            + "CAST(NULL AS BIGINT) FROM order_lines ";
    private static final String BACKORDERS = LINE_COLUMNS + "WHERE sku = ? AND batchref IS NULL";

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
    public Optional<Product> get(String sku) {
        return load(sku, BACKORDERS, sku);
    }

    @Override
    public Optional<Product> getForLine(String sku, String orderid) {
        return load(sku, LINE_COLUMNS + "WHERE orderid = ? AND sku = ? UNION ALL "
                + BACKORDERS + " AND orderid <> ?", orderid, sku, sku, orderid);
    }

    @Override
    public Optional<Product> getByBatchref(String batchref) {
        String sku = query("finding batch " + batchref, "SELECT sku FROM batches WHERE reference = ?",
                rs -> rs.next() ? rs.getString(1) : null, batchref);
        if (sku == null) {
            return Optional.empty();
        }
        return load(sku, LINE_COLUMNS + "WHERE sku = ? AND batchref = ? UNION ALL " + BACKORDERS,
                sku, batchref, sku);
    }

    /**
     * One round trip: the product's version and batches, then the lines the command needs, as one
     * UNION ALL (kind 'b' rows carry a batch, or none for a product with no batch yet; kind 'l' rows a line).
     */
    private Optional<Product> load(String sku, String linesSql, Object... lineParams) {
        Product known = seen.get(sku);
        if (known != null) {
            return Optional.of(known);
        }
        Object[] params = new Object[lineParams.length + 1];
        params[0] = sku;
        System.arraycopy(lineParams, 0, params, 1, lineParams.length);
        Loaded state = query("loading product " + sku, PRODUCT_ROWS + " UNION ALL " + linesSql, rs -> {
            Long version = null;
            Map<String, BatchRow> batches = new LinkedHashMap<>();
            Map<String, LineAllocation> lines = new LinkedHashMap<>();
            while (rs.next()) {
                String id = rs.getString(3);
                if ("b".equals(rs.getString(1))) {
                    version = rs.getLong(2);
                    if (id != null) {
                        Date eta = rs.getDate(6);
                        long major = rs.getLong(8);
                        ChangeKey lastChange = rs.wasNull() ? null : new ChangeKey(major, rs.getLong(9));
                        batches.put(id, new BatchRow(rs.getInt(4), rs.getInt(5), eta == null ? null : eta.toLocalDate(),
                                lastChange));
                    }
                } else {
                    OrderLine line = new OrderLine(id, sku, rs.getInt(4));
                    lines.put(id, new LineAllocation(line, rs.getString(7), rs.getLong(2)));
                }
            }
            return version == null ? null : new Loaded(version, batches, lines);
        }, params);
        if (state == null) {
            return Optional.empty();
        }
        List<Batch> batches = new ArrayList<>();
        state.batches().forEach((ref, row) -> batches.add(new Batch(ref, sku, row.purchased(), row.eta(), row.allocated(),
                row.lastChange())));
        Product product = new Product(sku, batches, state.version(), state.lines().values());
        seen.put(sku, product);
        loaded.put(sku, state);
        return Optional.of(product);
    }

    /** Writes every seen product that changed, each guarded by a compare-and-set on its version. */
    void saveSeen() throws SQLException {
        for (Product product : seen.values()) {
            Loaded before = loaded.get(product.sku());
            if (before == null) {
                insertProduct(product);
            } else if (product.version() != before.version()) {
                updateProduct(product, before.version());
            } else {
                if (!product.pendingEvents().isEmpty()) {
                    confirmVersion(product);
                }
                continue;
            }
            Loaded base = before == null ? new Loaded(0, Map.of(), Map.of()) : before;
            saveBatches(product, base);
            saveLines(product, base);
            loaded.put(product.sku(), snapshot(product));
        }
    }

    private void insertProduct(Product product) throws SQLException {
        try (PreparedStatement st = connection.get().prepareStatement(
                "INSERT INTO products (sku, version) VALUES (?, ?)")) {
            st.setString(1, product.sku());
            st.setLong(2, product.version());
            st.executeUpdate();
        }
    }

    private void updateProduct(Product product, long expectedVersion) throws SQLException {
        try (PreparedStatement st = connection.get().prepareStatement(
                "UPDATE products SET version = ? WHERE sku = ? AND version = ?")) {
            st.setLong(1, product.version());
            st.setString(2, product.sku());
            st.setLong(3, expectedVersion);
            if (st.executeUpdate() != 1) {
                throw new ConcurrencyConflict("product " + product.sku() + " changed since version " + expectedVersion);
            }
        }
    }

    /**
     * An event raised with no change (out of stock) is committed to the outbox only if the product
     * is still as it was seen: the unchanged compare-and-set locks the product row, so the event's
     * outbox row is ordered among the SKU's other messages, and a stale out-of-stock is retried
     * against fresh stock instead of being announced.
     */
    private void confirmVersion(Product product) throws SQLException {
        try (PreparedStatement st = connection.get().prepareStatement(
                "UPDATE products SET version = version WHERE sku = ? AND version = ?")) {
            st.setString(1, product.sku());
            st.setLong(2, product.version());
            if (st.executeUpdate() != 1) {
                throw new ConcurrencyConflict("product " + product.sku() + " changed since version " + product.version());
            }
        }
    }

    private void saveBatches(Product product, Loaded before) throws SQLException {
        Connection c = connection.get();
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO batches (purchased_quantity, "
                + "allocated_quantity, eta, last_change_major, last_change_minor, reference, sku) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?)");
             PreparedStatement update = c.prepareStatement("UPDATE batches SET purchased_quantity = ?, "
                + "allocated_quantity = ?, eta = ?, last_change_major = ?, last_change_minor = ? "
                + "WHERE reference = ?")) {
            for (Batch batch : product.batches()) {
                BatchRow now = BatchRow.of(batch);
                BatchRow then = before.batches().get(batch.reference());
                if (now.equals(then)) {
                    continue;
                }
                PreparedStatement st = then == null ? insert : update;
                st.setInt(1, now.purchased());
                st.setInt(2, now.allocated());
                st.setObject(3, now.eta() == null ? null : Date.valueOf(now.eta()), Types.DATE);
                st.setObject(4, now.lastChange() == null ? null : now.lastChange().major(), Types.BIGINT);
                st.setObject(5, now.lastChange() == null ? null : now.lastChange().minor(), Types.BIGINT);
                st.setString(6, batch.reference());
                if (then == null) {
                    st.setString(7, product.sku());
                }
                st.addBatch();
            }
            insert.executeBatch();
            update.executeBatch();
        }
    }

    private void saveLines(Product product, Loaded before) throws SQLException {
        Map<String, LineAllocation> now = new HashMap<>();
        product.lines().forEach(a -> now.put(a.line().orderid(), a));
        Connection c = connection.get();
        try (PreparedStatement delete = c.prepareStatement("DELETE FROM order_lines WHERE orderid = ? AND sku = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO order_lines "
                + "(qty, batchref, placed_version, orderid, sku) VALUES (?, ?, ?, ?, ?)");
             PreparedStatement update = c.prepareStatement("UPDATE order_lines "
                + "SET qty = ?, batchref = ?, placed_version = ? WHERE orderid = ? AND sku = ?")) {
            for (String orderid : before.lines().keySet()) {
                if (!now.containsKey(orderid)) {
                    delete.setString(1, orderid);
                    delete.setString(2, product.sku());
                    delete.addBatch();
                }
            }
            for (LineAllocation allocation : now.values()) {
                LineAllocation then = before.lines().get(allocation.line().orderid());
                if (allocation.equals(then)) {
                    continue;
                }
                PreparedStatement st = then == null ? insert : update;
                st.setInt(1, allocation.line().qty());
                st.setString(2, allocation.batchref());
                st.setLong(3, allocation.sequence());
                st.setString(4, allocation.line().orderid());
                st.setString(5, product.sku());
                st.addBatch();
            }
            delete.executeBatch();
            insert.executeBatch();
            update.executeBatch();
        }
    }

    private static Loaded snapshot(Product product) {
        Map<String, BatchRow> batches = new LinkedHashMap<>();
        product.batches().forEach(b -> batches.put(b.reference(), BatchRow.of(b)));
        Map<String, LineAllocation> lines = new LinkedHashMap<>();
        product.lines().forEach(a -> lines.put(a.line().orderid(), a));
        return new Loaded(product.version(), batches, lines);
    }

    @FunctionalInterface
    private interface RowsReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T query(String doing, String sql, RowsReader<T> reader, Object... params) {
        try (PreparedStatement st = connection.get().prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                st.setString(i + 1, (String) params[i]);
            }
            try (ResultSet rs = st.executeQuery()) {
                return reader.read(rs);
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate(doing, e);
        }
    }
}

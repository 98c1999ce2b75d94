package com.allocationservice.views;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
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

    private final DataSource dataSource;

    public Views(DataSource dataSource) {
        this.dataSource = dataSource;
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

    /** True when the database answers a trivial query within two seconds. */
    public boolean databaseAnswers() {
        try (Connection c = dataSource.getConnection()) {
            boolean valid = c.isValid(2);
            c.rollback();
            return valid;
        } catch (SQLException e) {
            return false;
        }
    }

    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private <T> List<T> list(String sql, String param, RowMapper<T> mapper) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement st = c.prepareStatement(sql)) {
            st.setString(1, param);
            List<T> result = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    result.add(mapper.map(rs));
                }
            }
            c.rollback();
            return result;
        }
    }
}

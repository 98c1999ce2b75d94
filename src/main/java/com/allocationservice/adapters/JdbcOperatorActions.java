package com.allocationservice.adapters;

import com.allocationservice.service.OperatorActions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Operators' actions on {@code outbox_parked} and their record in {@code operator_actions}. A parked
 * row is replayed by copying it back into the outbox (a new id, so it is delivered after whatever of
 * its SKU was committed since, attempts 0) and deleting it, with the record, in one transaction. The
 * row is locked first ({@code SELECT ... FOR UPDATE}): of two replays at once, the second finds it
 * gone and does nothing.
 */
public final class JdbcOperatorActions implements OperatorActions {

    private static final String COPY_TO_OUTBOX = """
            INSERT INTO outbox (message_id, destination, type, sku, product_version, occurred_at, payload)
            SELECT message_id, destination, type, sku, product_version, occurred_at, payload
            FROM outbox_parked WHERE id = ?""";

    private final DataSource dataSource;

    public JdbcOperatorActions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public void record(Action action) {
        inTransaction(c -> {
            insert(c, action);
            return true;
        });
    }

    @Override
    public boolean replayParked(long id, String who) {
        return inTransaction(c -> {
            if (!lock(c, List.of(id)).contains(id)) {
                return false;
            }
            update(c, COPY_TO_OUTBOX, id);
            update(c, "DELETE FROM outbox_parked WHERE id = ?", id);
            insert(c, new Action(who, "replay", "parked", Long.toString(id), 1, null));
            return true;
        });
    }

    @Override
    public int replayAllParked(String who) {
        return inTransaction(c -> {
            List<Long> ids = lock(c, null);
            for (long id : ids) {
                update(c, COPY_TO_OUTBOX, id);
                update(c, "DELETE FROM outbox_parked WHERE id = ?", id);
            }
            insert(c, new Action(who, "replay_all", "parked", null, ids.size(), null));
            return ids.size();
        });
    }

    @Override
    public boolean discardParked(long id, String who, String reason) {
        return inTransaction(c -> {
            if (!lock(c, List.of(id)).contains(id)) {
                return false;
            }
            update(c, "DELETE FROM outbox_parked WHERE id = ?", id);
            insert(c, new Action(who, "discard", "parked", Long.toString(id), 1, reason));
            return true;
        });
    }

    /** The ids of these parked rows (all when null) that are still there, locked, in id order. */
    private static List<Long> lock(Connection c, List<Long> ids) throws SQLException {
        String sql = "SELECT id FROM outbox_parked" + (ids == null ? "" : " WHERE id = ?") + " ORDER BY id FOR UPDATE";
        try (PreparedStatement st = c.prepareStatement(sql)) {
            if (ids != null) {
                st.setLong(1, ids.getFirst());
            }
            List<Long> found = new ArrayList<>();
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getLong(1));
                }
            }
            return found;
        }
    }

    private static void update(Connection c, String sql, long id) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(sql)) {
            st.setLong(1, id);
            st.executeUpdate();
        }
    }

    private static void insert(Connection c, Action action) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("INSERT INTO operator_actions (at, who, action, target_kind,"
                + " target_id, affected, reason) VALUES (CURRENT_TIMESTAMP, ?, ?, ?, ?, ?, ?)")) {
            st.setString(1, action.who());
            st.setString(2, action.action());
            st.setString(3, action.kind());
            st.setString(4, action.targetId());
            st.setInt(5, action.affected());
            st.setString(6, action.reason());
            st.executeUpdate();
        }
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("recording an operator's action", e);
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import javax.sql.DataSource;

/**
 * A database transaction. The connection is taken from the pool on first use, so a unit of work
 * that never touches storage (most event handlers) costs nothing.
 */
public final class JdbcUnitOfWork implements UnitOfWork {

    private final DataSource dataSource;
    private final JdbcProductRepository products = new JdbcProductRepository(this::connection);
    private Connection connection;
    private boolean committed;

    private JdbcUnitOfWork(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public static UnitOfWork.Factory factory(DataSource dataSource) {
        return () -> new JdbcUnitOfWork(dataSource);
    }

    @Override
    public ProductRepository products() {
        return products;
    }

    @Override
    public void commit() {
        try {
            products.saveSeen();
            if (connection != null) {
                connection.commit();
            }
            committed = true;
        } catch (SQLException e) {
            throw JdbcErrors.translate("committing", e);
        }
    }

    @Override
    public boolean recordMessage(String messageId) {
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same id, then skips it if committed.
        try (PreparedStatement st = connection().prepareStatement(
                "INSERT INTO inbox (message_id, handled_at) VALUES (?, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING")) {
            st.setString(1, messageId);
            return st.executeUpdate() == 1;
        } catch (SQLException e) {
            throw JdbcErrors.translate("recording message " + messageId, e);
        }
    }

    @Override
    public List<Event> collectNewEvents() {
        return products.seen().stream().flatMap(p -> p.takeEvents().stream()).toList();
    }

    @Override
    public void close() {
        if (connection == null) {
            return;
        }
        try (Connection c = connection) {
            if (!committed) {
                c.rollback();
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("closing the unit of work", e);
        } finally {
            connection = null;
        }
    }

    private Connection connection() {
        if (connection == null) {
            try {
                connection = dataSource.getConnection();
                connection.setAutoCommit(false);
            } catch (SQLException e) {
                throw JdbcErrors.translate("opening a transaction", e);
            }
        }
        return connection;
    }
}

package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
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
            } catch (SQLException e) {
                // no connection at all (pool closed, timed out, server gone) is an outage, whatever the state
                throw new StorageUnavailable("opening a transaction: database unreachable", e);
            }
            try {
                connection.setAutoCommit(false);
            } catch (SQLException e) {
                throw JdbcErrors.translate("opening a transaction", e);
            }
        }
        return connection;
    }
}

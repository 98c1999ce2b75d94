package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A database transaction. The connection is taken from the pool on first use, so a unit of work
 * that never touches storage (most event handlers) costs nothing.
 *
 * <p>Commit also writes the events raised by the saved products to the outbox, in the same
 * transaction (the book publishes from an event handler after the commit, so a crash in between
 * loses the message). The events stay with their products for the bus to collect.
 */
public final class JdbcUnitOfWork implements UnitOfWork {

    private final DataSource dataSource;
    private final Runnable onOutboxWritten;
    private final H2FileSync sync;
    private final JdbcProductRepository products = new JdbcProductRepository(this::connection);
    /** How many of each product's pending events are already in the outbox (a second commit adds only new ones). */
    private final Map<Product, Integer> outboxed = new IdentityHashMap<>();
    private Connection connection;
    private boolean committed;

    private JdbcUnitOfWork(DataSource dataSource, Runnable onOutboxWritten, H2FileSync sync) {
        this.dataSource = dataSource;
        this.onOutboxWritten = onOutboxWritten;
        this.sync = sync;
    }

    public static UnitOfWork.Factory factory(DataSource dataSource) {
        return factory(dataSource, () -> { });
    }

    /**
     * Units of work that call {@code onOutboxWritten} after a commit that wrote outbox rows (to wake the
     * relay). On an H2 file, commit returns only once the change is fsynced ({@link H2FileSync}).
     */
    public static UnitOfWork.Factory factory(DataSource dataSource, Runnable onOutboxWritten) {
        H2FileSync sync = H2FileSync.of(dataSource);
        return () -> new JdbcUnitOfWork(dataSource, onOutboxWritten, sync);
    }

    @Override
    public ProductRepository products() {
        return products;
    }

    @Override
    public void commit() {
        try {
            products.saveSeen();
            List<JdbcOutbox.Raised> raised = new ArrayList<>();
            Map<Product, Integer> counts = new IdentityHashMap<>();
            for (Product product : products.seen()) {
                List<Event> pending = product.pendingEvents();
                int already = outboxed.getOrDefault(product, 0);
                pending.subList(Math.min(already, pending.size()), pending.size())
                        .forEach(e -> raised.add(new JdbcOutbox.Raised(e, product.version())));
                counts.put(product, pending.size());
            }
            int rows = raised.isEmpty() ? 0 : JdbcOutbox.write(connection(), raised, Instant.now());
            if (connection != null) {
                connection.commit();
                sync.afterCommit(connection);
            }
            committed = true;
            outboxed.putAll(counts);
            if (rows > 0) {
                onOutboxWritten.run();
            }
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
        List<Event> events = products.seen().stream().flatMap(p -> p.takeEvents().stream()).toList();
        outboxed.clear();
        return events;
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

package com.allocationservice.adapters;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * A database transaction. The connection is taken from the pool on first use, so a unit of work
 * that never touches storage (most event handlers) costs nothing.
 *
 * <p>Commit also writes the events raised by the saved products to the outbox, in the same
 * transaction (the book publishes from an event handler after the commit, so a crash in between
 * loses the message). The events stay with their products for the bus to collect.
 */
public final class JdbcUnitOfWork implements UnitOfWork.Group {

    private final DataSource dataSource;
    private final Consumer<Set<String>> onOutboxWritten;
    private final H2FileSync sync;
    private final JdbcProductRepository products = new JdbcProductRepository(this::connection);
    /** How many of each product's pending events are already in the outbox (a second commit adds only new ones). */
    private final Map<Product, Integer> outboxed = new IdentityHashMap<>();
    private Connection connection;
    private boolean committed;
    /** The versions were claimed ({@link #claimVersions}) and commit writes what was not conflicted. */
    private boolean claimed;

    private JdbcUnitOfWork(DataSource dataSource, Consumer<Set<String>> onOutboxWritten, H2FileSync sync) {
        this.dataSource = dataSource;
        this.onOutboxWritten = onOutboxWritten;
        this.sync = sync;
    }

    public static UnitOfWork.Factory factory(DataSource dataSource) {
        return factory(dataSource, destinations -> { });
    }

    /**
     * Units of work that call {@code onOutboxWritten} with the destinations of the rows after a commit
     * that wrote outbox rows (to wake the relay's loops for them). On an H2 file, commit returns only
     * once the change is fsynced ({@link H2FileSync}).
     */
    public static UnitOfWork.Factory factory(DataSource dataSource, Consumer<Set<String>> onOutboxWritten) {
        H2FileSync sync = H2FileSync.of(dataSource);
        return () -> new JdbcUnitOfWork(dataSource, onOutboxWritten, sync);
    }

    @Override
    public ProductRepository products() {
        return products;
    }

    /** Writes the claimed products and their new events to the outbox, then commits (claiming first if not yet done). */
    @Override
    public void commit() {
        try {
            if (!claimed) {
                Set<String> conflicted = products.claim();
                if (!conflicted.isEmpty()) {
                    throw new ConcurrencyConflict("products " + conflicted + " changed since they were loaded");
                }
            }
            claimed = false;
            List<Product> saved = products.claimed();
            products.write();
            List<JdbcOutbox.Raised> raised = new ArrayList<>();
            Map<Product, Integer> counts = new IdentityHashMap<>();
            for (Product product : saved) {
                List<Event> pending = product.pendingEvents();
                List<Long> versions = product.pendingEventVersions();
                for (int i = outboxed.getOrDefault(product, 0); i < pending.size(); i++) {
                    raised.add(new JdbcOutbox.Raised(pending.get(i), versions.get(i)));
                }
                counts.put(product, pending.size());
            }
            Set<String> destinations = raised.isEmpty() ? Set.of() : JdbcOutbox.write(connection(), raised, Instant.now());
            if (connection != null) {
                connection.commit();
                sync.afterCommit(connection);
            }
            committed = true;
            outboxed.putAll(counts);
            if (!destinations.isEmpty()) {
                onOutboxWritten.accept(destinations);
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("committing", e);
        }
    }

    @Override
    public Set<String> claimVersions() {
        try {
            Set<String> conflicted = products.claim();
            claimed = true;
            return conflicted;
        } catch (SQLException e) {
            throw JdbcErrors.translate("checking versions", e);
        }
    }

    @Override
    public boolean[] recordMessages(List<String> messageIds) {
        // ON CONFLICT DO NOTHING waits for a concurrent insert of the same id, then skips it if committed.
        try (PreparedStatement st = connection().prepareStatement(
                "INSERT INTO inbox (message_id, handled_at) VALUES (?, CURRENT_TIMESTAMP) ON CONFLICT DO NOTHING")) {
            for (String id : messageIds) {
                st.setString(1, id);
                st.addBatch();
            }
            int[] counts = st.executeBatch();
            boolean[] fresh = new boolean[counts.length];
            for (int i = 0; i < counts.length; i++) {
                fresh[i] = counts[i] == 1;
            }
            return fresh;
        } catch (SQLException e) {
            throw JdbcErrors.translate("recording messages " + messageIds, e);
        }
    }

    @Override
    public void forgetMessages(Collection<String> messageIds) {
        try (PreparedStatement st = connection().prepareStatement("DELETE FROM inbox WHERE message_id = ?")) {
            for (String id : messageIds) {
                st.setString(1, id);
                st.addBatch();
            }
            st.executeBatch();
        } catch (SQLException e) {
            throw JdbcErrors.translate("forgetting messages " + messageIds, e);
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

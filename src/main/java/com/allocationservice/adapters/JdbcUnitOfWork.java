package com.allocationservice.adapters;

import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * A database transaction. The connection is taken from the pool on first use. Commit writes the saved
 * products' events to the outbox in the same transaction (the book publishes them after the commit,
 * so a crash in between loses them).
 */
public final class JdbcUnitOfWork implements UnitOfWork.Group {

    private final DataSource dataSource;
    private final Consumer<Set<String>> onOutboxWritten;
    private final H2FileSync sync;
    private final FreeSpace freeSpace;
    private final OpenTelemetryTracing tracing;
    private final JdbcProductRepository products;
    private Connection connection;
    private boolean committed;
    /** The products whose versions {@link #claimVersions} claimed, for commit to save; null: none claimed yet. */
    private Map<Product, JdbcProductRepository.ToSave> claimed;
    /** The order lines' history that commit writes. */
    private List<LineHistory> history = List.of();

    private JdbcUnitOfWork(DataSource dataSource, Consumer<Set<String>> onOutboxWritten, H2FileSync sync,
            FreeSpace freeSpace, OpenTelemetryTracing tracing) {
        this.dataSource = dataSource;
        this.onOutboxWritten = onOutboxWritten;
        this.sync = sync;
        this.freeSpace = freeSpace;
        this.tracing = tracing;
        this.products = new JdbcProductRepository(this::connection, tracing);
    }

    public static UnitOfWork.Factory factory(DataSource dataSource) {
        return factory(dataSource, destinations -> { });
    }

    /**
     * Units of work that call {@code onOutboxWritten} with the destinations of the rows after a commit
     * that wrote outbox rows (to wake the relay's loops for them). On an H2 file, commit returns only
     * once the change is fsynced ({@link H2FileSync}); below its free-space reserve ({@link FreeSpace}) a
     * unit of work fails at once, without waiting for a connection.
     */
    public static UnitOfWork.Factory factory(DataSource dataSource, Consumer<Set<String>> onOutboxWritten) {
        return factory(dataSource, onOutboxWritten, null);
    }

    /**
     * The same, with each SQL round trip a span when {@code tracing} is given (null: tracing off), and
     * each outbox row carrying the {@code traceparent} of the span that wrote it.
     */
    public static UnitOfWork.Factory factory(DataSource dataSource, Consumer<Set<String>> onOutboxWritten,
            OpenTelemetryTracing tracing) {
        H2FileSync sync = H2FileSync.of(dataSource);
        FreeSpace freeSpace = FreeSpace.of(dataSource);
        return () -> new JdbcUnitOfWork(dataSource, onOutboxWritten, sync, freeSpace, tracing);
    }

    @Override
    public ProductRepository products() {
        return products;
    }

    /**
     * Saves the claimed products (claiming them first if not yet done), their events and the history
     * recorded ({@link #recordHistory}), one statement each for the whole group, then commits.
     */
    @Override
    public void commit() {
        try {
            Map<Product, JdbcProductRepository.ToSave> saved = claimed != null ? claimed : claimOrFail();
            claimed = null;
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            Set<JdbcLineHistory.LineKey> carried = products.save(saved.values(),
                    JdbcLineHistory.allocationEntries(history), now);
            List<Product.Raised> raised = saved.keySet().stream().flatMap(p -> p.raised().stream()).toList();
            Set<String> destinations = raised.isEmpty() ? Set.of() : OpenTelemetryTracing.sql(tracing, "write outbox",
                    () -> JdbcOutbox.write(connection(), raised, now,
                            tracing == null ? null : OpenTelemetryTracing.currentTraceparent()));
            saved.keySet().forEach(Product::takeEvents);
            List<LineHistory> rows = JdbcLineHistory.rows(history, carried);
            history = List.of();
            if (!rows.isEmpty()) {
                OpenTelemetryTracing.sql(tracing, "write history", () -> {
                    JdbcLineHistory.write(connection(), rows, now);
                    return null;
                });
            }
            if (connection != null) {
                OpenTelemetryTracing.sql(tracing, "commit", () -> {
                    commitConnection();
                    sync.afterCommit(connection);
                    return null;
                });
            }
            committed = true;
            if (!destinations.isEmpty()) {
                onOutboxWritten.accept(destinations);
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("committing", e);
        }
    }

    /** The COMMIT itself: a connection that breaks now leaves the outcome unknown ({@link JdbcErrors#translateCommit}). */
    private void commitConnection() {
        try {
            connection.commit();
        } catch (SQLException e) {
            throw JdbcErrors.translateCommit(e);
        }
    }

    @Override
    public Set<String> claimVersions() {
        try {
            Map<Product, JdbcProductRepository.ToSave> toSave = products.toSave();
            Set<String> conflicted = toSave.isEmpty() ? Set.of()
                    : OpenTelemetryTracing.sql(tracing, "claim versions", () -> ProductWrites.claim(connection(), toSave));
            claimed = new LinkedHashMap<>(toSave);
            claimed.keySet().removeIf(p -> conflicted.contains(p.sku()));
            return conflicted;
        } catch (SQLException e) {
            throw JdbcErrors.translate("checking versions", e);
        }
    }

    private Map<Product, JdbcProductRepository.ToSave> claimOrFail() {
        Set<String> conflicted = claimVersions();
        if (!conflicted.isEmpty()) {
            throw new ConcurrencyConflict("products " + conflicted + " changed since they were loaded");
        }
        return claimed;
    }

    @Override
    public void recordHistory(List<LineHistory> entries) {
        history = List.copyOf(entries);
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
            int[] counts = OpenTelemetryTracing.sql(tracing, "record messages", st::executeBatch);
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
            OpenTelemetryTracing.sql(tracing, "forget messages", st::executeBatch);
        } catch (SQLException e) {
            throw JdbcErrors.translate("forgetting messages " + messageIds, e);
        }
    }

    @Override
    public void close() {
        if (connection == null) {
            return;
        }
        try (Connection c = connection) {
            if (!committed) {
                OpenTelemetryTracing.sql(tracing, "rollback", () -> {
                    c.rollback();
                    return null;
                });
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
                freeSpace.check();
                connection = dataSource.getConnection();
            } catch (SQLException e) {
                // no connection at all (pool closed, timed out, server gone, store unusable) is an outage,
                // whatever the state
                throw JdbcErrors.unavailable("opening a transaction", e);
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

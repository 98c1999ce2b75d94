package com.allocationservice.adapters;

import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
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
     * recorded ({@link #recordHistory}): the compare-and-set on the versions of the products loaded,
     * then one statement per kind of write for the whole group, all in one round trip; then commits.
     * A product changed since it was loaded fails it with {@link ConcurrencyConflict}: on PostgreSQL
     * the load's locks rule that out, so the compare-and-set is the last line of defence.
     */
    @Override
    public void commit() {
        try {
            Map<Product, JdbcProductRepository.ToSave> saved = claimed != null ? claimed : claimOrFail();
            claimed = null;
            Timestamp now = Timestamp.from(Instant.now().truncatedTo(ChronoUnit.MICROS));
            List<Product.Raised> raised = saved.keySet().stream().flatMap(p -> p.raised().stream()).toList();
            if (!saved.isEmpty() || !history.isEmpty()) {
                write(saved, raised, now);
            }
            saved.keySet().forEach(Product::takeEvents);
            history = List.of();
            if (connection != null) {
                OpenTelemetryTracing.sql(tracing, "commit", () -> {
                    commitConnection();
                    sync.afterCommit(connection);
                    return null;
                });
            }
            committed = true;
            Set<String> destinations = raised.stream().flatMap(r -> JdbcOutbox.destinations(r.event()).stream())
                    .collect(Collectors.toSet());
            if (!destinations.isEmpty()) {
                onOutboxWritten.accept(destinations);
            }
        } catch (SQLException e) {
            throw JdbcErrors.translate("committing", e);
        }
    }

    /** The products' writes, their events' outbox rows and the history's rows, run together. */
    private void write(Map<Product, JdbcProductRepository.ToSave> saved, List<Product.Raised> raised, Timestamp now)
            throws SQLException {
        ProductWrites.Writes writes = products.writes(saved.values(), JdbcLineHistory.allocationEntries(history), now);
        List<NamedSql.Bound> statements = new ArrayList<>(writes.statements());
        if (!raised.isEmpty()) {
            statements.add(JdbcOutbox.insert(connection(), raised, now,
                    tracing == null ? null : OpenTelemetryTracing.currentTraceparent()));
        }
        List<LineHistory> rows = JdbcLineHistory.rows(history, writes.carried());
        if (!rows.isEmpty()) {
            statements.add(JdbcLineHistory.insert(connection(), rows, now));
        }
        if (statements.isEmpty()) {
            return;
        }
        int claims = OpenTelemetryTracing.sql(tracing, "write", () -> NamedSql.runTogether(connection(), statements));
        if (writes.claims() > 0 && claims != writes.claims()) {
            throw new ConcurrencyConflict("one of the products "
                    + saved.keySet().stream().map(Product::sku).toList() + " changed since it was loaded");
        }
        products.saved(saved.values());
    }

    /** The COMMIT itself: a connection that breaks now leaves the outcome unknown ({@link JdbcErrors#translateCommit}). */
    private void commitConnection() {
        try {
            connection.commit();
        } catch (SQLException e) {
            throw JdbcErrors.translateCommit(e);
        }
    }

    /**
     * Inserts the products new in this unit of work, and returns those another transaction inserted
     * first. The versions of the products loaded are compared by {@link #commit}, with the writes.
     */
    @Override
    public Set<String> claimVersions() {
        try {
            Map<Product, JdbcProductRepository.ToSave> toSave = products.toSave();
            Map<Product, JdbcProductRepository.ToSave> created = new LinkedHashMap<>(toSave);
            created.values().removeIf(p -> p.loadedVersion() != null);
            Set<String> conflicted = created.isEmpty() ? Set.of()
                    : OpenTelemetryTracing.sql(tracing, "create products", () -> ProductWrites.create(connection(), created));
            claimed = new LinkedHashMap<>(toSave);
            claimed.keySet().removeIf(p -> conflicted.contains(p.sku()));
            return conflicted;
        } catch (SQLException e) {
            throw JdbcErrors.translate("creating products", e);
        }
    }

    private Map<Product, JdbcProductRepository.ToSave> claimOrFail() {
        Set<String> conflicted = claimVersions();
        if (!conflicted.isEmpty()) {
            throw new ConcurrencyConflict("products " + conflicted + " were created by another transaction first");
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

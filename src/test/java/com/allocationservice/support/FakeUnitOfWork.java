package com.allocationservice.support;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.LineHistory;
import com.allocationservice.service.UnitOfWork;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An in-memory store; each unit of work it begins loads copies of products holding only what the JDBC
 * repository would load, and saves them on commit (with the version compare-and-set). Closing without
 * committing throws away every change, message ids recorded included. Counts commits.
 */
public final class FakeUnitOfWork implements UnitOfWork.Factory {

    private final Map<String, Product> stored = new LinkedHashMap<>();
    private final Set<String> handledMessages = new HashSet<>();
    private final List<Event> outbox = new ArrayList<>();
    private final List<LineHistory> history = new ArrayList<>();
    private int commits;

    @Override
    public Work begin() {
        return new Work();
    }

    /** A copy of the product as last committed, with every line. */
    public Optional<Product> stored(String sku) {
        return Optional.ofNullable(stored.get(sku)).map(PartialLoads::copy);
    }

    public Set<String> handledMessages() {
        return Set.copyOf(handledMessages);
    }

    /** The events committed with their products, in order: what the JDBC unit of work writes to its outbox. */
    public List<Event> outbox() {
        return List.copyOf(outbox);
    }

    /** The order lines' history committed, in order: what the JDBC unit of work writes to order_line_history. */
    public List<LineHistory> history() {
        return List.copyOf(history);
    }

    public int commits() {
        return commits;
    }

    private Optional<Product> load(String sku) {
        return Optional.ofNullable(stored.get(sku));
    }

    private Optional<String> skuOfBatch(String ref) {
        return stored.values().stream().filter(p -> p.batch(ref).isPresent()).map(Product::sku).findFirst();
    }

    /** One unit of work. */
    public final class Work implements UnitOfWork.Group {
        private final FakeProductRepository products = new FakeProductRepository(FakeUnitOfWork.this::load,
                FakeUnitOfWork.this::skuOfBatch);
        private final Set<String> pendingMessages = new HashSet<>();
        private final List<LineHistory> pendingHistory = new ArrayList<>();

        @Override
        public FakeProductRepository products() {
            return products;
        }

        /** The SKUs whose compare-and-set failed, once claimed: commit leaves them out. Null: not claimed. */
        private Set<String> conflicted;

        @Override
        public Set<String> claimVersions() {
            conflicted = new HashSet<>();
            for (PartialLoads.Loaded loaded : products.seen().values()) {
                Product current = stored.get(loaded.product().sku());
                long currentVersion = current == null ? -1 : current.version();
                boolean mustMatch = loaded.changed() || !loaded.product().pendingEvents().isEmpty();
                if (mustMatch && currentVersion != loaded.version()) {
                    conflicted.add(loaded.product().sku());
                }
            }
            return Set.copyOf(conflicted);
        }

        @Override
        public void commit() {
            if (conflicted == null && !claimVersions().isEmpty()) {
                throw new ConcurrencyConflict("products " + conflicted + " changed since they were loaded");
            }
            for (PartialLoads.Loaded loaded : products.seen().values()) {
                String sku = loaded.product().sku();
                if (!conflicted.contains(sku)) {
                    if (loaded.changed()) {
                        stored.put(sku, loaded.savedOver(stored.get(sku)));
                    }
                    outbox.addAll(loaded.product().takeEvents());
                }
            }
            products.seen().replaceAll((sku, loaded) -> conflicted.contains(sku) ? loaded : loaded.committed());
            conflicted = null;
            commits++;
            handledMessages.addAll(pendingMessages);
            pendingMessages.clear();
            history.addAll(pendingHistory);
            pendingHistory.clear();
        }

        @Override
        public void recordHistory(List<LineHistory> entries) {
            pendingHistory.addAll(entries);
        }

        @Override
        public boolean[] recordMessages(List<String> messageIds) {
            boolean[] fresh = new boolean[messageIds.size()];
            for (int i = 0; i < fresh.length; i++) {
                String id = messageIds.get(i);
                fresh[i] = !handledMessages.contains(id) && pendingMessages.add(id);
            }
            return fresh;
        }

        @Override
        public void forgetMessages(Collection<String> messageIds) {
            pendingMessages.removeAll(messageIds);
        }

        @Override
        public void close() {
            pendingMessages.clear();
            pendingHistory.clear();
        }
    }
}

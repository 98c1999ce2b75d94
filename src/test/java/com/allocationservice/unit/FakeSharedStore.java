package com.allocationservice.unit;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.FakeProductRepository;
import com.allocationservice.support.PartialLoads;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-safe in-memory store for tests with real threads. Each unit of work it begins loads its own
 * copies of products, holding only what the JDBC repository would load ({@link PartialLoads}), and saves
 * them with a compare-and-set on the version, as the JDBC adapter does.
 * A unit of work belongs to the thread that began it: using it from another thread, or after it was
 * closed, throws, so a bus that shares units of work between messages or threads fails at once.
 */
public final class FakeSharedStore implements UnitOfWork.Factory {

    private final Map<String, Product> stored = new HashMap<>();
    private final AtomicInteger begun = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicInteger conflicts = new AtomicInteger();
    private final List<Event> outbox = new ArrayList<>();

    @Override
    public Work begin() {
        begun.incrementAndGet();
        return new Work();
    }

    /** The events committed with their products, in order: what the JDBC unit of work writes to its outbox. */
    public synchronized List<Event> outbox() {
        return List.copyOf(outbox);
    }

    /** A copy of the product as last committed. */
    public synchronized Optional<Product> product(String sku) {
        return Optional.ofNullable(stored.get(sku)).map(PartialLoads::copy);
    }

    public int begun() {
        return begun.get();
    }

    public int closed() {
        return closed.get();
    }

    public int conflicts() {
        return conflicts.get();
    }

    /** The stored product itself: never changed once stored (a save stores a new copy). */
    private synchronized Optional<Product> stored(String sku) {
        return Optional.ofNullable(stored.get(sku));
    }

    private synchronized Optional<String> skuOfBatch(String ref) {
        return stored.values().stream().filter(p -> p.batch(ref).isPresent()).map(Product::sku).findFirst();
    }

    /**
     * Saves every changed product whose version is still the one loaded, and returns the others' SKUs
     * (saving none of them). With {@code all}, saves nothing unless every one matches.
     */
    private synchronized Set<String> save(Map<String, PartialLoads.Loaded> seen, boolean all) {
        Set<String> conflicted = new HashSet<>();
        for (PartialLoads.Loaded loaded : seen.values()) {
            Product current = stored.get(loaded.product().sku());
            long currentVersion = current == null ? -1 : current.version();
            if (loaded.changed() && currentVersion != loaded.version()) {
                conflicts.incrementAndGet();
                conflicted.add(loaded.product().sku());
            }
        }
        if (all && !conflicted.isEmpty()) {
            throw new ConcurrencyConflict("products " + conflicted + " changed since they were loaded");
        }
        for (PartialLoads.Loaded loaded : seen.values()) {
            String sku = loaded.product().sku();
            if (!conflicted.contains(sku)) {
                if (loaded.changed()) {
                    stored.put(sku, loaded.savedOver(stored.get(sku)));
                }
                outbox.addAll(loaded.product().takeEvents());
            }
        }
        seen.replaceAll((sku, loaded) -> conflicted.contains(sku) ? loaded : loaded.committed());
        return conflicted;
    }

    /** One unit of work, with a repository of its own. */
    public final class Work implements UnitOfWork.Group {
        private final Thread owner = Thread.currentThread();
        private final FakeProductRepository products = new FakeProductRepository(sku -> {
            checkUse();
            return stored(sku);
        }, ref -> {
            checkUse();
            return skuOfBatch(ref);
        });
        private boolean isClosed;
        private boolean claimed;

        @Override
        public ProductRepository products() {
            checkUse();
            return products;
        }

        /**
         * The store has no row locks to hold between the check and the commit, so the check and the
         * save happen together, here; commit then has nothing left to write.
         */
        @Override
        public Set<String> claimVersions() {
            checkUse();
            claimed = true;
            return save(products.seen(), false);
        }

        @Override
        public void commit() {
            checkUse();
            if (!claimed) {
                save(products.seen(), true);
            }
            claimed = false;
        }

        @Override
        public boolean[] recordMessages(List<String> messageIds) {
            throw new UnsupportedOperationException("these tests send no message ids");
        }

        @Override
        public void forgetMessages(Collection<String> messageIds) {
            throw new UnsupportedOperationException("these tests send no message ids");
        }

        @Override
        public void recordHistory(java.util.List<com.allocationservice.service.LineHistory> entries) {
            // these tests look at the products, not at their history
        }

        @Override
        public void close() {
            checkUse();
            isClosed = true;
            closed.incrementAndGet();
        }

        private void checkUse() {
            if (Thread.currentThread() != owner) {
                throw new IllegalStateException("unit of work begun on " + owner.getName() + " used on "
                        + Thread.currentThread().getName());
            }
            if (isClosed) {
                throw new IllegalStateException("unit of work used after it was closed");
            }
        }
    }
}

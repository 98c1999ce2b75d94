package com.allocationservice.unit;

import com.allocationservice.domain.Event;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.ProductRepository;
import com.allocationservice.service.UnitOfWork;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

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

    @Override
    public Work begin() {
        begun.incrementAndGet();
        return new Work();
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

    private synchronized Optional<PartialLoads.Loaded> load(String sku, Function<Product, PartialLoads.Loaded> how) {
        return Optional.ofNullable(stored.get(sku)).map(how);
    }

    private synchronized Optional<String> skuOfBatch(String ref) {
        return stored.values().stream().filter(p -> p.batch(ref).isPresent()).map(Product::sku).findFirst();
    }

    /** Saves every changed product, or none if any was changed by someone else since it was loaded. */
    private synchronized void save(Map<String, PartialLoads.Loaded> seen) {
        for (PartialLoads.Loaded loaded : seen.values()) {
            Product current = stored.get(loaded.product().sku());
            long currentVersion = current == null ? -1 : current.version();
            if (loaded.changed() && currentVersion != loaded.version()) {
                conflicts.incrementAndGet();
                throw new ConcurrencyConflict("product " + loaded.product().sku() + " is at version "
                        + currentVersion + ", not " + loaded.version());
            }
        }
        for (PartialLoads.Loaded loaded : seen.values()) {
            if (loaded.changed()) {
                String sku = loaded.product().sku();
                stored.put(sku, loaded.savedOver(stored.get(sku)));
            }
        }
        seen.replaceAll((sku, loaded) -> loaded.committed());
    }

    /** One unit of work, which is also its own repository. */
    public final class Work implements UnitOfWork, ProductRepository {
        private final Thread owner = Thread.currentThread();
        private final Map<String, PartialLoads.Loaded> seen = new LinkedHashMap<>();
        private boolean isClosed;

        @Override
        public ProductRepository products() {
            checkUse();
            return this;
        }

        @Override
        public void commit() {
            checkUse();
            save(seen);
        }

        @Override
        public boolean recordMessage(String messageId) {
            throw new UnsupportedOperationException("these tests send no message ids");
        }

        @Override
        public List<Event> collectNewEvents() {
            checkUse();
            List<Event> events = new ArrayList<>();
            seen.values().forEach(loaded -> events.addAll(loaded.product().takeEvents()));
            return events;
        }

        @Override
        public void close() {
            checkUse();
            isClosed = true;
            closed.incrementAndGet();
        }

        @Override
        public void add(Product product) {
            checkUse();
            seen.put(product.sku(), PartialLoads.created(product));
        }

        @Override
        public Optional<Product> get(String sku) {
            return load(sku, PartialLoads::forGet);
        }

        @Override
        public Optional<Product> getForLine(String sku, String orderid) {
            return load(sku, product -> PartialLoads.forLine(product, orderid));
        }

        @Override
        public Optional<Product> getByBatchref(String batchref) {
            checkUse();
            return skuOfBatch(batchref).flatMap(sku -> load(sku, product -> PartialLoads.forBatch(product, batchref)));
        }

        /** As in the JDBC repository, a product handed out before in this unit of work is handed out again as it is. */
        private Optional<Product> load(String sku, Function<Product, PartialLoads.Loaded> how) {
            checkUse();
            PartialLoads.Loaded already = seen.get(sku);
            if (already != null) {
                return Optional.of(already.product());
            }
            Optional<PartialLoads.Loaded> loaded = FakeSharedStore.this.load(sku, how);
            loaded.ifPresent(l -> seen.put(sku, l));
            return loaded.map(PartialLoads.Loaded::product);
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

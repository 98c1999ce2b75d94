package com.allocationservice.unit;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.Product;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What adapters.JdbcProductRepository loads for each getter, for the fakes: the product's version and
 * batches, its backorders, and only the lines the getter names. Saving merges the lines handed out
 * back into those that stayed in storage, as the JDBC repository writes only the lines it loaded.
 * JdbcUnitOfWorkContractTest runs the same scenarios against both, so the two cannot drift apart.
 */
final class PartialLoads {

    private PartialLoads() {
    }

    /** {@code get(sku)}: no allocated line, but the backorders. */
    static Loaded forGet(Product stored) {
        return load(stored, LineAllocation::isBackorder);
    }

    /** {@code getForLine(sku, orderid)}: the order's line wherever it is, and the backorders. */
    static Loaded forLine(Product stored, String orderid) {
        return load(stored, a -> a.isBackorder() || a.line().orderid().equals(orderid));
    }

    /** {@code getByBatchref(ref)}: every line on that batch, and the backorders. */
    static Loaded forBatch(Product stored, String batchref) {
        return load(stored, a -> a.isBackorder() || batchref.equals(a.batchref()));
    }

    /** A new product, with nothing in storage. */
    static Loaded created(Product product) {
        return new Loaded(product, -1, Set.of());
    }

    private static Loaded load(Product stored, Predicate<LineAllocation> wanted) {
        List<LineAllocation> lines = stored.lines().stream().filter(wanted).toList();
        Product copy = new Product(stored.sku(), copyOf(stored.batches()), stored.version(), lines);
        return new Loaded(copy, stored.version(), lines.stream().map(a -> a.line().orderid()).collect(Collectors.toSet()));
    }

    /** A product handed out: the version it had when loaded (-1 for a new one) and the orders of the lines loaded. */
    record Loaded(Product product, long version, Set<String> loadedOrders) {

        boolean changed() {
            return product.version() != version;
        }

        /** As it stands once committed: its lines are now in storage as this product holds them. */
        Loaded committed() {
            Set<String> orders = new java.util.HashSet<>(loadedOrders);
            product.lines().forEach(a -> orders.add(a.line().orderid()));
            return new Loaded(product, product.version(), orders);
        }

        /** What storage holds once this is saved over {@code stored} (null for a new product). */
        Product savedOver(Product stored) {
            List<LineAllocation> lines = new ArrayList<>();
            if (stored != null) {
                stored.lines().stream().filter(a -> !loadedOrders.contains(a.line().orderid())).forEach(lines::add);
            }
            Set<String> kept = lines.stream().map(a -> a.line().orderid()).collect(Collectors.toSet());
            product.lines().stream().filter(a -> !kept.contains(a.line().orderid())).forEach(lines::add);
            return copy(new Product(product.sku(), product.batches(), product.version(), lines));
        }
    }

    static Product copy(Product product) {
        return new Product(product.sku(), copyOf(product.batches()), product.version(), product.lines());
    }

    private static List<Batch> copyOf(Collection<Batch> batches) {
        return batches.stream()
                .map(b -> new Batch(b.reference(), b.sku(), b.purchasedQuantity(), b.eta().orElse(null),
                        b.allocatedQuantity(), b.lastChange().orElse(null)))
                .toList();
    }
}

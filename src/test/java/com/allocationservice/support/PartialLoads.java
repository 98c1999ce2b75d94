package com.allocationservice.support;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What adapters.JdbcProductRepository loads for a product's needs, for the fakes: its version; the
 * lines the needs name (an order's line, a batch's lines, the backorders if asked); the batches with
 * stock, those the needs name and, unless allocations alone are loaded, those of the lines loaded. Saving merges what was handed out back
 * into what stayed in storage, as the JDBC repository writes only the rows it loaded.
 * RepositoryContractTest runs the same scenarios against both, so the two cannot drift apart.
 */
public final class PartialLoads {

    private PartialLoads() {
    }

    /** The product as the needs (all of this product) load it. */
    static Loaded load(Product stored, Collection<Need> needs) {
        Set<String> orders = needs.stream().map(Need::orderid).filter(o -> o != null).collect(Collectors.toSet());
        Set<String> named = needs.stream().map(Need::batchref).filter(b -> b != null).collect(Collectors.toSet());
        boolean backorders = needs.stream().anyMatch(Need::backorders);
        List<LineAllocation> lines = stored.lines().stream()
                .filter(a -> orders.contains(a.line().orderid()) || named.contains(a.batchref())
                        || backorders && a.isBackorder())
                .toList();
        boolean allocationsOnly = needs.stream().allMatch(n -> n.orderid() != null && n.batchref() == null && !n.backorders());
        Set<String> batchesOfLines = allocationsOnly ? Set.of() : lines.stream().map(LineAllocation::batchref)
                .filter(b -> b != null).collect(Collectors.toSet());
        List<Batch> batches = stored.batches().stream()
                .filter(b -> b.availableQuantity() > 0 || named.contains(b.reference())
                        || batchesOfLines.contains(b.reference()))
                .toList();
        Product copy = new Product(stored.sku(), copyOf(batches), stored.version(), lines);
        return new Loaded(copy, stored.version(), orderids(lines), references(batches));
    }

    /** A new product, with nothing in storage. */
    static Loaded created(Product product) {
        return new Loaded(product, -1, Set.of(), Set.of());
    }

    /**
     * A product handed out: the version it had when loaded (-1 for a new one), and the orders of the
     * lines and the references of the batches loaded.
     */
    public record Loaded(Product product, long version, Set<String> loadedOrders, Set<String> loadedBatches) {

        public boolean changed() {
            return product.version() != version;
        }

        /** As it stands once committed: its lines and batches are now in storage as this product holds them. */
        public Loaded committed() {
            Set<String> orders = new HashSet<>(loadedOrders);
            orders.addAll(orderids(product.lines()));
            Set<String> batches = new HashSet<>(loadedBatches);
            batches.addAll(references(product.batches()));
            return new Loaded(product, product.version(), orders, batches);
        }

        /** What storage holds once this is saved over {@code stored} (null for a new product). */
        public Product savedOver(Product stored) {
            List<LineAllocation> lines = new ArrayList<>();
            List<Batch> batches = new ArrayList<>();
            if (stored != null) {
                stored.lines().stream().filter(a -> !loadedOrders.contains(a.line().orderid())).forEach(lines::add);
                stored.batches().stream().filter(b -> !loadedBatches.contains(b.reference())).forEach(batches::add);
            }
            Set<String> kept = orderids(lines);
            product.lines().stream().filter(a -> !kept.contains(a.line().orderid())).forEach(lines::add);
            Set<String> keptBatches = references(batches);
            product.batches().stream().filter(b -> !keptBatches.contains(b.reference())).forEach(batches::add);
            return copy(new Product(product.sku(), batches, product.version(), lines));
        }
    }

    public static Product copy(Product product) {
        return new Product(product.sku(), copyOf(product.batches()), product.version(), product.lines());
    }

    private static Set<String> orderids(Collection<LineAllocation> lines) {
        return lines.stream().map(a -> a.line().orderid()).collect(Collectors.toSet());
    }

    private static Set<String> references(Collection<Batch> batches) {
        return batches.stream().map(Batch::reference).collect(Collectors.toSet());
    }

    private static List<Batch> copyOf(Collection<Batch> batches) {
        return batches.stream()
                .map(b -> new Batch(b.reference(), b.sku(), b.purchasedQuantity(), b.eta().orElse(null),
                        b.allocatedQuantity(), b.lastChange().orElse(null)))
                .toList();
    }
}

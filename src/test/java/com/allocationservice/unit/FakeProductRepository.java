package com.allocationservice.unit;

import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The repository of one fake unit of work: each getter hands out a copy of the stored product holding
 * exactly the lines the JDBC repository would load ({@link PartialLoads}), and remembers it.
 */
public final class FakeProductRepository implements ProductRepository {

    private final Function<String, Optional<Product>> stored;
    private final Function<String, Optional<String>> skuOfBatch;
    private final Map<String, PartialLoads.Loaded> seen = new LinkedHashMap<>();

    FakeProductRepository(Function<String, Optional<Product>> stored, Function<String, Optional<String>> skuOfBatch) {
        this.stored = stored;
        this.skuOfBatch = skuOfBatch;
    }

    @Override
    public void add(Product product) {
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
        return skuOfBatch.apply(batchref).flatMap(sku -> load(sku, product -> PartialLoads.forBatch(product, batchref)));
    }

    /** As in the JDBC repository, a product handed out before in this unit of work is handed out again as it is. */
    private Optional<Product> load(String sku, Function<Product, PartialLoads.Loaded> how) {
        PartialLoads.Loaded known = seen.get(sku);
        if (known != null) {
            return Optional.of(known.product());
        }
        Optional<PartialLoads.Loaded> loaded = stored.apply(sku).map(how);
        loaded.ifPresent(l -> seen.put(sku, l));
        return loaded.map(PartialLoads.Loaded::product);
    }

    Map<String, PartialLoads.Loaded> seen() {
        return seen;
    }
}

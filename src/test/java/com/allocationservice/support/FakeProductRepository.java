package com.allocationservice.support;

import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The repository of one fake unit of work: it hands out copies of stored products holding exactly
 * what the JDBC repository would load for their needs ({@link PartialLoads}), and remembers them.
 */
public final class FakeProductRepository implements ProductRepository {

    private final Function<String, Optional<Product>> stored;
    private final Function<String, Optional<String>> skuOfBatch;
    private final Map<String, PartialLoads.Loaded> seen = new LinkedHashMap<>();
    private final Set<Need> loadedNeeds = new HashSet<>();

    public FakeProductRepository(Function<String, Optional<Product>> stored, Function<String, Optional<String>> skuOfBatch) {
        this.stored = stored;
        this.skuOfBatch = skuOfBatch;
    }

    @Override
    public void add(Product product) {
        seen.put(product.sku(), PartialLoads.created(product));
    }

    @Override
    public Optional<Product> get(Need need) {
        if (!loadedNeeds.contains(need)) {
            prefetch(List.of(need));
        }
        if (need.sku() != null) {
            return Optional.ofNullable(seen.get(need.sku())).map(PartialLoads.Loaded::product);
        }
        return seen.values().stream().map(PartialLoads.Loaded::product)
                .filter(p -> p.batch(need.batchref()).isPresent()).findFirst();
    }

    /** As in the JDBC repository: a product handed out already is handed out again as it is. */
    @Override
    public void prefetch(Collection<Need> needs) {
        Map<String, java.util.List<Need>> bySku = new LinkedHashMap<>();
        for (Need need : needs) {
            if (loadedNeeds.contains(need)) {
                continue;
            }
            if (need.sku() != null && seen.containsKey(need.sku())) {
                continue;
            }
            Optional<String> sku = need.sku() != null ? Optional.of(need.sku()) : skuOfBatch.apply(need.batchref());
            sku.ifPresent(s -> bySku.computeIfAbsent(s, k -> new java.util.ArrayList<>()).add(need));
        }
        bySku.forEach((sku, wanted) -> {
            if (!seen.containsKey(sku)) {
                stored.apply(sku).ifPresent(product -> seen.put(sku, PartialLoads.load(product, wanted)));
            }
        });
        loadedNeeds.addAll(needs);
    }

    public Map<String, PartialLoads.Loaded> seen() {
        return seen;
    }
}

package com.allocationservice.unit;

import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Products in a map; every getter hands out the whole product, which a real repository need not. */
public final class FakeProductRepository implements ProductRepository {

    private final Map<String, Product> products = new LinkedHashMap<>();
    private final Set<Product> seen = new LinkedHashSet<>();

    @Override
    public void add(Product product) {
        products.put(product.sku(), product);
        seen.add(product);
    }

    @Override
    public Optional<Product> get(String sku) {
        Optional<Product> product = Optional.ofNullable(products.get(sku));
        product.ifPresent(seen::add);
        return product;
    }

    @Override
    public Optional<Product> getForLine(String sku, String orderid) {
        return get(sku);
    }

    @Override
    public Optional<Product> getByBatchref(String batchref) {
        return products.values().stream()
                .filter(p -> p.batch(batchref).isPresent())
                .findFirst()
                .flatMap(p -> get(p.sku()));
    }

    Collection<Product> seen() {
        return seen;
    }
}

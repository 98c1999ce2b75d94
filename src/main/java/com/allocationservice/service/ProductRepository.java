package com.allocationservice.service;

import com.allocationservice.domain.Product;
import java.util.Optional;

/**
 * Products in and out of storage. Each getter loads the product's batches and backorders plus
 * the lines its use needs, so loading costs the same however many allocations a SKU has had (the
 * book's repository loads every line of every batch). Implementations remember every product they
 * hand out so the unit of work can save it and collect its events.
 */
public interface ProductRepository {

    void add(Product product);

    /** The product, with no allocated lines but its backorders. */
    Optional<Product> get(String sku);

    /** The product, with the order's line of this SKU if it has one. */
    Optional<Product> getForLine(String sku, String orderid);

    /** The product that owns the batch, with every line placed on that batch. */
    Optional<Product> getByBatchref(String batchref);
}

package com.allocationservice.service;

import com.allocationservice.domain.Product;
import java.util.Collection;
import java.util.Optional;

/**
 * Products in and out of storage. A product is loaded with what a command needs of it ({@link Need}),
 * never its whole history: its version, the batches that still have stock to give, the batches and
 * lines the need names, and the backorders if the need asks for them. So loading costs the same
 * however many allocations, backorders and depleted batches a SKU has. Implementations remember every
 * product they hand out so the unit of work can save it, and hand it out again as it is.
 */
public interface ProductRepository {

    /**
     * What a command reads of one product: the line of {@code orderid}, the batch {@code batchref} with
     * every line on it (the product is the batch's owner when {@code sku} is null), and the backorders
     * when {@code backorders}. Batches with stock, and the batch of every line loaded, always come too.
     */
    record Need(String sku, String orderid, String batchref, boolean backorders) {

        public Need {
            if (sku == null && batchref == null) {
                throw new IllegalArgumentException("a need names a sku or a batch");
            }
        }

        /** Allocating: the line if the order has one; no backorders. */
        public static Need line(String sku, String orderid) {
            return new Need(sku, orderid, null, false);
        }

        /** Freeing a line: the line and the backorders that may take what it frees. */
        public static Need lineAndBackorders(String sku, String orderid) {
            return new Need(sku, orderid, null, true);
        }

        /** Changing a batch: its owner, the batch, its lines, and the backorders. */
        public static Need batch(String batchref) {
            return new Need(null, null, batchref, true);
        }

        /** Adding stock: the backorders it may fill. */
        public static Need backorders(String sku) {
            return new Need(sku, null, null, true);
        }
    }

    void add(Product product);

    /** The product the need names, loaded for it; a product handed out before is handed out again as it is. */
    Optional<Product> get(Need need);

    /**
     * Loads every product these needs name, each with all that its needs ask for, in one round trip,
     * so that a group of commands reads storage once; {@link #get} then hands them out. An
     * implementation may hold the products loaded until the unit of work ends, so that other units of
     * work wait for them (the JDBC one locks them on PostgreSQL, all at once and in SKU order).
     */
    void prefetch(Collection<Need> needs);
}

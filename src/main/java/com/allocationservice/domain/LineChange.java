package com.allocationservice.domain;

import java.util.Objects;

/**
 * What happened to an order line within its product, recorded by the product as it happens: the
 * entries of the line's history, before the service adds which command caused them and where that
 * command came from. {@code batchref} is the batch the line is on afterwards (null once backordered
 * or deallocated). The book has no such record: its events say a line was allocated or deallocated,
 * not that a shrinking batch moved it or that arriving stock placed a backorder.
 */
public record LineChange(Kind kind, String orderid, String sku, String batchref) {

    public enum Kind {
        /** Allocated to a batch by the order's own request. */
        ALLOCATED,
        /** Taken off a shrinking batch and allocated to another at once. */
        MOVED,
        /** Taken off a shrinking batch with no other batch to take it: kept, waiting for stock. */
        BACKORDERED,
        /** A backorder placed on a batch: stock arrived or was freed. */
        PLACED,
        /** Cancelled, freeing what it held. */
        DEALLOCATED
    }

    public LineChange {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(orderid, "orderid");
        Objects.requireNonNull(sku, "sku");
    }
}

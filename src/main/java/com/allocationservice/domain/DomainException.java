package com.allocationservice.domain;

/** A request the domain refuses. Subtypes say why; the entrypoints map each to an answer. */
public sealed class DomainException extends RuntimeException
        permits DomainException.InvalidSku, DomainException.UnknownBatch, DomainException.UnknownLine,
        DomainException.DuplicateBatch, DomainException.LineConflict {

    DomainException(String message) {
        super(message, null, false, false);
    }

    /** No product has this SKU. The message text is part of the HTTP contract. */
    public static final class InvalidSku extends DomainException {
        public InvalidSku(String sku) {
            super("Invalid sku " + sku);
        }
    }

    public static final class UnknownBatch extends DomainException {
        public UnknownBatch(String ref) {
            super("Unknown batch " + ref);
        }
    }

    public static final class UnknownLine extends DomainException {
        public UnknownLine(String orderid, String sku) {
            super("No order line for order " + orderid + " and sku " + sku);
        }
    }

    public static final class DuplicateBatch extends DomainException {
        public DuplicateBatch(String ref) {
            super("Batch " + ref + " already exists");
        }
    }

    /** The same (orderid, sku) asked for again with a different quantity. */
    public static final class LineConflict extends DomainException {
        public LineConflict(OrderLine existing, int requestedQty) {
            super("Order " + existing.orderid() + " already has a line for sku " + existing.sku()
                    + " with qty " + existing.qty() + ", not " + requestedQty);
        }
    }
}

package com.allocationservice.domain;

import java.util.Objects;

/** A customer's request for some quantity of one SKU. A line is identified by (orderid, sku). */
public record OrderLine(String orderid, String sku, int qty) {
    public OrderLine {
        Objects.requireNonNull(orderid, "orderid");
        Objects.requireNonNull(sku, "sku");
        if (qty <= 0) {
            throw new IllegalArgumentException("qty must be positive, was " + qty);
        }
    }
}

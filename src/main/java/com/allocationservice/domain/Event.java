package com.allocationservice.domain;

/** Things that happened to a product, handled by any number of handlers after the change committed. */
public sealed interface Event extends Message {

    String sku();

    record Allocated(String orderid, String sku, int qty, String batchref) implements Event {
    }

    record Deallocated(String orderid, String sku, int qty) implements Event {
    }

    record OutOfStock(String sku) implements Event {
    }
}

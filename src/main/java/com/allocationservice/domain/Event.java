package com.allocationservice.domain;

/** Things that happened to a product: written to the outbox with the change that raised them, then sent to other services. */
public sealed interface Event extends Message {

    String sku();

    record Allocated(String orderid, String sku, int qty, String batchref) implements Event {
    }

    record Deallocated(String orderid, String sku, int qty) implements Event {
    }

    record OutOfStock(String sku) implements Event {
    }
}

package com.allocationservice.domain;

import java.time.LocalDate;

/** Requests to the allocation service, each handled by exactly one handler. */
public sealed interface Command extends Message {

    record Allocate(String orderid, String sku, int qty) implements Command {
    }

    record CreateBatch(String ref, String sku, int qty, LocalDate eta) implements Command {
    }

    /** {@code key}: where the change stands in its producer's sending order; null when it carries none. */
    record ChangeBatchQuantity(String ref, int qty, ChangeKey key) implements Command {
        public ChangeBatchQuantity(String ref, int qty) {
            this(ref, qty, null);
        }
    }

    record Deallocate(String orderid, String sku) implements Command {
    }
}

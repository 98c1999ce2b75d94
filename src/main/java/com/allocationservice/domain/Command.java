package com.allocationservice.domain;

import java.time.LocalDate;

/** Requests to the allocation service, each handled by exactly one handler; {@code R} is what it answers. */
public sealed interface Command<R extends Outcome> extends Message {

    record Allocate(String orderid, String sku, int qty) implements Command<Outcome.Allocation> {
    }

    record CreateBatch(String ref, String sku, int qty, LocalDate eta) implements Command<Outcome.Done> {
    }

    /** {@code key}: where the change stands in its producer's sending order; null when it carries none. */
    record ChangeBatchQuantity(String ref, int qty, ChangeKey key) implements Command<Outcome.QuantityChange> {
        public ChangeBatchQuantity(String ref, int qty) {
            this(ref, qty, null);
        }
    }

    record Deallocate(String orderid, String sku) implements Command<Outcome.Done> {
    }
}

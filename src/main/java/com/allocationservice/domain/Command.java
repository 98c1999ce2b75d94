package com.allocationservice.domain;

import java.time.LocalDate;

/** Requests to the allocation service, each handled by exactly one handler. */
public sealed interface Command extends Message {

    record Allocate(String orderid, String sku, int qty) implements Command {
    }

    record CreateBatch(String ref, String sku, int qty, LocalDate eta) implements Command {
    }

    record ChangeBatchQuantity(String ref, int qty) implements Command {
    }

    record Deallocate(String orderid, String sku) implements Command {
    }
}

package com.allocationservice.domain;

import java.util.Objects;
import java.util.Optional;

/**
 * Where an order line stands within its product: on a batch, or waiting with no batch (a backorder).
 * {@code sequence} is the product version at which the line was last placed; the most recently
 * placed lines are the first taken off a batch whose quantity shrinks.
 */
public record LineAllocation(OrderLine line, String batchref, long sequence) {
    public LineAllocation {
        Objects.requireNonNull(line, "line");
    }

    public static LineAllocation backorder(OrderLine line, long sequence) {
        return new LineAllocation(line, null, sequence);
    }

    public boolean isBackorder() {
        return batchref == null;
    }

    public Optional<String> batch() {
        return Optional.ofNullable(batchref);
    }
}

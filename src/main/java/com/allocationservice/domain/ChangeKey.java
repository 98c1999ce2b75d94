package com.allocationservice.domain;

import java.util.Comparator;

/**
 * Where a quantity change stands in its producer's sending order: two non-negative numbers compared
 * in turn. A stream entry id {@code 1700000000000-3} is {@code (1700000000000, 3)}; a {@code seq} sent
 * on pub/sub or over HTTP is {@code (seq, 0)}. A batch keeps the key of the last change applied to it
 * and takes only later ones (the book applies every change in whatever order it arrives).
 */
public record ChangeKey(long major, long minor) {

    public static final Comparator<ChangeKey> SENDING_ORDER = Comparator
            .comparingLong(ChangeKey::major)
            .thenComparingLong(ChangeKey::minor);

    public ChangeKey {
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("a change key is two non-negative numbers, was " + major + "-" + minor);
        }
    }

    public static ChangeKey of(long seq) {
        return new ChangeKey(seq, 0);
    }

    public boolean isAfter(ChangeKey other) {
        return SENDING_ORDER.compare(this, other) > 0;
    }

    @Override
    public String toString() {
        return major + "-" + minor;
    }
}

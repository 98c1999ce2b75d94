package com.allocationservice.domain;

import java.time.LocalDate;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;

/**
 * Stock bought by purchasing: in the warehouse (no ETA) or on a ship (with an ETA).
 *
 * <p>Unlike the book's {@code Batch}, which holds the set of every line ever allocated to it, this
 * batch keeps only the allocated quantity. The lines live on the {@link Product}, which is loaded
 * with just the lines a command touches, so allocating costs the same after a million allocations
 * as after none.
 */
public final class Batch {

    /** Warehouse stock first, then the earliest ETA; the reference breaks ties so the order is total. */
    public static final Comparator<Batch> ALLOCATION_ORDER = Comparator
            .comparing((Batch b) -> b.eta, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(b -> b.reference);

    private final String reference;
    private final String sku;
    private final LocalDate eta;
    private int purchasedQuantity;
    private int allocatedQuantity;
    private ChangeKey lastChange;

    public Batch(String reference, String sku, int purchasedQuantity, LocalDate eta) {
        this(reference, sku, purchasedQuantity, eta, 0);
    }

    public Batch(String reference, String sku, int purchasedQuantity, LocalDate eta, int allocatedQuantity) {
        this(reference, sku, purchasedQuantity, eta, allocatedQuantity, null);
    }

    /** A batch as stored, with the key of the last keyed quantity change applied to it, if any. */
    public Batch(String reference, String sku, int purchasedQuantity, LocalDate eta, int allocatedQuantity,
            ChangeKey lastChange) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.sku = Objects.requireNonNull(sku, "sku");
        this.eta = eta;
        if (purchasedQuantity < 0 || allocatedQuantity < 0) {
            throw new IllegalArgumentException("quantities cannot be negative");
        }
        this.purchasedQuantity = purchasedQuantity;
        this.allocatedQuantity = allocatedQuantity;
        this.lastChange = lastChange;
    }

    /** A batch of its own with the same state, for {@link Product#snapshot()}. */
    Batch copy() {
        return new Batch(reference, sku, purchasedQuantity, eta, allocatedQuantity, lastChange);
    }

    public String reference() {
        return reference;
    }

    public String sku() {
        return sku;
    }

    public Optional<LocalDate> eta() {
        return Optional.ofNullable(eta);
    }

    public int purchasedQuantity() {
        return purchasedQuantity;
    }

    public int allocatedQuantity() {
        return allocatedQuantity;
    }

    /** The key of the last keyed quantity change applied; empty when none carried a key. */
    public Optional<ChangeKey> lastChange() {
        return Optional.ofNullable(lastChange);
    }

    /** True when a change with this key was sent after the last one applied (a change without a key always is). */
    public boolean takesChange(ChangeKey key) {
        return key == null || lastChange == null || key.isAfter(lastChange);
    }

    /**
     * True when {@code key} is the key of the last change applied and {@code qty} the quantity it set:
     * the same change sent again (a retry), which is done already.
     */
    public boolean isLastChange(ChangeKey key, int qty) {
        return key != null && key.equals(lastChange) && qty == purchasedQuantity;
    }

    /**
     * True when the other batch has the same reference, SKU, purchased quantity and ETA: the same batch
     * added again (a retry). The quantity compared is the purchased quantity now, so once a quantity
     * change has set another, adding the batch as first added no longer matches.
     */
    public boolean sameFieldsAs(Batch other) {
        return reference.equals(other.reference) && sku.equals(other.sku)
                && purchasedQuantity == other.purchasedQuantity && Objects.equals(eta, other.eta);
    }

    public int availableQuantity() {
        return purchasedQuantity - allocatedQuantity;
    }

    public boolean canAllocate(OrderLine line) {
        return sku.equals(line.sku()) && availableQuantity() >= line.qty();
    }

    void allocate(OrderLine line) {
        if (!canAllocate(line)) {
            throw new IllegalStateException("batch " + reference + " cannot take " + line);
        }
        allocatedQuantity += line.qty();
    }

    void deallocate(OrderLine line) {
        allocatedQuantity -= line.qty();
    }

    void changePurchasedQuantity(int qty, ChangeKey key) {
        if (qty < 0) {
            throw new IllegalArgumentException("qty cannot be negative, was " + qty);
        }
        if (!takesChange(key)) {
            throw new IllegalStateException("change " + key + " to batch " + reference + " is older than " + lastChange);
        }
        purchasedQuantity = qty;
        if (key != null) {
            lastChange = key;
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Batch batch && batch.reference.equals(reference);
    }

    @Override
    public int hashCode() {
        return reference.hashCode();
    }

    @Override
    public String toString() {
        return "Batch[" + reference + ", " + sku + ", " + allocatedQuantity + "/" + purchasedQuantity
                + (eta == null ? ", warehouse]" : ", eta " + eta + "]");
    }
}

package com.allocationservice.domain;

import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.Deallocated;
import com.allocationservice.domain.Event.OutOfStock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The aggregate: every batch of one SKU, the order lines placed on them, a version number for
 * optimistic concurrency, and the events raised since it was loaded. Every change bumps the version
 * once (the book forgets to on a quantity change).
 *
 * <p>A product is loaded with the lines a command touches, never its whole history: the line being
 * allocated or deallocated, the lines on a batch whose quantity changes, and every backorder. Two
 * differences from the book follow: allocating a line the product already holds returns its batch
 * and changes nothing (the book allocates it a second time, to another batch), and a quantity
 * change reallocates the lines it takes off a batch right here, in the same transaction, keeping
 * those that fit nowhere as backorders (the book reallocates later, in another transaction, and
 * loses the line if that fails).
 */
public final class Product {

    /** Lines leave a shrinking batch most recently placed first; ties go by orderid, highest first. */
    static final Comparator<LineAllocation> DEALLOCATION_ORDER = Comparator
            .comparingLong(LineAllocation::sequence)
            .thenComparing(a -> a.line().orderid())
            .reversed();

    /** Backorders are filled oldest first. */
    static final Comparator<LineAllocation> BACKORDER_ORDER = DEALLOCATION_ORDER.reversed();

    private final String sku;
    private final List<Batch> batches;
    private final Map<String, LineAllocation> lines = new LinkedHashMap<>();
    private final List<Raised> raised = new ArrayList<>();
    private final List<LineChange> lineChanges = new ArrayList<>();
    private long version;

    /** A product as stored: its batches, its version, and the lines loaded for this command. */
    public Product(String sku, Collection<Batch> batches, long version, Collection<LineAllocation> lines) {
        this.sku = Objects.requireNonNull(sku, "sku");
        this.batches = new ArrayList<>(batches);
        this.version = version;
        for (LineAllocation allocation : lines) {
            this.lines.put(allocation.line().orderid(), allocation);
        }
    }

    /** A product nobody has stored yet. */
    public static Product create(String sku) {
        return new Product(sku, List.of(), 0, List.of());
    }

    public String sku() {
        return sku;
    }

    public long version() {
        return version;
    }

    public List<Batch> batches() {
        return List.copyOf(batches);
    }

    public Collection<LineAllocation> lines() {
        return List.copyOf(lines.values());
    }

    public Optional<Batch> batch(String reference) {
        return batches.stream().filter(b -> b.reference().equals(reference)).findFirst();
    }

    public Optional<LineAllocation> line(String orderid) {
        return Optional.ofNullable(lines.get(orderid));
    }

    /**
     * An event and the product's version right after the change that raised it: several commands may
     * change a product before it is saved, and each message tells its own version.
     */
    public record Raised(Event event, long version) {
    }

    /** The events raised and not yet taken, in the order they happened; they stay to be taken. */
    public List<Event> pendingEvents() {
        return raised.stream().map(Raised::event).toList();
    }

    /** The same events, each with the product's version right after the change that raised it. */
    public List<Raised> raised() {
        return List.copyOf(raised);
    }

    /** The events raised since the last call, in the order they happened. */
    public List<Event> takeEvents() {
        List<Event> taken = pendingEvents();
        raised.clear();
        return taken;
    }

    /**
     * What happened to the lines since the product was loaded, in order (its lines' history, kept with the
     * product until the unit of work ends; the service attributes each to the command that caused it).
     */
    public List<LineChange> lineChanges() {
        return List.copyOf(lineChanges);
    }

    /** The line changes after the first {@code count}: those since a {@link Snapshot} that saw {@code count}. */
    public List<LineChange> lineChangesSince(int count) {
        return List.copyOf(lineChanges.subList(Math.min(count, lineChanges.size()), lineChanges.size()));
    }

    private void raise(Event event) {
        raised.add(new Raised(event, version));
    }

    /** The product's state as it is now (batches, lines, events, version), to go back to with {@link #restore}. */
    public Snapshot snapshot() {
        return new Snapshot(batches.stream().map(Batch::copy).toList(), List.copyOf(lines.values()),
                List.copyOf(raised), lineChanges.size(), version);
    }

    /** Puts the product back as it was when the snapshot was taken, undoing every change since. */
    public void restore(Snapshot snapshot) {
        batches.clear();
        snapshot.batches().forEach(b -> batches.add(b.copy()));
        lines.clear();
        snapshot.lines().forEach(a -> lines.put(a.line().orderid(), a));
        raised.clear();
        raised.addAll(snapshot.raised());
        // line changes are only ever added, so the first ones are those the snapshot saw
        lineChanges.subList(Math.min(snapshot.lineChanges(), lineChanges.size()), lineChanges.size()).clear();
        version = snapshot.version();
    }

    /** A product's state at one moment ({@code lineChanges}: how many it had recorded): see {@link #snapshot()}. */
    public record Snapshot(List<Batch> batches, List<LineAllocation> lines, List<Raised> raised,
            int lineChanges, long version) {
    }

    /**
     * Adds the batch, or changes nothing when the product has it already with the same fields (the same
     * request sent again); another batch with its reference is a {@link DomainException.DuplicateBatch}.
     */
    public void addBatch(Batch batch) {
        if (!batch.sku().equals(sku)) {
            throw new IllegalArgumentException("batch " + batch.reference() + " is not for sku " + sku);
        }
        Optional<Batch> existing = batch(batch.reference());
        if (existing.isPresent()) {
            if (existing.get().sameFieldsAs(batch)) {
                return;
            }
            throw new DomainException.DuplicateBatch(batch.reference());
        }
        batches.add(batch);
        version++;
        fillBackorders();
    }

    /**
     * Places the line on the preferred batch that can take it and returns that batch's reference,
     * or raises {@link OutOfStock} and returns empty. A line already placed returns its batch with
     * no change at all.
     */
    public Optional<String> allocate(OrderLine line) {
        requireOwnSku(line.sku());
        LineAllocation existing = lines.get(line.orderid());
        if (existing != null) {
            if (existing.line().qty() != line.qty()) {
                throw new DomainException.LineConflict(existing.line(), line.qty());
            }
            if (!existing.isBackorder()) {
                return existing.batch();
            }
        }
        Optional<Batch> batch = preferredBatchFor(line);
        if (batch.isEmpty()) {
            raise(new OutOfStock(sku));
            return Optional.empty();
        }
        version++;
        place(line, batch.get(), existing == null ? LineChange.Kind.ALLOCATED : LineChange.Kind.PLACED);
        return Optional.of(batch.get().reference());
    }

    /** Cancels the line, freeing whatever it held. */
    public void deallocate(String orderid) {
        LineAllocation existing = lines.remove(orderid);
        if (existing == null) {
            throw new DomainException.UnknownLine(orderid, sku);
        }
        existing.batch().ifPresent(ref -> requireBatch(ref).deallocate(existing.line()));
        version++;
        raise(new Deallocated(orderid, sku, existing.line().qty()));
        lineChanges.add(new LineChange(LineChange.Kind.DEALLOCATED, orderid, sku, null));
        fillBackorders();
    }

    /**
     * Sets the batch's purchased quantity. While the batch holds more than that, its lines come off
     * in {@link #DEALLOCATION_ORDER} and each is reallocated to another batch, or kept as a backorder
     * (raising {@link OutOfStock}) when none can take it.
     */
    public void changeBatchQuantity(String reference, int qty) {
        changeBatchQuantity(reference, qty, null);
    }

    /**
     * Sets the batch's purchased quantity, as above, unless a change sent later (a greater {@code key})
     * was already applied to the batch: then nothing changes and this returns false. The last change
     * applied, sent again with the same key and quantity (a retry), changes nothing and returns true:
     * it is done. A change without a key is always applied and leaves the batch's key as it was.
     */
    public boolean changeBatchQuantity(String reference, int qty, ChangeKey key) {
        Batch batch = requireBatch(reference);
        if (!batch.takesChange(key)) {
            return batch.isLastChange(key, qty);
        }
        batch.changePurchasedQuantity(qty, key);
        version++;
        if (batch.availableQuantity() < 0) {
            List<LineAllocation> onBatch = lines.values().stream()
                    .filter(a -> reference.equals(a.batchref()))
                    .sorted(DEALLOCATION_ORDER)
                    .toList();
            for (LineAllocation allocation : onBatch) {
                if (batch.availableQuantity() >= 0) {
                    break;
                }
                OrderLine line = allocation.line();
                batch.deallocate(line);
                raise(new Deallocated(line.orderid(), sku, line.qty()));
                preferredBatchFor(line).ifPresentOrElse(
                        other -> place(line, other, LineChange.Kind.MOVED),
                        () -> backorder(line));
            }
            if (batch.availableQuantity() < 0) {
                throw new IllegalStateException("the lines of batch " + reference + " were not loaded");
            }
        }
        fillBackorders();
        return true;
    }

    private void fillBackorders() {
        List<LineAllocation> waiting = lines.values().stream()
                .filter(LineAllocation::isBackorder)
                .sorted(BACKORDER_ORDER)
                .toList();
        for (LineAllocation backorder : waiting) {
            preferredBatchFor(backorder.line()).ifPresent(batch -> place(backorder.line(), batch, LineChange.Kind.PLACED));
        }
    }

    private Optional<Batch> preferredBatchFor(OrderLine line) {
        return batches.stream()
                .filter(b -> b.canAllocate(line))
                .min(Batch.ALLOCATION_ORDER);
    }

    private void place(OrderLine line, Batch batch, LineChange.Kind kind) {
        batch.allocate(line);
        lines.put(line.orderid(), new LineAllocation(line, batch.reference(), version));
        raise(new Allocated(line.orderid(), sku, line.qty(), batch.reference()));
        lineChanges.add(new LineChange(kind, line.orderid(), sku, batch.reference()));
    }

    private void backorder(OrderLine line) {
        lines.put(line.orderid(), LineAllocation.backorder(line, version));
        raise(new OutOfStock(sku));
        lineChanges.add(new LineChange(LineChange.Kind.BACKORDERED, line.orderid(), sku, null));
    }

    private Batch requireBatch(String reference) {
        return batch(reference).orElseThrow(() -> new DomainException.UnknownBatch(reference));
    }

    private void requireOwnSku(String lineSku) {
        if (!sku.equals(lineSku)) {
            throw new IllegalArgumentException("line for sku " + lineSku + " given to product " + sku);
        }
    }
}

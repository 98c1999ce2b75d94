package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Event;
import com.allocationservice.domain.Event.Allocated;
import com.allocationservice.domain.Event.OutOfStock;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Random sequences of add batch, allocate, deallocate, change quantity and reload on one product,
 * checking the aggregate's invariants after every step. Each run's seed is in every failure message;
 * rerun one with {@code -Dproduct.seed=<seed> -Dproduct.runs=1}. Without {@code product.seed} the
 * first seed is random and printed, so every build explores new sequences.
 */
class ProductPropertyTest {

    private static final String SKU = "PROPERTY-LAMP";
    private static final LocalDate TODAY = LocalDate.of(2026, 1, 10);
    private static final int STEPS = 80;
    private static final int ORDERS = 25;

    @Test
    void random_sequences_of_changes_keep_every_invariant() {
        long firstSeed = Long.getLong("product.seed", new Random().nextLong());
        int runs = Integer.getInteger("product.runs", 300);
        System.out.println("ProductPropertyTest: seeds " + firstSeed + " .. " + (firstSeed + runs - 1));
        for (int run = 0; run < runs; run++) {
            new Run(firstSeed + run).play();
        }
    }

    /** One seeded sequence, with the lines the product must hold (orderid to qty) as its model. */
    private static final class Run {
        private final long seed;
        private final Random random;
        private final Map<String, Integer> expectedLines = new HashMap<>();
        private final List<String> refs = new ArrayList<>();
        private Product product = Product.create(SKU);
        private int step;
        private String action = "create";

        Run(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
        }

        void play() {
            for (step = 0; step < STEPS; step++) {
                Snapshot before = new Snapshot(product);
                boolean changed = switch (random.nextInt(10)) {
                    case 0, 1 -> addBatch();
                    case 2, 3, 4, 5 -> allocate(before);
                    case 6 -> deallocate();
                    case 7, 8 -> changeQuantity();
                    default -> reload();
                };
                check(product.version() == before.version + (changed ? 1 : 0),
                        () -> "version went from " + before.version + " to " + product.version()
                                + (changed ? ", expected one bump" : ", expected none"));
                checkInvariants();
            }
        }

        private boolean addBatch() {
            boolean duplicate = !refs.isEmpty() && random.nextInt(8) == 0;
            String ref = duplicate ? pick(refs) : "batch-" + refs.size();
            LocalDate eta = random.nextInt(3) == 0 ? null : TODAY.plusDays(random.nextInt(5));
            int qty = random.nextInt(21);
            action = "addBatch(" + ref + ", " + qty + ", " + eta + ")";
            int backordersBefore = backorders();
            boolean again = duplicate && product.batch(ref)
                    .filter(b -> b.purchasedQuantity() == qty && b.eta().equals(Optional.ofNullable(eta))).isPresent();
            try {
                product.addBatch(new Batch(ref, SKU, qty, eta));
            } catch (DomainException.DuplicateBatch refused) {
                check(duplicate && !again, () -> "refused a new batch or the same again: " + refused);
                product.takeEvents();
                return false;
            }
            if (again) {
                check(product.takeEvents().isEmpty(), () -> "the same batch again raised events");
                return false;
            }
            check(!duplicate, () -> "accepted a duplicate batch");
            refs.add(ref);
            List<Event> events = product.takeEvents();
            check(events.stream().allMatch(Allocated.class::isInstance), () -> "unexpected events " + events);
            check(events.size() == backordersBefore - backorders(), () -> "one Allocated per filled backorder: " + events);
            return true;
        }

        private boolean allocate(Snapshot before) {
            String orderid = "order-" + random.nextInt(ORDERS);
            Integer known = expectedLines.get(orderid);
            int qty = known != null && random.nextInt(4) != 0 ? known : 1 + random.nextInt(8);
            OrderLine line = new OrderLine(orderid, SKU, qty);
            action = "allocate(" + line + ")";
            Optional<String> result;
            try {
                result = product.allocate(line);
            } catch (DomainException.LineConflict refused) {
                check(known != null && known != qty, () -> "refused a line it should take: " + refused);
                check(product.takeEvents().isEmpty(), () -> "a refused line raised events");
                return false;
            }
            check(known == null || known == qty, () -> "took a known line with a different qty");
            Optional<String> batchref = result;
            List<Event> events = product.takeEvents();
            LineAllocation previous = before.lines.get(orderid);
            if (previous != null && !previous.isBackorder()) {
                check(batchref.equals(previous.batch()), () -> "same line again gave " + batchref + ", had " + previous);
                check(events.isEmpty(), () -> "same line again raised " + events);
                return false;
            }
            Optional<String> preferred = before.preferredBatchFor(qty);
            check(batchref.equals(preferred), () -> "allocated to " + batchref + ", preferred was " + preferred);
            if (batchref.isEmpty()) {
                check(events.equals(List.of(new OutOfStock(SKU))), () -> "out of stock raised " + events);
                if (previous == null) {
                    check(product.line(orderid).isEmpty(), () -> "an out-of-stock new line was recorded");
                }
                return false;
            }
            check(events.equals(List.of(new Allocated(orderid, SKU, qty, batchref.get()))), () -> "raised " + events);
            check(product.line(orderid).flatMap(LineAllocation::batch).equals(batchref), () -> "line not on its batch");
            expectedLines.put(orderid, qty);
            return true;
        }

        private boolean deallocate() {
            List<String> candidates = new ArrayList<>(expectedLines.keySet());
            candidates.sort(Comparator.naturalOrder());
            boolean unknown = candidates.isEmpty() || random.nextInt(6) == 0;
            String orderid = unknown ? "never-" + random.nextInt(3) : pick(candidates);
            action = "deallocate(" + orderid + ")";
            try {
                product.deallocate(orderid);
            } catch (DomainException.UnknownLine refused) {
                check(unknown, () -> "refused a known line: " + refused);
                check(product.takeEvents().isEmpty(), () -> "a refused deallocation raised events");
                return false;
            }
            check(!unknown, () -> "deallocated a line it never had");
            expectedLines.remove(orderid);
            product.takeEvents();
            return true;
        }

        private boolean changeQuantity() {
            boolean unknown = refs.isEmpty() || random.nextInt(10) == 0;
            String ref = unknown ? "no-such-batch" : pick(refs);
            int qty = random.nextInt(21);
            action = "changeBatchQuantity(" + ref + ", " + qty + ")";
            try {
                product.changeBatchQuantity(ref, qty);
            } catch (DomainException.UnknownBatch refused) {
                check(unknown, () -> "refused a known batch: " + refused);
                return false;
            }
            check(!unknown, () -> "changed a batch it does not have");
            check(product.batch(ref).orElseThrow().purchasedQuantity() == qty, () -> "quantity not set");
            product.takeEvents();
            return true;
        }

        /** Stores and loads the product as a repository would, with every line. */
        private boolean reload() {
            action = "reload";
            List<Batch> copies = product.batches().stream()
                    .map(b -> new Batch(b.reference(), b.sku(), b.purchasedQuantity(), b.eta().orElse(null),
                            b.allocatedQuantity()))
                    .toList();
            product = new Product(SKU, copies, product.version(), product.lines());
            return false;
        }

        private void checkInvariants() {
            Map<String, Integer> onBatches = new HashMap<>();
            for (LineAllocation allocation : product.lines()) {
                check(allocation.line().sku().equals(SKU), () -> "line of another sku " + allocation);
                allocation.batch().ifPresent(ref -> {
                    check(product.batch(ref).isPresent(), () -> "line on a missing batch " + allocation);
                    onBatches.merge(ref, allocation.line().qty(), Integer::sum);
                });
            }
            for (Batch batch : product.batches()) {
                check(batch.allocatedQuantity() <= batch.purchasedQuantity(), () -> "over-allocated " + batch);
                check(batch.allocatedQuantity() >= 0, () -> "negative allocation " + batch);
                check(onBatches.getOrDefault(batch.reference(), 0) == batch.allocatedQuantity(),
                        () -> "lines on " + batch + " add up to " + onBatches.getOrDefault(batch.reference(), 0));
            }
            Map<String, Integer> held = product.lines().stream()
                    .collect(Collectors.toMap(a -> a.line().orderid(), a -> a.line().qty()));
            check(product.lines().size() == held.size(), () -> "a line is in two places " + product.lines());
            check(held.equals(expectedLines), () -> "lines " + held + " but expected " + expectedLines);
            for (LineAllocation allocation : product.lines()) {
                if (allocation.isBackorder()) {
                    check(product.batches().stream().noneMatch(b -> b.canAllocate(allocation.line())),
                            () -> "backorder " + allocation + " fits a batch but was left waiting");
                }
            }
        }

        private int backorders() {
            return (int) product.lines().stream().filter(LineAllocation::isBackorder).count();
        }

        private <T> T pick(List<T> from) {
            return from.get(random.nextInt(from.size()));
        }

        private void check(boolean condition, Supplier<String> problem) {
            if (!condition) {
                fail("seed " + seed + ", step " + step + ", " + action + ": " + problem.get()
                        + "\n  batches " + product.batches() + "\n  lines " + product.lines());
            }
        }
    }

    /** What the product looked like before a step, detached from its mutable batches. */
    private static final class Snapshot {
        final long version;
        final Map<String, LineAllocation> lines = new HashMap<>();
        final List<Batch> batches;

        Snapshot(Product product) {
            version = product.version();
            product.lines().forEach(a -> lines.put(a.line().orderid(), a));
            batches = product.batches().stream()
                    .map(b -> new Batch(b.reference(), b.sku(), b.purchasedQuantity(), b.eta().orElse(null),
                            b.allocatedQuantity()))
                    .toList();
        }

        Optional<String> preferredBatchFor(int qty) {
            return batches.stream()
                    .filter(b -> b.availableQuantity() >= qty)
                    .min(Batch.ALLOCATION_ORDER)
                    .map(Batch::reference);
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.LineAllocation;
import com.allocationservice.domain.Product;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What of a product is in its tables: its version, the rows of its batches and of its lines, as loaded
 * or as last saved. The difference between two of them is what saving has to write.
 */
record ProductRows(String sku, long version, Map<String, BatchRow> batches, Map<String, LineAllocation> lines) {

    record BatchRow(String reference, String sku, int purchased, int allocated, LocalDate eta, ChangeKey lastChange) {
        static BatchRow of(Batch b) {
            return new BatchRow(b.reference(), b.sku(), b.purchasedQuantity(), b.allocatedQuantity(), b.eta().orElse(null),
                    b.lastChange().orElse(null));
        }
    }

    /** The rows to write to go from one state to the next, by kind. */
    record Changes(List<BatchRow> newBatches, List<BatchRow> changedBatches, List<LineAllocation> goneLines,
            List<LineAllocation> newLines, List<LineAllocation> changedLines) {
        static Changes none() {
            return new Changes(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                    new ArrayList<>());
        }
    }

    /** A product nobody stored yet: no rows. */
    static ProductRows none(String sku) {
        return new ProductRows(sku, 0, Map.of(), Map.of());
    }

    static ProductRows of(Product product) {
        Map<String, BatchRow> batches = new LinkedHashMap<>();
        product.batches().forEach(b -> batches.put(b.reference(), BatchRow.of(b)));
        Map<String, LineAllocation> lines = new LinkedHashMap<>();
        product.lines().forEach(a -> lines.put(a.line().orderid(), a));
        return new ProductRows(product.sku(), product.version(), batches, lines);
    }

    /**
     * Available on the batches without an ETA: exact from any load, which always holds every batch
     * with stock (a batch without stock adds nothing).
     */
    long warehouse() {
        return batches.values().stream().filter(b -> b.eta() == null).mapToLong(b -> b.purchased() - b.allocated()).sum();
    }

    /** The quantity of the lines loaded that wait for stock; lines not loaded do not change. */
    long backordered() {
        return lines.values().stream().filter(a -> a.batchref() == null).mapToLong(a -> a.line().qty()).sum();
    }

    Product toProduct() {
        List<Batch> list = batches.values().stream().map(row -> new Batch(row.reference(), sku, row.purchased(),
                row.eta(), row.allocated(), row.lastChange())).toList();
        return new Product(sku, list, version, lines.values());
    }

    /** Adds to {@code changes} what must be written for these rows to become {@code now}. */
    void diff(ProductRows now, Changes changes) {
        diff(batches, now.batches, changes.newBatches(), changes.changedBatches());
        lines.forEach((orderid, then) -> {
            if (!now.lines.containsKey(orderid)) {
                changes.goneLines().add(then);
            }
        });
        diff(lines, now.lines, changes.newLines(), changes.changedLines());
    }

    /** The rows of {@code now} that {@code then} lacks, and those that differ from it. */
    private static <K, V> void diff(Map<K, V> then, Map<K, V> now, List<V> added, List<V> changed) {
        now.forEach((key, row) -> {
            V before = then.get(key);
            if (before == null) {
                added.add(row);
            } else if (!before.equals(row)) {
                changed.add(row);
            }
        });
    }
}

package com.allocationservice.domain;

/**
 * What a command's handler answers. Each command names the kind of outcome it has ({@code Command<R>}),
 * so a caller switches over exactly the outcomes of the command it sent, and a new outcome that no
 * caller maps does not compile. (The book's commands return nothing and the caller reads a view; see
 * docs/design.md for why these answer.)
 */
public sealed interface Outcome {

    /** What {@link Command.Allocate} answers. */
    sealed interface Allocation extends Outcome permits Allocated, OutOfStock {
    }

    /** What {@link Command.ChangeBatchQuantity} answers. */
    sealed interface QuantityChange extends Outcome permits Done, Superseded {
    }

    /** The line is on this batch (now, or since an earlier request for the same line). */
    record Allocated(String batchref) implements Allocation {
    }

    /** No batch of the SKU can take the line; nothing was placed. */
    record OutOfStock(String sku) implements Allocation {
    }

    /**
     * A quantity change not applied because one sent after it already was: not an error, the newer
     * quantity stands.
     */
    record Superseded(String batchref, ChangeKey key, ChangeKey applied) implements QuantityChange {
    }

    /** The command did what it asked. */
    record Done() implements QuantityChange {
        public static final Done DONE = new Done();
    }
}

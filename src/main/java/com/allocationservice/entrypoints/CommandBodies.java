package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Fields.integer;
import static com.allocationservice.entrypoints.Fields.optionalWholeNumber;
import static com.allocationservice.entrypoints.Fields.text;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import java.math.BigInteger;
import java.time.LocalDate;

/**
 * The JSON bodies of the command endpoints, as Jackson binds them, each checked into its command.
 * The components' order is the order the refusal of an unknown field lists them in. Whole numbers
 * bind as {@link BigInteger}, so a value out of range is refused naming it, however large.
 */
public final class CommandBodies {

    static final JsonBody<AddBatch> ADD_BATCH = JsonBody.strict(AddBatch.class);
    static final JsonBody<Allocate> ALLOCATE = JsonBody.strict(Allocate.class);
    static final JsonBody<Deallocate> DEALLOCATE = JsonBody.strict(Deallocate.class);
    static final JsonBody<ChangeBatchQuantity> CHANGE_BATCH_QUANTITY = JsonBody.strict(ChangeBatchQuantity.class);

    private CommandBodies() {
    }

    public record AddBatch(String ref, String sku, BigInteger qty, LocalDate eta) {
        public Command.CreateBatch command() {
            return new Command.CreateBatch(text("ref", ref), text("sku", sku), integer("qty", qty, 1), eta);
        }
    }

    public record Allocate(String orderid, String sku, BigInteger qty) {
        public Command.Allocate command() {
            String checkedSku = text("sku", sku);
            return new Command.Allocate(text("orderid", orderid), checkedSku, integer("qty", qty, 1));
        }
    }

    public record Deallocate(String orderid, String sku) {
        public Command.Deallocate command() {
            return new Command.Deallocate(text("orderid", orderid), text("sku", sku));
        }
    }

    public record ChangeBatchQuantity(String ref, BigInteger qty, BigInteger seq) {
        public Command.ChangeBatchQuantity command() {
            Long key = optionalWholeNumber("seq", seq);
            return new Command.ChangeBatchQuantity(text("ref", ref), integer("qty", qty, 0), key == null ? null : ChangeKey.of(key));
        }
    }
}

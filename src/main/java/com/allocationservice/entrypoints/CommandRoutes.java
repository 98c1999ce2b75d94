package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.json;
import static com.allocationservice.entrypoints.Answers.message;

import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.Source;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Map;

/** The write side, as in the book's Flask app: each route reads its body into a command and hands it to the bus. */
final class CommandRoutes {

    private final MessageBus bus;

    private CommandRoutes(MessageBus bus) {
        this.bus = bus;
    }

    static void add(RoutesConfig routes, MessageBus bus) {
        CommandRoutes commands = new CommandRoutes(bus);
        routes.post("/add_batch", commands::addBatch, Scope.PURCHASE);
        routes.post("/allocate", commands::allocate, Scope.ALLOCATE);
        routes.post("/deallocate", commands::deallocate, Scope.ALLOCATE);
        routes.post("/change_batch_quantity", commands::changeBatchQuantity, Scope.PURCHASE);
    }

    private void addBatch(Context ctx) {
        CreateBatch command = body(ctx, CommandBodies.ADD_BATCH).command();
        bus.handle(command, source(ctx));
        json(ctx, 201, Map.of("ref", command.ref()));
    }

    private void allocate(Context ctx) {
        Allocate command = body(ctx, CommandBodies.ALLOCATE).command();
        switch (bus.handle(command, source(ctx))) {
            case Outcome.Allocated allocated -> json(ctx, 202, Map.of("batchref", allocated.batchref()));
            case Outcome.OutOfStock outOfStock -> message(ctx, 409, "Out of stock for sku " + outOfStock.sku());
        }
    }

    private void deallocate(Context ctx) {
        Deallocate command = body(ctx, CommandBodies.DEALLOCATE).command();
        bus.handle(command, source(ctx));
        message(ctx, 200, "OK");
    }

    private void changeBatchQuantity(Context ctx) {
        ChangeBatchQuantity command = body(ctx, CommandBodies.CHANGE_BATCH_QUANTITY).command();
        switch (bus.handle(command, source(ctx))) {
            case Outcome.Done done -> message(ctx, 200, "OK");
            case Outcome.Superseded s -> message(ctx, 200, "Superseded: batch " + s.batchref() + " already has change "
                    + s.applied() + ", sent after " + s.key() + "; nothing changed");
        }
    }

    /** Where the command came from, for the order lines' history: HTTP, and the token's name when tokens are in use. */
    private static Source source(Context ctx) {
        return Source.http(HttpApi.tokenName(ctx));
    }

    private static <T extends Record> T body(Context ctx, JsonBody<T> body) {
        return body.read(ctx.contentType(), ctx.contentLength(), ctx.bodyInputStream());
    }
}

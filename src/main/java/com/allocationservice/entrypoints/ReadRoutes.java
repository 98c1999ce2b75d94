package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.json;
import static com.allocationservice.entrypoints.Answers.message;

import com.allocationservice.views.Views;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** The read side (the book's CQRS chapter): each route answers from one view query, or 404. */
final class ReadRoutes {

    private final Views views;

    private ReadRoutes(Views views) {
        this.views = views;
    }

    static void add(RoutesConfig routes, Views views) {
        ReadRoutes reads = new ReadRoutes(views);
        routes.get("/allocations/{orderid}", reads::allocations);
        routes.get("/orders/{orderid}", reads::orderLines);
        routes.get("/products/{sku}/stock", reads::stock);
    }

    private void allocations(Context ctx) throws SQLException {
        List<Views.Allocation> allocations = views.allocations(ctx.pathParam("orderid"));
        if (allocations.isEmpty()) {
            message(ctx, 404, "No allocations for order " + ctx.pathParam("orderid"));
        } else {
            json(ctx, 200, allocations);
        }
    }

    private void orderLines(Context ctx) throws SQLException {
        List<Views.OrderLineStatus> lines = views.orderLines(ctx.pathParam("orderid"));
        if (lines.isEmpty()) {
            message(ctx, 404, "No lines for order " + ctx.pathParam("orderid"));
        } else {
            json(ctx, 200, lines);
        }
    }

    private void stock(Context ctx) throws SQLException {
        Optional<Views.Stock> stock = views.stock(ctx.pathParam("sku"));
        if (stock.isEmpty()) {
            message(ctx, 404, "Unknown sku " + ctx.pathParam("sku"));
        } else {
            json(ctx, 200, stock.get());
        }
    }
}

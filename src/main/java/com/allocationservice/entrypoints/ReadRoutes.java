package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.json;
import static com.allocationservice.entrypoints.Answers.message;

import com.allocationservice.views.Views;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Optional;

/** The read side (the book's CQRS chapter): each route answers from one view query, or 404. */
final class ReadRoutes {

    private ReadRoutes() {
    }

    static void add(RoutesConfig routes, Views views) {
        routes.get("/allocations/{orderid}", ctx -> {
            String orderid = ctx.pathParam("orderid");
            answer(ctx, nonEmpty(views.allocations(orderid)), "No allocations for order " + orderid);
        }, Scope.READ);
        routes.get("/orders/{orderid}", ctx -> {
            String orderid = ctx.pathParam("orderid");
            answer(ctx, nonEmpty(views.orderLines(orderid)), "No lines for order " + orderid);
        }, Scope.READ);
        routes.get("/products/{sku}/stock", ctx -> {
            String sku = ctx.pathParam("sku");
            answer(ctx, views.stock(sku), "Unknown sku " + sku);
        }, Scope.READ);
    }

    /** 200 with what was found, or 404 with the message. */
    private static void answer(Context ctx, Optional<?> found, String notFound) {
        found.ifPresentOrElse(body -> json(ctx, 200, body), () -> message(ctx, 404, notFound));
    }

    private static <T> Optional<List<T>> nonEmpty(List<T> list) {
        return list.isEmpty() ? Optional.empty() : Optional.of(list);
    }
}

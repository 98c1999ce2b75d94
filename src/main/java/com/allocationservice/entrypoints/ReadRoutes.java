package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.json;
import static com.allocationservice.entrypoints.Answers.message;
import static com.allocationservice.entrypoints.Answers.snakeCase;

import com.allocationservice.views.Views;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

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
        routes.get("/orders/{orderid}/history", ctx -> {
            String orderid = ctx.pathParam("orderid");
            List<Views.HistoryEntry> history = views.history(orderid);
            if (history.isEmpty()) {
                message(ctx, 404, "No history for order " + orderid);
            } else {
                snakeCase(ctx, 200, history);
            }
        }, Scope.READ);
        routes.get("/products", ctx -> overview(ctx, views), Scope.READ);
        routes.get("/products/{sku}/stock", ctx -> {
            String sku = ctx.pathParam("sku");
            answer(ctx, views.stock(sku), "Unknown sku " + sku);
        }, Scope.READ);
    }

    private static final Set<String> OVERVIEW_PARAMETERS = Set.of("filter", "sort", "below", "limit", "cursor");

    /**
     * The overview of all stock, a page at a time. The cursor is opaque to clients: the base64url of
     * the last row's sort key, prefixed with the sort it belongs to.
     */
    private static void overview(Context ctx, Views views) throws SQLException {
        for (String name : ctx.queryParamMap().keySet()) {
            if (!name.isEmpty() && !OVERVIEW_PARAMETERS.contains(name)) {
                throw new BadRequest("Unknown parameter '" + JsonBody.printable(name)
                        + "'; expected filter, sort, below, limit or cursor");
            }
        }
        Views.OverviewFilter filter = switch (ctx.queryParamAsClass("filter", String.class).getOrDefault("all")) {
            case "all" -> Views.OverviewFilter.ALL;
            case "short" -> Views.OverviewFilter.SHORT;
            default -> throw new BadRequest("Parameter 'filter' must be all or short");
        };
        Views.OverviewSort sort = switch (ctx.queryParamAsClass("sort", String.class).getOrDefault("attention")) {
            case "attention" -> Views.OverviewSort.ATTENTION;
            case "sku" -> Views.OverviewSort.SKU;
            default -> throw new BadRequest("Parameter 'sort' must be attention or sku");
        };
        long below = number(ctx, "below", 10, 0, 1_000_000_000);
        int limit = (int) number(ctx, "limit", 50, 1, 500);
        String cursor = ctx.queryParam("cursor");
        Views.OverviewPage page = views.products(filter, sort, below, cursor == null ? null : key(cursor, sort), limit);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("products", page.products());
        body.put("next_cursor", page.next() == null ? null : cursor(page.next(), sort));
        json(ctx, 200, body);
    }

    private static long number(Context ctx, String name, long otherwise, long min, long max) {
        String text = ctx.queryParam(name);
        if (text == null) {
            return otherwise;
        }
        try {
            long value = Long.parseLong(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new BadRequest("Parameter '" + name + "' must be a whole number from " + min + " to " + max);
    }

    private static String cursor(Views.OverviewKey key, Views.OverviewSort sort) {
        String text = sort == Views.OverviewSort.SKU ? "sku:" + key.sku()
                : "attention:" + key.group() + ":" + key.minusBackordered() + ":" + key.warehouse() + ":" + key.sku();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Views.OverviewKey key(String cursor, Views.OverviewSort sort) {
        String malformed = "Parameter 'cursor' is malformed: pass the next_cursor of an earlier answer, unchanged";
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor)))
                    .toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new BadRequest(malformed);
        }
        String label = sort.name().toLowerCase(Locale.ROOT);
        if (!text.startsWith(label + ":")) {
            throw new BadRequest(text.startsWith("sku:") || text.startsWith("attention:")
                    ? "Parameter 'cursor' belongs to another sort than " + label + ": keep the sort of the first page"
                    : malformed);
        }
        String[] parts = text.substring(label.length() + 1).split(":", sort == Views.OverviewSort.SKU ? 1 : 4);
        if (sort == Views.OverviewSort.SKU) {
            return new Views.OverviewKey(1, 0, 0, parts[0]);
        }
        try {
            int group = Integer.parseInt(parts[0]);
            if (group == 0 || group == 1) {
                return new Views.OverviewKey(group, Long.parseLong(parts[1]), Long.parseLong(parts[2]), parts[3]);
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            // answered below
        }
        throw new BadRequest(malformed);
    }

    /** 200 with what was found, or 404 with the message. */
    private static void answer(Context ctx, Optional<?> found, String notFound) {
        found.ifPresentOrElse(body -> json(ctx, 200, body), () -> message(ctx, 404, notFound));
    }

    private static <T> Optional<List<T>> nonEmpty(List<T> list) {
        return list.isEmpty() ? Optional.empty() : Optional.of(list);
    }
}

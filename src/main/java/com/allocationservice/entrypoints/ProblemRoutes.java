package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.message;
import static com.allocationservice.entrypoints.Answers.snakeCase;

import com.allocationservice.service.OperatorActions;
import com.allocationservice.views.Views;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import io.javalin.http.ServiceUnavailableResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;

/**
 * What could not go through, for operators (scope {@code operate}): dead letters of the incoming
 * stream and parked outbox rows, listed, shown, replayed or discarded with a reason; each action is
 * recorded with the name of the token that asked for it ({@code GET /operator-actions}).
 */
final class ProblemRoutes {

    private static final Scope OPERATE = Scope.OPERATE;
    private static final int DEFAULT_LIMIT = 50;
    private static final int MAX_LIMIT = 500;
    private static final JsonBody<Discard> DISCARD = JsonBody.strict(Discard.class);

    /** The body of a discard: why (required, 1 to 255 characters). */
    record Discard(String reason) {
    }

    /** A page of items and the cursor of the next page (null: this is the last). */
    record Page<T>(List<T> items, String next) {
    }

    private final Views views;
    private final OperatorActions actions;
    private final DeadLetters deadLetters;

    private ProblemRoutes(Views views, OperatorActions actions, DeadLetters deadLetters) {
        this.views = views;
        this.actions = actions;
        this.deadLetters = deadLetters;
    }

    static void add(RoutesConfig routes, Views views, OperatorActions actions, Optional<UnifiedJedis> redis) {
        ProblemRoutes problems = new ProblemRoutes(views, actions, redis.map(DeadLetters::new).orElse(null));
        routes.get("/dead-letters", problems::deadLetters, OPERATE);
        routes.get("/dead-letters/{id}", problems::deadLetter, OPERATE);
        routes.post("/dead-letters/replay", problems::replayAllDeadLetters, OPERATE);
        routes.post("/dead-letters/{id}/replay", problems::replayDeadLetter, OPERATE);
        routes.post("/dead-letters/{id}/discard", problems::discardDeadLetter, OPERATE);
        routes.get("/parked", problems::parkedRows, OPERATE);
        routes.get("/parked/{id}", problems::parkedRow, OPERATE);
        routes.post("/parked/replay", problems::replayAllParked, OPERATE);
        routes.post("/parked/{id}/replay", problems::replayParked, OPERATE);
        routes.post("/parked/{id}/discard", problems::discardParked, OPERATE);
        routes.get("/operator-actions", problems::operatorActions, OPERATE);
    }

    // ---- dead letters, in Redis

    private void deadLetters(Context ctx) {
        String cursor = ctx.queryParam("cursor");
        int limit = limit(ctx);
        List<DeadLetters.Letter> letters = deadLetters().list(cursor == null ? null : entryId(cursor, "cursor"), limit);
        snakeCase(ctx, 200, new Page<>(letters, letters.size() < limit ? null : letters.getLast().id()));
    }

    private void deadLetter(Context ctx) {
        snakeCase(ctx, 200, letter(ctx));
    }

    private void replayDeadLetter(Context ctx) {
        DeadLetters.Letter letter = letter(ctx);
        StreamEntryID added = deadLetters().replay(letter);
        actions.record(new OperatorActions.Action(HttpApi.who(ctx), "replay", "dead_letter", letter.id(), 1, null));
        snakeCase(ctx, 200, Map.of("replayed", 1, "entry_ids", List.of(added.toString())));
    }

    /** Every dead letter there is when asked, oldest first; the ones that arrive meanwhile wait for the next. */
    private void replayAllDeadLetters(Context ctx) {
        DeadLetters letters = deadLetters();
        List<String> added = new ArrayList<>();
        StreamEntryID after = null;
        List<DeadLetters.Letter> page;
        do {
            page = letters.list(after, MAX_LIMIT);
            for (DeadLetters.Letter letter : page) {
                added.add(letters.replay(letter).toString());
                after = new StreamEntryID(letter.id());
            }
        } while (page.size() == MAX_LIMIT);
        actions.record(new OperatorActions.Action(HttpApi.who(ctx), "replay_all", "dead_letter", null, added.size(), null));
        snakeCase(ctx, 200, Map.of("replayed", added.size(), "entry_ids", added));
    }

    private void discardDeadLetter(Context ctx) {
        String reason = reason(ctx);
        DeadLetters.Letter letter = letter(ctx);
        if (!deadLetters().discard(new StreamEntryID(letter.id()))) {
            throw new NotFoundResponse("No dead letter " + letter.id());
        }
        actions.record(new OperatorActions.Action(HttpApi.who(ctx), "discard", "dead_letter", letter.id(), 1, reason));
        message(ctx, 200, "Discarded dead letter " + letter.id());
    }

    private DeadLetters deadLetters() {
        if (deadLetters == null) {
            throw new ServiceUnavailableResponse("No Redis configured (ALLOCATION_REDIS_URL): there are no dead letters");
        }
        return deadLetters;
    }

    private DeadLetters.Letter letter(Context ctx) {
        String id = ctx.pathParam("id");
        return deadLetters().get(entryId(id, "id")).orElseThrow(() ->
                new NotFoundResponse("No dead letter " + id));
    }

    private static StreamEntryID entryId(String text, String what) {
        if (!text.matches("\\d{1,20}-\\d{1,20}")) {
            throw new BadRequest("The " + what + " must be a stream entry id such as 1700000000000-0");
        }
        try {
            return new StreamEntryID(text);
        } catch (RuntimeException e) {
            throw new BadRequest("The " + what + " must be a stream entry id such as 1700000000000-0");
        }
    }

    // ---- parked outbox rows, in the database

    private void parkedRows(Context ctx) throws Exception {
        String cursor = ctx.queryParam("cursor");
        int limit = limit(ctx);
        List<Views.ParkedRow> rows = views.parkedRows(cursor == null ? 0 : number(cursor, "cursor"), limit);
        snakeCase(ctx, 200, new Page<>(rows, rows.size() < limit ? null : Long.toString(rows.getLast().id())));
    }

    private void parkedRow(Context ctx) throws Exception {
        long id = number(ctx.pathParam("id"), "id");
        Optional<Views.ParkedRow> row = views.parkedRow(id);
        row.ifPresentOrElse(found -> snakeCase(ctx, 200, found), () -> message(ctx, 404, "No parked row " + id));
    }

    private void replayParked(Context ctx) {
        long id = number(ctx.pathParam("id"), "id");
        if (actions.replayParked(id, HttpApi.who(ctx))) {
            message(ctx, 200, "Parked row " + id + " is back in the outbox");
        } else {
            message(ctx, 404, "No parked row " + id + " (replayed or discarded already?)");
        }
    }

    private void replayAllParked(Context ctx) {
        int moved = actions.replayAllParked(HttpApi.who(ctx));
        snakeCase(ctx, 200, Map.of("replayed", moved));
    }

    private void discardParked(Context ctx) {
        String reason = reason(ctx);
        long id = number(ctx.pathParam("id"), "id");
        if (actions.discardParked(id, HttpApi.who(ctx), reason)) {
            message(ctx, 200, "Discarded parked row " + id);
        } else {
            message(ctx, 404, "No parked row " + id + " (replayed or discarded already?)");
        }
    }

    // ---- the record

    private void operatorActions(Context ctx) throws Exception {
        String cursor = ctx.queryParam("cursor");
        int limit = limit(ctx);
        List<Views.OperatorAction> done = views.operatorActions(cursor == null ? 0 : number(cursor, "cursor"), limit);
        snakeCase(ctx, 200, new Page<>(done, done.size() < limit ? null : Long.toString(done.getLast().id())));
    }

    private static String reason(Context ctx) {
        return Fields.text("reason", DISCARD.read(ctx.contentType(), ctx.contentLength(), ctx.bodyInputStream()).reason());
    }

    private static int limit(Context ctx) {
        String limit = ctx.queryParam("limit");
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        long value = number(limit, "limit");
        if (value < 1 || value > MAX_LIMIT) {
            throw new BadRequest("The limit must be from 1 to " + MAX_LIMIT);
        }
        return (int) value;
    }

    private static long number(String text, String what) {
        if (!text.matches("\\d{1,18}")) {
            throw new BadRequest("The " + what + " must be a whole number");
        }
        return Long.parseLong(text);
    }
}

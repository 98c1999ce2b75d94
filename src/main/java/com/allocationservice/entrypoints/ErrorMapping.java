package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.message;

import com.allocationservice.domain.DomainException;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.StorageUnavailable;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.sql.SQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Failures as HTTP answers, each a status and a {@code message}: the book's {@code except ...: return ..., 400}. */
final class ErrorMapping {

    /** Under the API's name, as before the routes moved out of HttpApi. */
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

    private ErrorMapping() {
    }

    static void add(RoutesConfig routes) {
        routes.exception(BadRequest.class, (e, ctx) -> message(ctx, 400, e.getMessage()));
        routes.exception(DomainException.InvalidSku.class, (e, ctx) -> message(ctx, 400, e.getMessage()));
        routes.exception(DomainException.UnknownBatch.class, (e, ctx) -> message(ctx, 404, e.getMessage()));
        routes.exception(DomainException.UnknownLine.class, (e, ctx) -> message(ctx, 404, e.getMessage()));
        routes.exception(DomainException.DuplicateBatch.class, (e, ctx) -> message(ctx, 409, e.getMessage()));
        routes.exception(DomainException.LineConflict.class, (e, ctx) -> message(ctx, 409, e.getMessage()));
        routes.exception(ConcurrencyConflict.class, (e, ctx) ->
                message(ctx, 409, "Too many concurrent changes to the same product; try again"));
        routes.exception(StorageUnavailable.class, (e, ctx) -> unavailable(e, e.reason(), ctx));
        routes.exception(SQLException.class, (e, ctx) -> unavailable(e, null, ctx));
        routes.exception(HttpResponseException.class, (e, ctx) -> {
            if (e.getStatus() == 405) {
                ctx.status(405);   // the 405 error handler below answers, naming the method and path
            } else {
                message(ctx, e.getStatus(), e.getMessage());
            }
        });
        routes.exception(Exception.class, (e, ctx) -> {
            log.error("Unexpected failure on {} {}", ctx.method(), ctx.path(), e);
            message(ctx, 500, "Internal error");
        });
        // A path no route matches needs no error handler: Javalin throws a NotFoundResponse for it,
        // answered above ("Endpoint GET /nowhere not found").
        routes.error(405, ctx -> message(ctx, 405, "Method " + ctx.method() + " is not allowed on " + ctx.path()));
    }

    /**
     * The cause, when known ("storage full", "storage read-only", "storage busy"), is named: the operator's
     * fix depends on it. A commit whose outcome is unknown says so, and that the client may send the
     * same request again (docs/api.md, "Retrying").
     */
    private static void unavailable(Exception e, String reason, Context ctx) {
        log.warn("Storage unavailable on {} {}: {}", ctx.method(), ctx.path(), e.toString());
        if (StorageUnavailable.OUTCOME_UNKNOWN.equals(reason)) {
            message(ctx, 503, "Storage is unavailable (" + reason + "): the change may or may not have been made;"
                    + " retrying the same request is safe");
            return;
        }
        message(ctx, 503, reason == null ? "Storage is unavailable; try again later"
                : "Storage is unavailable (" + reason + "); try again later");
    }
}

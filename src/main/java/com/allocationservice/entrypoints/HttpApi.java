package com.allocationservice.entrypoints;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.DomainException;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.views.Views;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.http.NotFoundResponse;
import io.javalin.router.Endpoint;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.handler.GracefulHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The book's Flask API as a Javalin app factory: it takes the bus and the views and returns an app,
 * not started, so tests can run it in process on any port. Every answer is JSON (but metrics and the
 * documentation page); every error carries a {@code message}. {@code /openapi.json} describes it all.
 */
public final class HttpApi {

    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    /** Characters outside the BMP (an emoji) as UTF-8, not as escaped surrogate pairs; buffers shared. */
    private static final ObjectMapper JSON = JsonMapper.builder(JsonBody.pooledBuffers())
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    /** The request attribute of a 404 that {@link #json} answered. */
    private static final String ANSWERED = "allocation.answered";

    /** How long stopping waits for in-flight requests before cutting them off. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private HttpApi() {
    }

    public static Javalin create(MessageBus bus, Views views, Supplier<String> metrics) {
        return create(bus, views, metrics, () -> Map.of("database", views.databaseAnswers() ? "UP" : "DOWN"),
                () -> { }, Optional.empty());
    }

    /**
     * The app, whose every request first runs {@code awaitReady} (it blocks until storage is ready,
     * or throws): the server can start listening while the database is still being migrated. With an
     * {@code apiToken}, every request but health and metrics must carry {@code Authorization: Bearer
     * <token>}, or is answered 401 before anything else runs. The operators' page ({@code GET /} and
     * its files under {@code /static/}) holds no data and is served without the token; {@code status}
     * answers {@code GET /status}.
     */
    public static Javalin create(MessageBus bus, Views views, Supplier<String> metrics,
            Supplier<Map<String, Object>> status, Runnable awaitReady, Optional<String> apiToken) {
        return create(bus, views, metrics, status, awaitReady, apiToken, RequestObserver.NONE);
    }

    /** The app, with {@code observer} told of every answered request (its route, status and duration). */
    public static Javalin create(MessageBus bus, Views views, Supplier<String> metrics,
            Supplier<Map<String, Object>> status, Runnable awaitReady, Optional<String> apiToken,
            RequestObserver observer) {
        Optional<BearerToken> token = apiToken.map(BearerToken::new);
        ApiDocs docs = ApiDocs.load();
        String page = new String(ApiDocs.bytes("web/index.html"), StandardCharsets.UTF_8);
        Map<String, byte[]> pageFiles = Map.of("app.js", ApiDocs.bytes("web/app.js"),
                "style.css", ApiDocs.bytes("web/style.css"));
        return Javalin.create(config -> {
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            if (observer != RequestObserver.NONE) {
                config.requestLogger.http((ctx, millis) -> {
                    Endpoint route = ctx.endpoints().matchedHttpEndpoint();
                    observer.answered(ctx.method().name(), route == null ? RequestObserver.UNMATCHED : route.path,
                            ctx.path(), ctx.statusCode(), millis);
                });
            }
            config.http.maxRequestSize = JsonBody.MAX_BYTES;
            config.http.defaultContentType = "application/json";
            config.http.prefer405over404 = true;
            config.jetty.modifyHttpConfiguration(http -> {
                // Jetty's per-connection header cache matches values ignoring case by default: a
                // keep-alive connection would hand the token check a cached earlier value.
                http.setHeaderCacheCaseSensitive(true);
                // Javalin's LEGACY lets ambiguous paths (%2e%2e, empty segments, %5c) through to the
                // routes; Jetty's default refuses them. An encoded '/' or '%' stays allowed: routes
                // match the raw path, so it is data within one segment (an order id "PO/1").
                http.setUriCompliance(UriCompliance.DEFAULT.with("DEFAULT_WITH_ENCODED_SEPARATORS",
                        UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR, UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
            });
            // Javalin nests its handlers inside a wrapper found here; GracefulHandler makes stop()
            // close the connector first, then wait (up to the stop timeout) for in-flight requests.
            config.jetty.modifyServer(server -> {
                server.setHandler(new GracefulHandler());
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
                server.setErrorHandler(new JsonErrorHandler());
            });

            token.ifPresent(required -> config.routes.before(ctx -> {
                if (!isOpen(ctx)) {
                    required.refusal(ctx.header("Authorization")).ifPresent(refusal -> {
                        ctx.header("WWW-Authenticate", "Bearer");
                        message(ctx, 401, refusal);
                        ctx.skipRemainingHandlers();
                    });
                }
            }));
            config.routes.before(ctx -> {
                if (!ctx.path().equals("/health/live")) {
                    awaitReady.run();
                }
            });

            config.routes.post("/add_batch", ctx -> {
                JsonBody body = body(ctx, "ref", "sku", "qty", "eta");
                String ref = body.text("ref");
                bus.handle(new CreateBatch(ref, body.text("sku"), body.integer("qty", 1), body.optionalDate("eta")));
                json(ctx, 201, Map.of("ref", ref));
            });
            config.routes.post("/allocate", ctx -> {
                JsonBody body = body(ctx, "orderid", "sku", "qty");
                String sku = body.text("sku");
                switch (bus.handle(new Allocate(body.text("orderid"), sku, body.integer("qty", 1)))) {
                    case Outcome.Allocated allocated -> json(ctx, 202, Map.of("batchref", allocated.batchref()));
                    case Outcome.OutOfStock outOfStock -> message(ctx, 409, "Out of stock for sku " + outOfStock.sku());
                }
            });
            config.routes.post("/deallocate", ctx -> {
                JsonBody body = body(ctx, "orderid", "sku");
                bus.handle(new Deallocate(body.text("orderid"), body.text("sku")));
                message(ctx, 200, "OK");
            });
            config.routes.post("/change_batch_quantity", ctx -> {
                JsonBody body = body(ctx, "ref", "qty", "seq");
                Long seq = body.optionalWholeNumber("seq");
                switch (bus.handle(new ChangeBatchQuantity(body.text("ref"), body.integer("qty", 0),
                        seq == null ? null : ChangeKey.of(seq)))) {
                    case Outcome.Done done -> message(ctx, 200, "OK");
                    case Outcome.Superseded s -> message(ctx, 200, "Superseded: batch " + s.batchref()
                            + " already has change " + s.applied() + ", sent after " + s.key() + "; nothing changed");
                }
            });
            config.routes.get("/allocations/{orderid}", ctx -> {
                List<Views.Allocation> allocations = views.allocations(ctx.pathParam("orderid"));
                if (allocations.isEmpty()) {
                    message(ctx, 404, "No allocations for order " + ctx.pathParam("orderid"));
                } else {
                    json(ctx, 200, allocations);
                }
            });
            config.routes.get("/orders/{orderid}", ctx -> {
                List<Views.OrderLineStatus> lines = views.orderLines(ctx.pathParam("orderid"));
                if (lines.isEmpty()) {
                    message(ctx, 404, "No lines for order " + ctx.pathParam("orderid"));
                } else {
                    json(ctx, 200, lines);
                }
            });
            config.routes.get("/products/{sku}/stock", ctx -> {
                Optional<Views.Stock> stock = views.stock(ctx.pathParam("sku"));
                if (stock.isEmpty()) {
                    message(ctx, 404, "Unknown sku " + ctx.pathParam("sku"));
                } else {
                    json(ctx, 200, stock.get());
                }
            });
            // liveness: the process answers (no I/O); readiness (and /health): the database answers
            config.routes.get("/health/live", ctx -> json(ctx, 200, Map.of("status", "UP")));
            config.routes.get("/health/ready", ctx -> ready(ctx, views));
            config.routes.get("/health", ctx -> ready(ctx, views));
            config.routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.get()));
            config.routes.get("/openapi.json", docs::document);
            config.routes.get("/docs", docs::page);
            config.routes.get("/docs/{asset}", docs::asset);
            // The page's two files, read once: Javalin's static files would mount the whole jar as a
            // file system at start-up (a good part of a cold start) to serve them.
            config.routes.get("/static/{file}", ctx -> {
                byte[] file = pageFiles.get(ctx.pathParam("file"));
                if (file == null) {
                    throw new NotFoundResponse("No such file: " + ctx.path());
                }
                ctx.header("Cache-Control", "no-cache")
                        .contentType((ctx.pathParam("file").endsWith(".js") ? "text/javascript" : "text/css") + "; charset=utf-8")
                        .result(file);
            });
            config.routes.get("/status", ctx -> json(ctx, 200, status.get()));
            config.routes.get("/", ctx -> ctx.contentType("text/html; charset=utf-8")
                    .header("Cache-Control", "no-cache")
                    .header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
                    .result(page));

            config.routes.exception(BadRequest.class, (e, ctx) -> message(ctx, 400, e.getMessage()));
            config.routes.exception(DomainException.InvalidSku.class, (e, ctx) -> message(ctx, 400, e.getMessage()));
            config.routes.exception(DomainException.UnknownBatch.class, (e, ctx) -> message(ctx, 404, e.getMessage()));
            config.routes.exception(DomainException.UnknownLine.class, (e, ctx) -> message(ctx, 404, e.getMessage()));
            config.routes.exception(DomainException.DuplicateBatch.class, (e, ctx) -> message(ctx, 409, e.getMessage()));
            config.routes.exception(DomainException.LineConflict.class, (e, ctx) -> message(ctx, 409, e.getMessage()));
            config.routes.exception(ConcurrencyConflict.class, (e, ctx) ->
                    message(ctx, 409, "Too many concurrent changes to the same product; try again"));
            config.routes.exception(StorageUnavailable.class, (e, ctx) -> unavailable(ctx, e, e.reason()));
            config.routes.exception(SQLException.class, (e, ctx) -> unavailable(ctx, e, null));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                if (e.getStatus() == 405) {
                    ctx.status(405);   // the 405 error handler below answers, naming the method and path
                } else {
                    message(ctx, e.getStatus(), e.getMessage());
                }
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("Unexpected failure on {} {}", ctx.method(), ctx.path(), e);
                message(ctx, 500, "Internal error");
            });
            config.routes.error(405, ctx -> message(ctx, 405,
                    "Method " + ctx.method() + " is not allowed on " + ctx.path()));
            config.routes.error(404, ctx -> {
                if (ctx.attribute(ANSWERED) == null && (ctx.result() == null || ctx.result().isEmpty())) {
                    message(ctx, 404, "No such endpoint: " + ctx.method() + " " + ctx.path());
                }
            });
        });
    }

    /**
     * Health and metrics answer without the API token: probes and scrapers carry none. So does the
     * operators' page and the API's documentation, read with GET: they hold no data (the page asks for
     * the token itself; the document describes the API, not its data).
     */
    private static boolean isOpen(Context ctx) {
        String path = ctx.path();
        if (path.equals("/health") || path.startsWith("/health/") || path.equals("/metrics")) {
            return true;
        }
        boolean read = ctx.method().equals(HandlerType.GET) || ctx.method().equals(HandlerType.HEAD);
        return read && (path.equals("/") || path.startsWith("/static/") || path.equals("/openapi.json")
                || path.equals("/docs") || path.startsWith("/docs/"));
    }

    private static void ready(Context ctx, Views views) {
        boolean up = views.databaseAnswers();
        json(ctx, up ? 200 : 503, up ? Map.of("status", "UP")
                : Map.of("status", "DOWN", "message", "The database does not answer within a second"));
    }

    private static void unavailable(Context ctx, Exception e, String reason) {
        log.warn("Storage unavailable on {} {}: {}", ctx.method(), ctx.path(), e.toString());
        message(ctx, 503, reason == null ? "Storage is unavailable; try again later"
                : "Storage is unavailable (" + reason + "); try again later");
    }

    private static JsonBody body(Context ctx, String... fields) {
        return JsonBody.read(ctx.contentType(), ctx.contentLength(), ctx.bodyInputStream(), fields);
    }

    private static void message(Context ctx, int status, String message) {
        json(ctx, status, Map.of("message", message));
    }

    /**
     * Writes the answer's bytes to the response itself: through {@code ctx.result(...)}, Javalin copies
     * every answer, however short, through a fresh 32 KiB buffer (most of the bytes a request
     * allocated, measured). A 404 written here is marked, so the 404 error handler leaves it alone.
     */
    private static void json(Context ctx, int status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body, e);
        }
        ctx.status(status).contentType("application/json");
        if (status == 404) {
            ctx.attribute(ANSWERED, Boolean.TRUE);
        }
        try {
            ctx.outputStream().write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

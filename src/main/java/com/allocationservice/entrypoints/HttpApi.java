package com.allocationservice.entrypoints;

import com.allocationservice.service.MessageBus;
import com.allocationservice.service.OperatorActions;
import com.allocationservice.views.Views;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.ServiceUnavailableResponse;
import io.javalin.router.Endpoint;
import io.javalin.router.ParsedEndpoint;
import io.javalin.security.Roles;
import io.javalin.security.RouteRole;
import io.opentelemetry.api.OpenTelemetry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.component.LifeCycle;
import redis.clients.jedis.UnifiedJedis;

/**
 * The book's Flask API as a Javalin app factory: it takes the bus and the views and returns an app,
 * not started, so tests can run it in process on any port. Every answer is JSON (but metrics and the
 * documentation page); every error carries a {@code message}. {@code /openapi.json} describes it all.
 */
public final class HttpApi {

    /** How long stopping waits for in-flight requests before cutting them off. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    /** Connections the kernel holds until they are accepted (capped by net.core.somaxconn). */
    private static final int ACCEPT_QUEUE = 1_024;

    /**
     * What the app serves. The server can start listening while the database is still being migrated:
     * {@code storageReady} completes when it is, or fails when it cannot be. Until then every request
     * waits for it, but for the health probes, which answer at once: liveness UP, readiness 503
     * "starting". Once it failed, every request is answered 503, the probes' with {@code DOWN}.
     * With {@code tokens} (asked for the current set on each request, so it may change while running),
     * every request but the open routes' must carry {@code Authorization: Bearer <token>} with a known
     * token, or is answered 401 before anything else runs; a known token without the route's
     * {@link Scope} is answered 403. {@code status} answers {@code GET /status}, {@code history}
     * {@code GET /status/history} (this instance's samples for the page's charts); {@code observer} is
     * told of every answered request (its route, status, duration and the token's name).
     * {@code operatorActions} replays and discards parked rows and records every such action;
     * {@code redis}, when configured, holds the dead letters. With {@code tracing} (when tracing is on),
     * every request is a server span ({@link HttpTracing}).
     */
    public record Dependencies(MessageBus bus, Views views, Supplier<String> metrics,
            Supplier<Map<String, Object>> status, Supplier<Map<String, Object>> history, Future<?> storageReady, Optional<Supplier<ApiTokens>> tokens,
            RequestObserver observer, OperatorActions operatorActions, Optional<UnifiedJedis> redis,
            Optional<OpenTelemetry> tracing) {

        /**
         * For tests: always ready, no token, no observer, no metrics, no Redis; the status says whether
         * the database answers; the history holds no sample; operators' actions are refused (503).
         */
        public static Dependencies of(MessageBus bus, Views views) {
            return new Dependencies(bus, views, () -> "", () -> Map.of("database", views.databaseAnswers() ? "UP" : "DOWN"),
                    HttpApi::noHistory,
                    CompletableFuture.completedFuture(null), Optional.empty(), RequestObserver.NONE,
                    OperatorActions.UNAVAILABLE, Optional.empty(), Optional.empty());
        }
    }

    private static Map<String, Object> noHistory() {
        Map<String, Object> none = new LinkedHashMap<>();
        none.put("instance", "test");
        none.put("interval_seconds", 10);
        none.put("capacity", 0);
        for (String series : List.of("time", "allocations_per_second", "out_of_stock_per_second",
                "allocate_p50_ms", "allocate_p99_ms", "outbox_backlog", "outbox_parked", "stream_lag", "dead_letters")) {
            none.put(series, List.of());
        }
        return none;
    }

    /** The request attribute holding the {@link ApiTokens.Token} the request carried. */
    private static final String TOKEN = "allocation.token";

    private HttpApi() {
    }

    /** For tests: the app with a request-head deadline of 20 seconds, the setting's default. */
    public static Javalin create(Dependencies app) {
        return create(app, Duration.ofSeconds(20));
    }

    /** The app; a connection that has not sent a whole request head within {@code headerTimeout} is closed. */
    public static Javalin create(Dependencies app, Duration headerTimeout) {
        AtomicReference<Javalin> built = new AtomicReference<>();
        Javalin javalin = Javalin.create(config -> {
            app.tracing().ifPresent(tracing -> HttpTracing.add(config, tracing));
            server(config, app.observer(), headerTimeout);
            filters(config.routes, app.tokens(), app.storageReady(), built::get);
            CommandRoutes.add(config.routes, app.bus());
            ReadRoutes.add(config.routes, app.views());
            OperatorRoutes.add(config.routes, app.views(), app.metrics(), app.status(), app.history());
            ProblemRoutes.add(config.routes, app.views(), app.operatorActions(), app.redis());
            ErrorMapping.add(config.routes);
        });
        everyRouteHasOneScope(javalin);
        built.set(javalin);
        return javalin;
    }

    /** A route added without a scope (or with two) is a mistake: found when the app is built, not by a client. */
    private static void everyRouteHasOneScope(Javalin javalin) {
        for (var handler : javalin.unsafe.internalRouter.allHttpHandlers()) {
            Endpoint endpoint = handler.endpoint;
            Roles roles = endpoint.metadata(Roles.class);
            if (endpoint.method.isHttpMethod() && (roles == null || roles.getRoles().size() != 1)) {
                throw new IllegalStateException("The route " + endpoint.method.name() + " " + endpoint.path
                        + " must have exactly one scope, or be open; it has " + (roles == null ? "none" : roles.getRoles()));
            }
        }
    }

    private static void server(JavalinConfig config, RequestObserver observer, Duration headerTimeout) {
        config.concurrency.useVirtualThreads = true;
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        if (observer != RequestObserver.NONE) {
            config.requestLogger.http((ctx, millis) -> {
                Endpoint route = ctx.endpoints().matchedHttpEndpoint();
                ApiTokens.Token token = ctx.attribute(TOKEN);
                observer.answered(ctx.method().name(), route == null ? RequestObserver.UNMATCHED : route.path,
                        ctx.path(), ctx.statusCode(), millis, token == null ? null : token.name());
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
            // Javalin adds its connector just before it starts the server: the deadline joins it then.
            server.addEventListener(new LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(LifeCycle event) {
                    for (Connector connector : server.getConnectors()) {
                        // Java's default accept queue is 50: a burst of new connections beyond it has
                        // its SYNs dropped, and each such client waits a second or more to connect.
                        if (connector instanceof ServerConnector listening) {
                            listening.setAcceptQueueSize(ACCEPT_QUEUE);
                        }
                        connector.addBean(new HeaderDeadline(headerTimeout, connector.getScheduler()));
                    }
                }
            });
        });
    }

    /** Who the request is (401), the start-up gate, then whether the token may use the route (403). */
    private static void filters(RoutesConfig routes, Optional<Supplier<ApiTokens>> tokens, Future<?> storageReady,
            Supplier<Javalin> app) {
        tokens.ifPresent(known -> routes.before(ctx -> {
            if (!isOpen(ctx)) {
                switch (known.get().identify(ctx.header("Authorization"))) {
                    case ApiTokens.Known found -> ctx.attribute(TOKEN, found.token());
                    case ApiTokens.Refused refused -> unauthorized(ctx, refused.why());
                }
            }
        }));
        routes.before(ctx -> {
            if (storageReady.state() != Future.State.SUCCESS) {
                startingUp(ctx, storageReady);
            }
        });
        tokens.ifPresent(known -> routes.beforeMatched(ctx -> authorize(ctx, app.get())));
    }

    /** Who made the request, as operators' actions record it: its token's name, or "anonymous" without tokens. */
    static String who(Context ctx) {
        String name = tokenName(ctx);
        return name == null ? "anonymous" : name;
    }

    /** The name of the token the request carried; null without tokens. */
    static String tokenName(Context ctx) {
        ApiTokens.Token token = ctx.attribute(TOKEN);
        return token == null ? null : token.name();
    }

    private static void unauthorized(Context ctx, String why) {
        ctx.header("WWW-Authenticate", "Bearer");
        Answers.message(ctx, 401, why);
        ctx.skipRemainingHandlers();
    }

    /** The matched route is open, or the request's token has the route's scope. */
    private static void authorize(Context ctx, Javalin app) {
        RouteRole role = scope(ctx, app);
        if (role == Scope.Open.ANYONE) {
            return;
        }
        ApiTokens.Token token = ctx.attribute(TOKEN);
        if (token == null) {
            // a path isOpen lets through to a route that needs a scope: never, unless the two disagree
            unauthorized(ctx, "Missing 'Authorization: Bearer <token>' header");
            return;
        }
        Scope scope = (Scope) role;
        if (!token.scopes().contains(scope)) {
            Endpoint route = ctx.endpoints().matchedHttpEndpoint();
            Answers.message(ctx, 403, "Token '" + token.name() + "' lacks the scope '" + scope.label() + "' for "
                    + ctx.method().name() + " " + (route == null ? ctx.path() : route.path));
            ctx.skipRemainingHandlers();
        }
    }

    /**
     * The matched route's one scope (everyRouteHasOneScope). A HEAD request runs its GET route, which
     * Javalin does not hand over as the matched endpoint: its scope is read from the GET route.
     */
    private static RouteRole scope(Context ctx, Javalin app) {
        Endpoint route = ctx.endpoints().matchedHttpEndpoint();
        if (route == null && ctx.method() == HandlerType.HEAD) {
            ParsedEndpoint get = app.unsafe.internalRouter.findFirstHttpHandlerEntry(HandlerType.GET, ctx.path());
            route = get == null ? null : get.endpoint;
        }
        Roles roles = route == null ? null : route.metadata(Roles.class);
        if (roles == null || roles.getRoles().size() != 1) {
            throw new IllegalStateException("No scope for " + ctx.method() + " " + ctx.path());
        }
        return roles.getRoles().iterator().next();
    }

    /**
     * A request before storage is ready. A probe is answered at once (liveness must answer while
     * migrating; readiness says why it is not ready); any other request waits for the migration. A
     * failed start is a 503, never a 500: the process is about to exit.
     */
    private static void startingUp(Context ctx, Future<?> storageReady) {
        String path = ctx.path();
        boolean probe = path.equals("/health/live") || path.equals("/health/ready") || path.equals("/health");
        if (probe && storageReady.state() == Future.State.RUNNING) {
            if (!path.equals("/health/live")) {
                down(ctx, "Starting: the database is being migrated");
            }
            return;
        }
        try {
            storageReady.get();
        } catch (ExecutionException | CancellationException e) {
            if (probe) {
                down(ctx, "Start-up failed; the service is stopping");
            } else {
                throw new ServiceUnavailableResponse("The service failed to start and is stopping");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableResponse("The service is stopping");
        }
    }

    private static void down(Context ctx, String message) {
        Answers.down(ctx, message);
        ctx.skipRemainingHandlers();
    }

    /**
     * Health and metrics answer without the API token: probes and scrapers carry none. So does the
     * operators' page and the API's documentation, read with GET: they hold no data (the page asks for
     * the token itself; the document describes the API, not its data). Told by the path, before
     * routing, so that an unknown path without a token is a 401 too; their routes are also registered
     * as {@link Scope.Open}, and {@link #authorize} answers 401 should the two ever disagree.
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
}

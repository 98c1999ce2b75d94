package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Answers.json;

import com.allocationservice.views.Views;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/** What operators and their tools read: health, metrics, status, the API's documentation, the web page. */
final class OperatorRoutes {

    private static final Scope.Open OPEN = Scope.Open.ANYONE;

    private final Views views;
    private final String page = new String(ApiDocs.bytes("web/index.html"), StandardCharsets.UTF_8);
    private final Map<String, byte[]> pageFiles = Map.of("app.js", ApiDocs.bytes("web/app.js"),
            "style.css", ApiDocs.bytes("web/style.css"),
            "uPlot.iife.min.js", uPlot("uPlot.iife.min.js"), "uPlot.min.css", uPlot("uPlot.min.css"));

    private OperatorRoutes(Views views) {
        this.views = views;
    }

    static void add(RoutesConfig routes, Views views, Supplier<String> metrics, Supplier<Map<String, Object>> status,
            Supplier<Map<String, Object>> history) {
        OperatorRoutes operator = new OperatorRoutes(views);
        ApiDocs docs = ApiDocs.load();
        // liveness: the process answers (no I/O); readiness (and /health): the database answers
        routes.get("/health/live", ctx -> json(ctx, 200, Map.of("status", "UP")), OPEN);
        routes.get("/health/ready", operator::ready, OPEN);
        routes.get("/health", operator::ready, OPEN);
        routes.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.get()), OPEN);
        routes.get("/status", ctx -> json(ctx, 200, status.get()), Scope.READ);
        routes.get("/status/history", ctx -> json(ctx, 200, history.get()), Scope.READ);
        routes.get("/openapi.json", docs::document, OPEN);
        routes.get("/docs", docs::page, OPEN);
        routes.get("/docs/{asset}", docs::asset, OPEN);
        routes.get("/", operator::page, OPEN);
        routes.get("/static/{file}", operator::pageFile, OPEN);
    }

    /** A file of the charts' library, uPlot, from its WebJar. */
    private static byte[] uPlot(String file) {
        return ApiDocs.bytes("META-INF/resources/webjars/uplot/" + ApiDocs.webjarVersion("org.webjars.npm", "uplot")
                + "/dist/" + file);
    }

    private void ready(Context ctx) {
        views.databaseProblem().ifPresentOrElse(problem -> Answers.down(ctx, problem),
                () -> json(ctx, 200, Map.of("status", "UP")));
    }

    private void page(Context ctx) {
        ctx.contentType("text/html; charset=utf-8")
                .header("Cache-Control", "no-cache")
                .header("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
                .result(page);
    }

    /**
     * The page's files (its own two, and the charts' library), read once: Javalin's static files would mount the whole jar as a file
     * system at start-up (a good part of a cold start) to serve them.
     */
    private void pageFile(Context ctx) {
        String name = ctx.pathParam("file");
        byte[] file = pageFiles.get(name);
        if (file == null) {
            throw new NotFoundResponse("No such file: " + ctx.path());
        }
        ctx.header("Cache-Control", "no-cache")
                .contentType((name.endsWith(".js") ? "text/javascript" : "text/css") + "; charset=utf-8")
                .result(file);
    }
}

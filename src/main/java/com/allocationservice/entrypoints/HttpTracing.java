package com.allocationservice.entrypoints;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * A server span for every request, continuing the trace of its {@code traceparent} header (the
 * propagators OTEL_PROPAGATORS names), current on the request's thread while it is handled, so the
 * bus's spans are its children. Named by the matched route ({@code POST /allocate}) once it is known,
 * with the status code. Installed only when tracing is on: with it off no filter runs.
 */
final class HttpTracing {

    private static final String SPAN = "allocation.trace.span";
    private static final String SCOPE = "allocation.trace.scope";
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private static final TextMapGetter<Context> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Context ctx) {
            return ctx.headerMap().keySet();
        }

        @Override
        public String get(Context ctx, String name) {
            return ctx == null ? null : ctx.header(name);
        }
    };

    private HttpTracing() {
    }

    /** Starts the span in the first before-filter; ends it when the request is answered (a request logger). */
    static void add(JavalinConfig config, OpenTelemetry openTelemetry) {
        Tracer tracer = openTelemetry.getTracer("com.allocationservice");
        TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
        config.routes.before(ctx -> {
            Span span = tracer.spanBuilder(ctx.method().name()).setSpanKind(SpanKind.SERVER)
                    .setParent(propagator.extract(io.opentelemetry.context.Context.root(), ctx, HEADERS))
                    .setAttribute(METHOD, ctx.method().name()).setAttribute(PATH, ctx.path()).startSpan();
            ctx.attribute(SPAN, span);
            ctx.attribute(SCOPE, span.makeCurrent());
        });
        config.requestLogger.http((ctx, millis) -> end(ctx));
    }

    private static void end(Context ctx) {
        Span span = ctx.attribute(SPAN);
        if (span == null) {
            return;
        }
        Scope scope = ctx.attribute(SCOPE);
        scope.close();
        Endpoint route = ctx.endpoints().matchedHttpEndpoint();
        if (route != null) {
            span.updateName(ctx.method().name() + " " + route.path);
            span.setAttribute(ROUTE, route.path);
        }
        span.setAttribute(STATUS, (long) ctx.statusCode());
        if (ctx.statusCode() >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }
}

package com.allocationservice.adapters;

import com.allocationservice.service.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.sql.SQLException;
import java.util.List;

/**
 * The bus's {@link Tracing} over OpenTelemetry, and the spans of the unit of work's SQL round trips.
 * Built only when tracing is on: with it off, the bus has {@link Tracing#OFF} and the unit of work no
 * instance of this, so neither does any tracing work.
 */
public final class OpenTelemetryTracing implements Tracing {

    static final AttributeKey<Long> GROUP_SIZE = AttributeKey.longKey("allocation.group.size");
    private static final AttributeKey<String> DB_SYSTEM = AttributeKey.stringKey("db.system.name");

    private final Tracer tracer;

    public OpenTelemetryTracing(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("com.allocationservice");
    }

    /** A span of ours, with the scope that made it current (if it was made current). */
    private record Started(io.opentelemetry.api.trace.Span span, Scope scope) implements Tracing.Span {
        @Override
        public void end() {
            if (scope != null) {
                scope.close();
            }
            span.end();
        }
    }

    @Override
    public Tracing.Span startWait() {
        return new Started(tracer.spanBuilder("commit group wait").startSpan(), null);
    }

    @Override
    public Tracing.Span startGroup(Tracing.Span leader, List<Tracing.Span> others) {
        var builder = tracer.spanBuilder("commit group")
                .setParent(Context.current().with(((Started) leader).span()))
                .setAttribute(GROUP_SIZE, (long) others.size() + 1);
        for (Tracing.Span other : others) {
            io.opentelemetry.api.trace.Span span = ((Started) other).span();
            if (span.getSpanContext().isSampled()) {
                builder.addLink(span.getSpanContext());
            }
        }
        io.opentelemetry.api.trace.Span span = builder.startSpan();
        return new Started(span, span.makeCurrent());
    }

    /** A JDBC round trip. */
    @FunctionalInterface
    interface Sql<T> {
        T run() throws SQLException;
    }

    /** Runs the round trip in a client span of this name, a child of the current span; without tracing, just runs it. */
    static <T> T sql(OpenTelemetryTracing tracing, String name, Sql<T> body) throws SQLException {
        return tracing == null ? body.run() : tracing.sql(name, body);
    }

    private <T> T sql(String name, Sql<T> body) throws SQLException {
        io.opentelemetry.api.trace.Span span = tracer.spanBuilder(name).setSpanKind(SpanKind.CLIENT)
                .setAttribute(DB_SYSTEM, "sql").startSpan();
        try {
            return body.run();
        } catch (SQLException | RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.toString());
            throw e;
        } finally {
            span.end();
        }
    }

    /** The W3C {@code traceparent} of the current span, or null when there is none. */
    static String currentTraceparent() {
        String[] traceparent = new String[1];
        W3CTraceContextPropagator.getInstance().inject(Context.current(), traceparent, (carrier, key, value) -> {
            if (key.equals("traceparent")) {
                carrier[0] = value;
            }
        });
        return traceparent[0];
    }
}

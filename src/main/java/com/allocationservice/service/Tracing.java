package com.allocationservice.service;

import java.util.List;

/**
 * Traces of the bus's work (implemented over OpenTelemetry in adapters): a span for each command's wait
 * for its group and one for each group's run. {@link #OFF} records nothing and costs nothing: the bus
 * asks it for no span, builds no list of links.
 */
public interface Tracing {

    /** Tracing is off: the bus does no tracing work at all. */
    Tracing OFF = new Tracing() {
        @Override
        public Span startWait() {
            return null;
        }

        @Override
        public Span startGroup(Span leader, List<Span> others) {
            return null;
        }
    };

    /** A span being recorded. */
    interface Span {
        void end();
    }

    /** Starts the span of a command waiting for its group's result, in the trace of the caller's thread. */
    Span startWait();

    /**
     * Starts the span of a group's run, child of the leader's wait span and linked to the wait spans of
     * the other commands (which belong to other traces), the group's size an attribute; it is the
     * current span on this thread until it ends, so the unit of work's spans are its children.
     */
    Span startGroup(Span leader, List<Span> others);
}

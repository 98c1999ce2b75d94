package com.allocationservice.entrypoints;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP/1 connection whose request head (request line and headers) is not complete within
 * the deadline: a client that sends a header byte a second would otherwise hold its connection for
 * as long as it likes, since Jetty's idle timeout starts again at every byte, and a few thousand such
 * clients hold every connection. A connection's first head is timed from its opening; a later one,
 * on a kept-alive connection, from when its first byte is seen (between requests, the idle timeout
 * applies). Jetty 12 has no such timeout of its own; this reads each connection's parser state (a
 * volatile field) and count of request heads on a sweep every quarter of the deadline, so a head is
 * cut off between one and one and a quarter deadlines after it began. Added to the connector as a bean: it hears every connection open and
 * close, and starts and stops with the connector.
 */
final class HeaderDeadline extends AbstractLifeCycle implements Connection.Listener {

    private static final Logger log = LoggerFactory.getLogger(HeaderDeadline.class);

    private final long deadlineNanos;
    private final long sweepMillis;
    private final Scheduler scheduler;
    /** Every open HTTP/1 connection, and when its current request head began (0: none is being read). */
    private final Map<HttpConnection, Long> open = new ConcurrentHashMap<>();
    private volatile Scheduler.Task next;

    HeaderDeadline(Duration deadline, Scheduler scheduler) {
        this.deadlineNanos = deadline.toNanos();
        this.sweepMillis = Math.max(10, deadline.toMillis() / 4);
        this.scheduler = scheduler;
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.put(http, System.nanoTime());
        }
    }

    @Override
    public void onClosed(Connection connection) {
        if (connection instanceof HttpConnection http) {
            open.remove(http);
        }
    }

    @Override
    protected void doStart() {
        next = scheduler.schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        Scheduler.Task task = next;
        if (task != null) {
            task.cancel();
        }
        open.clear();
    }

    private void sweep() {
        long now = System.nanoTime();
        List<HttpConnection> late = new ArrayList<>();
        try {
            open.replaceAll((connection, began) -> {
                if (!readingHead(connection)) {
                    return 0L;
                }
                long since = began == 0L ? now : began;
                if (now - since > deadlineNanos) {
                    late.add(connection);
                }
                return since;
            });
            for (HttpConnection connection : late) {
                log.debug("Closing {}: no whole request head within {} ms", connection, deadlineNanos / 1_000_000);
                connection.getEndPoint().close();
            }
        } catch (RuntimeException e) {
            log.warn("The request-head deadline's sweep failed", e);
        }
        if (isRunning()) {
            next = scheduler.schedule(this::sweep, sweepMillis, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Whether the connection is waiting for (the rest of) a request head: its parser is within one, or
     * it has not had a whole request yet (a new connection that has sent nothing is still waiting).
     */
    private static boolean readingHead(HttpConnection connection) {
        HttpParser parser = connection.getParser();
        // inHeaderState() includes START, which is also a kept-alive connection's rest between requests
        return parser.isStart() ? connection.getMessagesIn() == 0 : parser.inHeaderState();
    }
}

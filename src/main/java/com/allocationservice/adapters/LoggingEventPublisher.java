package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher of a deployment with no Redis: the outbox still drains, and nothing is published.
 * Each message is logged at DEBUG (its pub/sub copy; the stream copy is dropped silently); at INFO,
 * one line counts them: at the first message, then at most once per interval (a minute unless
 * told), so a busy service does not write a line per message.
 */
public final class LoggingEventPublisher implements EventPublisher {

    private static final Logger log = LoggerFactory.getLogger(LoggingEventPublisher.class);

    private final long intervalNanos;
    private long unlogged;
    private Instant since;
    private long lastInfo;

    public LoggingEventPublisher() {
        this(Duration.ofMinutes(1));
    }

    public LoggingEventPublisher(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    @Override
    public synchronized List<String> publish(List<Outgoing> messages) {
        for (Outgoing message : messages) {
            if (message.via() == Via.PUBSUB) {
                log.debug("No Redis configured; would publish on {}: {}", message.channel(), message.json());
                if (unlogged++ == 0) {
                    since = Instant.now();
                }
            }
        }
        long now = System.nanoTime();
        if (unlogged > 0 && (lastInfo == 0 || now - lastInfo >= intervalNanos)) {
            log.info("No Redis configured: {} message(s) since {} not published (each is logged at DEBUG by {})",
                    unlogged, since, LoggingEventPublisher.class.getName());
            unlogged = 0;
            lastInfo = now == 0 ? 1 : now;
        }
        return Arrays.asList(new String[messages.size()]);
    }
}

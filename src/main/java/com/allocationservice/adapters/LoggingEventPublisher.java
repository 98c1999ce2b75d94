package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The publisher of a deployment with no Redis: each message is logged once (its pub/sub copy; the
 * stream copy is dropped silently), so the outbox still drains.
 */
public final class LoggingEventPublisher implements EventPublisher {

    private static final Logger log = LoggerFactory.getLogger(LoggingEventPublisher.class);

    @Override
    public List<String> publish(List<Outgoing> messages) {
        for (Outgoing message : messages) {
            if (message.via() == Via.PUBSUB) {
                log.info("No Redis configured; would publish on {}: {}", message.channel(), message.json());
            }
        }
        return Arrays.asList(new String[messages.size()]);
    }
}

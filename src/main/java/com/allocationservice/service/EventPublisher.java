package com.allocationservice.service;

import java.util.List;

/**
 * Sends messages to other services (the book's chapter 11 {@code redis_eventpublisher}). The relay
 * calls it after the messages committed to the outbox, so a failure only delays them: it must throw
 * unless every message was handed over, and may then be given the same messages again.
 */
public interface EventPublisher {

    /** One message: its id (for consumers to deduplicate), the channel named after its type, its JSON. */
    record Outgoing(String id, String channel, String json) {
    }

    void publish(List<Outgoing> messages);
}

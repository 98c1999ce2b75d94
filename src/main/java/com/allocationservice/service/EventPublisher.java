package com.allocationservice.service;

import java.util.List;

/**
 * Sends messages to other services (the book's chapter 11 {@code redis_eventpublisher}). The relay
 * calls it after the messages committed to the outbox, so a failure only delays them. Unlike the
 * book's, it reports per message: a destination that answers and refuses one message fails that
 * message alone, and a destination that cannot be reached throws (the relay may then give it the
 * same messages again).
 */
public interface EventPublisher {

    /** Where a message goes: the pub/sub channel named after its type, or the stream of that name. */
    enum Via { PUBSUB, STREAM }

    /**
     * One message: its id (for consumers to deduplicate), the channel named after its type, its JSON,
     * and the W3C traceparent of the trace that caused it (null: none).
     */
    record Outgoing(String id, Via via, String channel, String json, String traceparent) {
        public Outgoing(String id, Via via, String channel, String json) {
            this(id, via, channel, json, null);
        }
    }

    /**
     * Hands the messages over in order. Returns, in the same positions, null for each message
     * delivered and the destination's error for each it refused; throws when the destination could
     * not be reached (some may then have been delivered, and will be again).
     */
    List<String> publish(List<Outgoing> messages);
}

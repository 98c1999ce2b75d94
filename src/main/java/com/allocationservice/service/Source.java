package com.allocationservice.service;

import java.util.Objects;

/**
 * Where a command came from, for the order lines' history: its channel ({@code http}, {@code stream},
 * {@code pubsub}, or {@code internal} for commands the service sends itself) and what names the sender
 * there: the API token's name (null without named tokens; never the token), the stream entry id, the
 * pub/sub message's id (null when it has none). The entrypoint that reads the command makes it and
 * hands it to the bus with the command; the domain never sees it.
 */
public record Source(String channel, String id) {

    /** Commands the service sends itself, and those handed to the bus without a source (tests). */
    public static final Source INTERNAL = new Source("internal", null);

    public Source {
        Objects.requireNonNull(channel, "channel");
    }

    public static Source http(String tokenName) {
        return new Source("http", tokenName);
    }

    public static Source stream(String entryId) {
        return new Source("stream", Objects.requireNonNull(entryId, "entryId"));
    }

    public static Source pubSub(String messageId) {
        return new Source("pubsub", messageId);
    }
}

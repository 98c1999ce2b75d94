package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import com.allocationservice.service.EventPublisher.Outgoing;
import com.allocationservice.service.EventPublisher.Via;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Redis rows: {@code pubsub} (the channel) and {@code stream} rows, up to 1,000 (500 messages)
 * a round in one pipeline. The two rows of a message succeed or fail apart, so a refused stream append is retried
 * without publishing the message on its channel again, and the other way round.
 */
public final class RedisDestination implements OutboxDestination {

    private static final int BATCH = 1000;

    private final EventPublisher publisher;

    public RedisDestination(EventPublisher publisher) {
        this.publisher = Objects.requireNonNull(publisher);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public List<String> rows() {
        return List.of(JdbcOutbox.PUBSUB, JdbcOutbox.STREAM);
    }

    @Override
    public int batchSize() {
        return BATCH;
    }

    @Override
    public Outcome deliver(Connection connection, List<JdbcOutbox.Row> rows) {
        List<Outgoing> messages = new ArrayList<>(rows.size());
        for (JdbcOutbox.Row row : rows) {
            Via via = row.destination().equals(JdbcOutbox.STREAM) ? Via.STREAM : Via.PUBSUB;
            messages.add(new Outgoing(row.messageId(), via, row.type(), row.payload(), row.traceparent()));
        }
        List<String> errors;
        try {
            errors = publisher.publish(messages);
        } catch (RuntimeException e) {
            return new Outcome(List.of(), Map.of(), e);
        }
        List<JdbcOutbox.Row> delivered = new ArrayList<>(rows.size());
        Map<JdbcOutbox.Row, String> refused = new LinkedHashMap<>();
        for (int i = 0; i < rows.size(); i++) {
            if (errors.get(i) == null) {
                delivered.add(rows.get(i));
            } else {
                refused.put(rows.get(i), errors.get(i));
            }
        }
        return new Outcome(delivered, refused, null);
    }

    @Override
    public String toString() {
        return "RedisDestination[" + publisher + "]";
    }
}

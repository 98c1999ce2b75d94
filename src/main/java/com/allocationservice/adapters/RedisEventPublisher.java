package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAddParams;

/**
 * Publishes each message on the Redis pub/sub channel named after its type (the book's consumers
 * subscribe there; delivery is at most once) or appends it to the stream of the same name, the JSON
 * in the field {@code data}, trimmed to about a million entries (durable, for consumers that read
 * from where they left off). A batch goes out in one pipeline; an error reply (a refused command:
 * no permission, a key of the wrong type) fails its message only.
 */
public final class RedisEventPublisher implements EventPublisher, AutoCloseable {

    static final long STREAM_MAX_LENGTH = 1_000_000;

    private final RedisClient redis;

    /** Takes over the client (built by {@code RedisClients}) and closes it. */
    public RedisEventPublisher(RedisClient redis) {
        this.redis = redis;
    }

    @Override
    public List<String> publish(List<Outgoing> messages) {
        List<Response<?>> responses = new ArrayList<>(messages.size());
        if (!messages.isEmpty()) {
            try (AbstractPipeline pipeline = redis.pipelined()) {
                for (Outgoing message : messages) {
                    responses.add(switch (message.via()) {
                        case PUBSUB -> pipeline.publish(message.channel(), message.json());
                        case STREAM -> pipeline.xadd(message.channel(),
                                XAddParams.xAddParams().maxLen(STREAM_MAX_LENGTH).approximateTrimming(),
                                Map.of("data", message.json()));
                    });
                }
                pipeline.sync();
            }
        }
        List<String> errors = new ArrayList<>(messages.size());
        for (Response<?> response : responses) {
            try {
                response.get();
                errors.add(null);
            } catch (JedisDataException refused) {
                errors.add(refused.getMessage() == null ? refused.toString() : refused.getMessage());
            }
        }
        return errors;
    }

    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisEventPublisher";
    }
}

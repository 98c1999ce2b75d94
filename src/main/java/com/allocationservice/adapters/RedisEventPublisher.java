package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.Response;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/**
 * Publishes each message on the Redis pub/sub channel named after its type (the book's consumers
 * subscribe there; delivery is at most once) and appends it to the stream of the same name, the JSON
 * in the field {@code data}, trimmed to about a million entries (durable, for consumers that read
 * from where they left off). A batch goes out in one pipeline.
 */
public final class RedisEventPublisher implements EventPublisher, AutoCloseable {

    static final long STREAM_MAX_LENGTH = 1_000_000;

    private final RedisClient redis;

    public RedisEventPublisher(URI url) {
        this.redis = RedisClient.create(url);
    }

    @Override
    public void publish(List<Outgoing> messages) {
        if (messages.isEmpty()) {
            return;
        }
        List<Response<StreamEntryID>> appended = new ArrayList<>(messages.size());
        try (AbstractPipeline pipeline = redis.pipelined()) {
            for (Outgoing message : messages) {
                pipeline.publish(message.channel(), message.json());
                appended.add(pipeline.xadd(message.channel(),
                        XAddParams.xAddParams().maxLen(STREAM_MAX_LENGTH).approximateTrimming(),
                        Map.of("data", message.json())));
            }
            pipeline.sync();
        }
        appended.forEach(Response::get);
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

package com.allocationservice.entrypoints;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;

/** Sets messages aside in {@value RedisConsumer#DEAD_LETTER_STREAM}, with what went wrong, where an operator can read them. */
final class DeadLetters {

    private final UnifiedJedis redis;
    private final AtomicLong count = new AtomicLong();

    DeadLetters(UnifiedJedis redis) {
        this.redis = redis;
    }

    void add(String data, String error, String source, String originalId) {
        Map<String, String> fields = new HashMap<>();
        fields.put("data", data == null ? "" : data);
        fields.put("error", error == null ? "" : error);
        fields.put("source", source);
        fields.put("original_id", originalId == null ? "" : originalId);
        redis.xadd(RedisConsumer.DEAD_LETTER_STREAM, XAddParams.xAddParams(), fields);
        count.incrementAndGet();
    }

    long count() {
        return count.get();
    }
}

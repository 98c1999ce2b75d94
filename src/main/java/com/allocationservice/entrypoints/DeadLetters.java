package com.allocationservice.entrypoints;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * Sets messages aside in {@value RedisConsumer#DEAD_LETTER_STREAM}, with what went wrong, where an
 * operator can read them, replay them to {@value RedisConsumer#STREAM} or delete them.
 */
final class DeadLetters {

    /** One dead letter: its entry id, when it was set aside, and its fields as written by {@link #add}. */
    record Letter(String id, String deadAt, long ageSeconds, String error, String source, String originalId, String data) {
    }

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

    /** Up to {@code limit} dead letters after the entry id {@code after} (null: from the first), oldest first. */
    List<Letter> list(StreamEntryID after, int limit) {
        String start = after == null ? "-" : "(" + after;
        return redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, start, "+", limit).stream().map(DeadLetters::letter).toList();
    }

    Optional<Letter> get(StreamEntryID id) {
        return redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, id, id, 1).stream().map(DeadLetters::letter).findFirst();
    }

    /**
     * Adds the letter's data, as received, to {@value RedisConsumer#STREAM} (a new entry, so it is the
     * newest change for its batch), then deletes the letter; the new entry's id. The data keeps its
     * {@code id} field, so a message replayed twice (two operators at once, or a retry after the
     * {@code XDEL} failed) is applied once: the consumer's inbox remembers the id.
     */
    StreamEntryID replay(Letter letter) {
        StreamEntryID added = redis.xadd(RedisConsumer.STREAM, XAddParams.xAddParams(), Map.of("data", letter.data()));
        redis.xdel(RedisConsumer.DEAD_LETTER_STREAM, new StreamEntryID(letter.id()));
        return added;
    }

    /** Deletes the letter; false when it was gone already. */
    boolean discard(StreamEntryID id) {
        return redis.xdel(RedisConsumer.DEAD_LETTER_STREAM, id) == 1;
    }

    private static Letter letter(StreamEntry entry) {
        Map<String, String> fields = entry.getFields();
        Instant at = Instant.ofEpochMilli(entry.getID().getTime());
        long age = Math.max(0, Duration.between(at, Instant.now()).toSeconds());
        return new Letter(entry.getID().toString(), at.toString(), age,
                fields.get("error"), fields.get("source"), blankAsNull(fields.get("original_id")), fields.get("data"));
    }

    private static String blankAsNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }
}

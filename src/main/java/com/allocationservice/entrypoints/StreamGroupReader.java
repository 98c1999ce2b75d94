package com.allocationservice.entrypoints;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XPendingParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;
import redis.clients.jedis.resps.StreamPendingEntry;

/**
 * Reads the stream {@value RedisConsumer#STREAM} through the consumer group {@value RedisConsumer#GROUP}:
 * new entries, and every {@code claimIdle / 4} the entries pending longer than {@code claimIdle} (their
 * consumer died, or their handling failed), which it takes over with {@code XAUTOCLAIM}. An entry is
 * acknowledged once handled or dead-lettered. The group's delivery count caps the attempts: an entry
 * whose handling fails on its {@code maxDeliveries}-th delivery, or that is claimed after that many
 * deliveries, is dead-lettered with its error and acknowledged, so nothing is retried forever.
 */
final class StreamGroupReader {

    private static final Logger log = LoggerFactory.getLogger(StreamGroupReader.class);
    private static final StreamEntryID START = new StreamEntryID(0, 0);

    private final RedisConsumer consumer;
    private final UnifiedJedis redis;
    private final RedisConsumer.Options options;

    StreamGroupReader(RedisConsumer consumer, UnifiedJedis redis, RedisConsumer.Options options) {
        this.consumer = consumer;
        this.redis = redis;
        this.options = options;
    }

    void run() {
        int failedInARow = 0;
        boolean groupReady = false;
        long nextClaim = System.nanoTime();
        XReadGroupParams read = XReadGroupParams.xReadGroupParams().count(10).block((int) options.block().toMillis());
        while (!consumer.stopped()) {
            try {
                if (!groupReady) {
                    createGroup();
                    groupReady = true;
                }
                if (System.nanoTime() - nextClaim >= 0) {
                    claimStale();
                    nextClaim = System.nanoTime() + options.claimIdle().toNanos() / 4;
                }
                List<Map.Entry<String, List<StreamEntry>>> batches = redis.xreadGroup(RedisConsumer.GROUP,
                        options.consumerName(), read,
                        Map.of(RedisConsumer.STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
                failedInARow = 0;
                if (batches != null) {
                    for (Map.Entry<String, List<StreamEntry>> batch : batches) {
                        for (StreamEntry entry : batch.getValue()) {
                            process(entry, 1);
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (consumer.stopped()) {
                    break;
                }
                groupReady = false;
                consumer.countFailure(e);
                Duration pause = options.reconnect().delay(failedInARow++);
                log.warn("Reading stream {} failed, retrying in {} ms: {}", RedisConsumer.STREAM, pause.toMillis(),
                        e.toString());
                consumer.pauseFor(pause);
            }
        }
    }

    /** Creates the group (and the stream) unless it exists; a new group starts at the stream's first entry. */
    private void createGroup() {
        try {
            redis.xgroupCreate(RedisConsumer.STREAM, RedisConsumer.GROUP, START, true);
            log.info("Created consumer group {} on stream {}", RedisConsumer.GROUP, RedisConsumer.STREAM);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** Takes over entries pending longer than the claim idle time, and handles them with their delivery counts. */
    private void claimStale() {
        StreamEntryID cursor = START;
        do {
            Map.Entry<StreamEntryID, List<StreamEntry>> claimed = redis.xautoclaim(RedisConsumer.STREAM,
                    RedisConsumer.GROUP, options.consumerName(), options.claimIdle().toMillis(), cursor,
                    XAutoClaimParams.xAutoClaimParams().count(50));
            List<StreamEntry> entries = claimed.getValue();
            Map<StreamEntryID, Long> deliveries = deliveries(entries);
            for (StreamEntry entry : entries) {
                if (consumer.stopped()) {
                    return;
                }
                long delivered = deliveries.getOrDefault(entry.getID(), 1L);
                log.info("Claimed stream entry {} left pending (delivery {})", entry.getID(), delivered);
                process(entry, delivered);
            }
            cursor = claimed.getKey();
        } while (!cursor.equals(START) && !consumer.stopped());
    }

    /** The group's delivery count of each entry this consumer just claimed (one exact look-up each; claims are rare). */
    private Map<StreamEntryID, Long> deliveries(List<StreamEntry> claimed) {
        Map<StreamEntryID, Long> counts = new HashMap<>();
        for (StreamEntry entry : claimed) {
            List<StreamPendingEntry> pending = redis.xpending(RedisConsumer.STREAM, RedisConsumer.GROUP,
                    XPendingParams.xPendingParams(entry.getID(), entry.getID(), 1));
            pending.forEach(p -> counts.put(p.getID(), p.getDeliveredTimes()));
        }
        return counts;
    }

    private void process(StreamEntry entry, long delivered) {
        String data = entry.getFields() == null ? null : entry.getFields().get("data");
        String id = entry.getID().toString();
        int cap = options.maxDeliveries();
        if (delivered > cap) {
            log.error("Stream entry {} was delivered {} times without success; setting it aside", id, delivered);
            consumer.deadLetters().add(data, "delivered " + delivered + " times without success (limit " + cap + ")",
                    "stream", id);
        } else {
            RedisConsumer.Outcome outcome = consumer.handle(data, "stream", entry.getID(),
                    entry.getFields() == null ? null : entry.getFields().get("traceparent"));
            if (!outcome.done()) {
                if (delivered < cap) {
                    log.warn("Handling stream entry {} failed (delivery {} of {}); it stays pending and will be "
                            + "retried: {}", id, delivered, cap, outcome.failure());
                    return;
                }
                log.error("Handling stream entry {} failed on its last delivery ({} of {}); setting it aside: {}", id,
                        delivered, cap, outcome.failure());
                consumer.deadLetters().add(data, outcome.failure() + " (failed on delivery " + delivered + " of "
                        + cap + ")", "stream", id);
            }
        }
        redis.xack(RedisConsumer.STREAM, RedisConsumer.GROUP, entry.getID());
    }
}

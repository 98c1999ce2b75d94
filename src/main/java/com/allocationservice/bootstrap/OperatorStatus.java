package com.allocationservice.bootstrap;

import com.allocationservice.adapters.RedisEventPublisher;
import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.views.Views;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.resps.StreamGroupInfo;

/**
 * What {@code GET /status} answers, for the operators' page: the database, Redis, the outbox backlog
 * and parked rows, and the dead letters, in one JSON object; with {@code ALLOCATION_REDIS_MIN_REPLICAS}
 * above 0, also how many replicas confirmed the relay's last batch ({@code redis_replicas}: confirmed,
 * null before the first batch, and wanted). Each part is checked on a virtual thread
 * of its own, all waited for together up to 1.2 s (the database check gives up at 1 s), so the answer
 * comes within about a second whatever a server does: a part that did not answer in time is
 * {@code DOWN}, its count null.
 */
final class OperatorStatus implements Supplier<Map<String, Object>> {

    private static final Duration WAIT = Duration.ofMillis(1200);

    private final Views views;
    private final UnifiedJedis redis;
    private final RedisEventPublisher publisher;

    /** {@code redis} null: no Redis configured; {@code publisher} null: no replica confirmations asked for. */
    OperatorStatus(Views views, UnifiedJedis redis, RedisEventPublisher publisher) {
        this.views = views;
        this.redis = redis;
        this.publisher = publisher;
    }

    @Override
    public Map<String, Object> get() {
        return read(false);
    }

    /**
     * The status with, besides, {@code stream_lag}: the entries of the stream {@value RedisConsumer#STREAM}
     * not yet delivered to the consumer group (Redis's {@code XINFO GROUPS} lag; null without Redis, before
     * the group exists, or when Redis cannot tell). For the charts' sampler only: one more round trip.
     */
    Map<String, Object> withStreamLag() {
        return read(true);
    }

    private Map<String, Object> read(boolean streamLag) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        CompletableFuture<Boolean> database = check(views::databaseAnswers);
        CompletableFuture<Views.Outbox> outbox = check(views::outbox);
        CompletableFuture<String> redisPing = redis == null ? null : check(redis::ping);
        CompletableFuture<Long> deadLetters = redis == null ? null
                : check(() -> redis.xlen(RedisConsumer.DEAD_LETTER_STREAM));
        CompletableFuture<Long> lag = redis == null || !streamLag ? null : check(this::streamLag);

        Map<String, Object> status = new LinkedHashMap<>();
        status.put("database", Boolean.TRUE.equals(await(database, deadline)) ? "UP" : "DOWN");
        status.put("redis", redis == null ? "NOT_CONFIGURED" : "PONG".equals(await(redisPing, deadline)) ? "UP" : "DOWN");
        Views.Outbox counts = await(outbox, deadline);
        status.put("outbox_backlog", counts == null ? null : counts.backlog());
        status.put("outbox_parked", counts == null ? null : counts.parked());
        status.put("dead_letters", redis == null ? null : await(deadLetters, deadline));
        if (streamLag) {
            status.put("stream_lag", redis == null ? null : await(lag, deadline));
        }
        if (publisher != null) {
            Map<String, Object> replicas = new LinkedHashMap<>();
            long confirmed = publisher.confirmedReplicas();
            replicas.put("confirmed", confirmed < 0 ? null : confirmed);
            replicas.put("wanted", publisher.minReplicas());
            status.put("redis_replicas", replicas);
        }
        return status;
    }

    private Long streamLag() {
        if (!redis.exists(RedisConsumer.STREAM)) {
            return 0L;   // nothing sent yet: nothing waits
        }
        for (StreamGroupInfo group : redis.xinfoGroups(RedisConsumer.STREAM)) {
            if (RedisConsumer.GROUP.equals(group.getName())) {
                return group.getGroupInfo().get("lag") instanceof Long lag ? lag : null;
            }
        }
        return null;   // no consumer has read yet
    }

    private static <T> CompletableFuture<T> check(Callable<T> check) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofVirtual().name("status-check").start(() -> {
            try {
                result.complete(check.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /** The check's answer, or null when it failed or is still running at the deadline (it ends on its own timeouts). */
    private static <T> T await(CompletableFuture<T> check, long deadline) {
        try {
            return check.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}

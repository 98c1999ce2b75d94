package com.allocationservice.bootstrap;

import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.views.Views;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import redis.clients.jedis.RedisClient;

/**
 * What {@code GET /status} answers, for the operators' page: the database, Redis, the outbox backlog
 * and parked rows, and the dead letters, in one JSON object. Each part is checked on a virtual thread
 * of its own, all waited for together up to 1.2 s (the database check gives up at 1 s), so the answer
 * comes within about a second whatever a server does: a part that did not answer in time is
 * {@code DOWN}, its count null.
 */
final class OperatorStatus implements Supplier<Map<String, Object>> {

    private static final Duration WAIT = Duration.ofMillis(1200);

    private final Views views;
    private final RedisClient redis;

    /** {@code redis} null: no Redis configured. */
    OperatorStatus(Views views, RedisClient redis) {
        this.views = views;
        this.redis = redis;
    }

    @Override
    public Map<String, Object> get() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        CompletableFuture<Boolean> database = check(views::databaseAnswers);
        CompletableFuture<Views.Outbox> outbox = check(views::outbox);
        CompletableFuture<String> redisPing = redis == null ? null : check(redis::ping);
        CompletableFuture<Long> deadLetters = redis == null ? null
                : check(() -> redis.xlen(RedisConsumer.DEAD_LETTER_STREAM));

        Map<String, Object> status = new LinkedHashMap<>();
        status.put("database", Boolean.TRUE.equals(await(database, deadline)) ? "UP" : "DOWN");
        status.put("redis", redis == null ? "NOT_CONFIGURED" : "PONG".equals(await(redisPing, deadline)) ? "UP" : "DOWN");
        Views.Outbox counts = await(outbox, deadline);
        status.put("outbox_backlog", counts == null ? null : counts.backlog());
        status.put("outbox_parked", counts == null ? null : counts.parked());
        status.put("dead_letters", redis == null ? null : await(deadLetters, deadline));
        return status;
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

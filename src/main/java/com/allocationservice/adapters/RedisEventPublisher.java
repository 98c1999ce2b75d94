package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

/**
 * Publishes each message on the Redis pub/sub channel named after its type (the book's consumers
 * subscribe there; delivery is at most once) or appends it to the stream of the same name, the JSON
 * in the field {@code data} (and the trace's W3C context in the field {@code traceparent}, when the
 * message has one), trimmed to about a million entries (durable, for consumers that read
 * from where they left off). A batch goes out in one pipeline; an error reply (a refused command:
 * no permission, a key of the wrong type) fails its message only.
 *
 * <p>Errors that say the server cannot take writes now ({@code READONLY}: it was the primary and is a
 * replica since a failover; {@code NOREPLICAS}, {@code MASTERDOWN}, {@code LOADING}, {@code BUSY},
 * {@code TRYAGAIN}) are an outage, not a refusal: the whole batch fails, to be retried, and no
 * message counts an attempt for them.
 *
 * <p>With {@code minReplicas} above 0 the pipeline ends with {@code WAIT minReplicas waitTimeout}
 * on the same connection: fewer replicas confirming the batch's writes within the timeout is an
 * outage too ({@link ReplicasShort}), so the outbox keeps the batch until replicas confirm a retry
 * (Redis's asynchronous replication would otherwise lose it with the primary).
 */
public final class RedisEventPublisher implements EventPublisher, AutoCloseable {

    static final long STREAM_MAX_LENGTH = 1_000_000;

    /** Error replies that say the server cannot take writes now: the batch is retried whole, no attempt counted. */
    private static final List<String> NOT_WRITABLE_NOW = List.of("READONLY", "NOREPLICAS", "MASTERDOWN", "LOADING",
            "BUSY", "TRYAGAIN");

    /** Fewer replicas than asked for confirmed a batch: an outage, the batch's rows stay for the next round. */
    public static final class ReplicasShort extends JedisException {
        ReplicasShort(long confirmed, int wanted, Duration timeout) {
            super(confirmed + " of " + wanted + " replicas confirmed the messages within " + timeout.toMillis()
                    + " ms (WAIT)");
        }
    }

    private final UnifiedJedis redis;
    private final int minReplicas;
    private final Duration waitTimeout;
    private final AtomicLong shortWaits = new AtomicLong();
    private volatile long confirmedReplicas = -1;

    /** Takes over the client (built by {@code RedisClients}) and closes it; asks no replica to confirm. */
    public RedisEventPublisher(UnifiedJedis redis) {
        this(redis, 0, Duration.ZERO);
    }

    /** Takes over the client and closes it; each batch waits up to {@code waitTimeout} for {@code minReplicas}. */
    public RedisEventPublisher(UnifiedJedis redis, int minReplicas, Duration waitTimeout) {
        if (minReplicas < 0) {
            throw new IllegalArgumentException("minReplicas must be 0 or more, was " + minReplicas);
        }
        if (minReplicas > 0 && waitTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("waitTimeout must be 1 ms or more (WAIT 0 waits for ever), was "
                    + waitTimeout);
        }
        this.redis = redis;
        this.minReplicas = minReplicas;
        this.waitTimeout = waitTimeout;
    }

    @Override
    public List<String> publish(List<Outgoing> messages) {
        List<Response<?>> responses = new ArrayList<>(messages.size());
        Response<Object> wait = null;
        if (!messages.isEmpty()) {
            try (AbstractPipeline pipeline = redis.pipelined()) {
                for (Outgoing message : messages) {
                    responses.add(switch (message.via()) {
                        case PUBSUB -> pipeline.publish(message.channel(), message.json());
                        case STREAM -> pipeline.xadd(message.channel(),
                                XAddParams.xAddParams().maxLen(STREAM_MAX_LENGTH).approximateTrimming(),
                                message.traceparent() == null ? Map.of("data", message.json())
                                        : Map.of("data", message.json(), "traceparent", message.traceparent()));
                    });
                }
                if (minReplicas > 0) {
                    wait = pipeline.sendCommand(Protocol.Command.WAIT, Integer.toString(minReplicas),
                            Long.toString(waitTimeout.toMillis()));
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
                String error = refused.getMessage() == null ? refused.toString() : refused.getMessage();
                if (NOT_WRITABLE_NOW.stream().anyMatch(error::startsWith)) {
                    throw refused;
                }
                errors.add(error);
            }
        }
        if (wait != null) {
            long confirmed = (Long) wait.get();
            confirmedReplicas = confirmed;
            if (confirmed < minReplicas) {
                shortWaits.incrementAndGet();
                throw new ReplicasShort(confirmed, minReplicas, waitTimeout);
            }
        }
        return errors;
    }

    /** The replicas each batch must be confirmed by (0: none asked for). */
    public int minReplicas() {
        return minReplicas;
    }

    /** How many replicas confirmed the last batch, or -1 before the first (or when none are asked for). */
    public long confirmedReplicas() {
        return confirmedReplicas;
    }

    /** Batches fewer than {@link #minReplicas} replicas confirmed, kept in the outbox for a retry. */
    public long shortWaits() {
        return shortWaits.get();
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

package com.allocationservice.entrypoints;

import com.allocationservice.config.RedisClients;
import com.allocationservice.config.RedisUrl;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.Outcome.Done;
import com.allocationservice.domain.Outcome.QuantityChange;
import com.allocationservice.domain.Outcome.Superseded;
import com.allocationservice.service.Backoff;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.Source;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * The book's {@code redis_eventconsumer}, made durable: {@code change_batch_quantity} messages become
 * {@link ChangeBatchQuantity} commands, from the pub/sub channel (at most once, as the book's
 * producers send them; {@link PubSubListener}) and from the stream of the same name read through the
 * consumer group {@value #GROUP} (at least once, with a delivery cap; {@link StreamGroupReader}).
 *
 * <p>A message's id (its {@code id} field, else its stream entry id) is recorded with its effect, so
 * a redelivery changes nothing. A change carries its place in the sending order (the stream entry id,
 * or a pub/sub message's {@code seq}; {@link ChangeMessage}): one sent before the last change applied
 * to its batch is superseded, logged and counted, and not an error. A message that is malformed or
 * that the domain refuses is logged, counted and set aside in {@value #DEAD_LETTER_STREAM}
 * ({@link DeadLetters}); a failure that may pass (storage down, too many conflicts) leaves a stream
 * entry pending to be tried again. Each of the two loops runs on a thread of its own and reconnects
 * with backoff while Redis is away.
 */
public final class RedisConsumer implements AutoCloseable {

    public static final String CHANNEL = "change_batch_quantity";
    public static final String STREAM = "change_batch_quantity";
    public static final String GROUP = "allocation";
    public static final String DEAD_LETTER_STREAM = "change_batch_quantity.dead_letter";

    private static final Logger log = LoggerFactory.getLogger(RedisConsumer.class);

    /**
     * @param consumerName unique per process: the group remembers what each consumer has pending
     * @param claimIdle how long an entry stays pending before another consumer claims it
     * @param block how long one read waits for new entries; bounds how long closing takes
     * @param reconnect the pause after Redis failed, by the number of failures in a row before
     * @param maxDeliveries a stream entry that fails on this delivery (the group's count) is dead-lettered
     */
    public record Options(String consumerName, Duration claimIdle, Duration block, Backoff reconnect,
            int maxDeliveries) {
        public Options {
            if (maxDeliveries < 1) {
                throw new IllegalArgumentException("maxDeliveries must be at least 1, was " + maxDeliveries);
            }
        }

        public static Options defaults() {
            return new Options("allocation-" + UUID.randomUUID(), Duration.ofSeconds(30), Duration.ofMillis(500),
                    new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), false), 5);
        }

        public Options withConsumerName(String name) {
            return new Options(name, claimIdle, block, reconnect, maxDeliveries);
        }

        public Options withClaimIdle(Duration idle) {
            return new Options(consumerName, idle, block, reconnect, maxDeliveries);
        }

        public Options withMaxDeliveries(int max) {
            return new Options(consumerName, claimIdle, block, reconnect, max);
        }
    }

    /** What became of a message: done (applied, skipped or set aside), or failed for a reason that may pass. */
    record Outcome(String failure) {
        static final Outcome DONE = new Outcome(null);

        boolean done() {
            return failure == null;
        }
    }

    private final MessageBus bus;
    private final UnifiedJedis redis;
    private final Options options;
    private final DeadLetters deadLetters;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong superseded = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong connectionFailures = new AtomicLong();
    private final PubSubListener pubSub;
    private final Tracer tracer;
    private final Thread pubSubThread;
    private final Thread streamThread;

    private RedisConsumer(MessageBus bus, RedisUrl redisUrl, Settings.Timeouts timeouts, Options options,
            Optional<OpenTelemetry> tracing) {
        this.bus = Objects.requireNonNull(bus);
        this.tracer = tracing.map(t -> t.getTracer("com.allocationservice")).orElse(null);
        this.redis = RedisClients.create(redisUrl, timeouts);
        this.options = Objects.requireNonNull(options);
        this.deadLetters = new DeadLetters(redis);
        this.pubSub = new PubSubListener(this, redis, timeouts.redisSocket().dividedBy(3), options.reconnect());
        StreamGroupReader stream = new StreamGroupReader(this, redis, options);
        this.pubSubThread = Thread.ofPlatform().daemon().name("redis-consumer-pubsub").unstarted(pubSub::run);
        this.streamThread = Thread.ofPlatform().daemon().name("redis-consumer-stream").unstarted(stream::run);
    }

    /** Starts both loops; Redis need not be up yet. */
    public static RedisConsumer start(MessageBus bus, RedisUrl redisUrl, Settings.Timeouts timeouts, Options options) {
        return start(bus, redisUrl, timeouts, options, Optional.empty());
    }

    /**
     * Starts both loops; with {@code tracing}, each message is handled in a consumer span, in the trace
     * of the stream entry's {@code traceparent} field when it has one.
     */
    public static RedisConsumer start(MessageBus bus, RedisUrl redisUrl, Settings.Timeouts timeouts, Options options,
            Optional<OpenTelemetry> tracing) {
        RedisConsumer consumer = new RedisConsumer(bus, redisUrl, timeouts, options, tracing);
        consumer.pubSubThread.start();
        consumer.streamThread.start();
        return consumer;
    }

    /** Messages whose command ran and committed. */
    public long handled() {
        return handled.get();
    }

    /** Messages whose id had been handled before: nothing was done. */
    public long duplicates() {
        return duplicates.get();
    }

    /** Quantity changes not applied because a change sent after them already was. */
    public long superseded() {
        return superseded.get();
    }

    /** Malformed, refused or given-up messages, set aside in {@value #DEAD_LETTER_STREAM}. */
    public long deadLettered() {
        return deadLetters.count();
    }

    /** Handlings that failed for a reason that may pass; stream entries stay pending and are retried. */
    public long failures() {
        return failures.get();
    }

    /** Times Redis could not be reached or answered with an error. */
    public long connectionFailures() {
        return connectionFailures.get();
    }

    public String consumerName() {
        return options.consumerName();
    }

    /** Stops both loops; a message being handled is finished first. */
    @Override
    public void close() {
        stopping.countDown();
        pubSub.unsubscribe();
        join(pubSubThread);
        join(streamThread);
        redis.close();
    }

    /** {@link #handle(String, String, StreamEntryID)}, in a span continuing this traceparent (null: a new trace). */
    Outcome handle(String data, String source, StreamEntryID entryId, String traceparent) {
        if (tracer == null) {
            return handle(data, source, entryId);
        }
        io.opentelemetry.context.Context parent = traceparent == null ? io.opentelemetry.context.Context.root()
                : W3CTraceContextPropagator.getInstance().extract(io.opentelemetry.context.Context.root(),
                        traceparent, TRACEPARENT);
        Span span = tracer.spanBuilder(CHANNEL + " process").setSpanKind(SpanKind.CONSUMER).setParent(parent)
                .setAttribute(MESSAGING_SOURCE, source).startSpan();
        try (Scope ignored = span.makeCurrent()) {
            Outcome outcome = handle(data, source, entryId);
            if (!outcome.done()) {
                span.setStatus(StatusCode.ERROR, outcome.failure());
            }
            return outcome;
        } finally {
            span.end();
        }
    }

    private static final AttributeKey<String> MESSAGING_SOURCE = AttributeKey.stringKey("allocation.message.source");

    /** The carrier is the traceparent itself. */
    private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    /**
     * Runs one message's command. Bad input and domain refusals are dead-lettered here and done; a
     * failure that may pass is returned, for the caller to retry or set aside.
     */
    Outcome handle(String data, String source, StreamEntryID entryId) {
        String messageId = null;
        try {
            ChangeMessage message = entryId == null ? ChangeMessage.fromPubSub(data)
                    : ChangeMessage.fromStream(data, entryId);
            messageId = message.id();
            String id = messageId != null ? messageId : entryId == null ? null : entryId.toString();
            ChangeBatchQuantity command = message.command();
            Source from = entryId == null ? Source.pubSub(messageId) : Source.stream(entryId.toString());
            Optional<QuantityChange> outcome = id == null ? Optional.of(bus.handle(command, from))
                    : bus.handle(command, CHANNEL + ":" + id, from);
            if (outcome.isEmpty()) {
                duplicates.incrementAndGet();
                log.info("Skipped {} message {}: handled before", source, id);
            } else {
                switch (outcome.get()) {
                    case Done done -> handled.incrementAndGet();
                    case Superseded s -> {
                        superseded.incrementAndGet();
                        log.info("Skipped {} message {}: change {} to batch {} was sent before {}, already applied",
                                source, id, s.key(), s.batchref(), s.applied());
                    }
                }
            }
            return Outcome.DONE;
        } catch (BadRequest | DomainException e) {
            log.warn("Rejected {} message {}: {}", source, data, e.getMessage());
            deadLetters.add(data, e.getMessage(), source, entryId != null ? entryId.toString() : messageId);
            return Outcome.DONE;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            return new Outcome(e.toString());
        }
    }

    DeadLetters deadLetters() {
        return deadLetters;
    }

    boolean stopped() {
        return stopping.getCount() == 0;
    }

    /** Redis trouble is a connection failure; anything else is a bug, logged in full, and the loop goes on. */
    void countFailure(RuntimeException e) {
        if (e instanceof JedisException) {
            connectionFailures.incrementAndGet();
        } else {
            failures.incrementAndGet();
            log.error("Unexpected failure in the Redis consumer", e);
        }
    }

    void pauseFor(Duration duration) {
        try {
            stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.countDown();
        }
    }

    private static void join(Thread thread) {
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("{} did not stop in time", thread.getName());
        }
    }
}

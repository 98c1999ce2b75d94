package com.allocationservice.entrypoints;

import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.DomainException;
import com.allocationservice.service.MessageBus;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XAutoClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The book's {@code redis_eventconsumer}, made durable: {@code change_batch_quantity} messages become
 * {@link ChangeBatchQuantity} commands, from the pub/sub channel (at most once, as the book's
 * producers send them) and from the stream of the same name read through the consumer group
 * {@value #GROUP} (at least once: an entry is acknowledged only after its command committed, and
 * entries left pending by a dead consumer are claimed after {@link Options#claimIdle}).
 *
 * <p>A message's id (its {@code id} field, else its stream entry id) is recorded with its effect, so
 * a redelivery changes nothing. A message that is malformed or that the domain refuses is logged,
 * counted and appended to {@value #DEAD_LETTER_STREAM}, then acknowledged; a failure that may pass
 * (storage down, too many conflicts) leaves a stream entry pending to be tried again. Each of the two
 * loops runs on a thread of its own and reconnects with backoff while Redis is away.
 */
public final class RedisConsumer implements AutoCloseable {

    public static final String CHANNEL = "change_batch_quantity";
    public static final String STREAM = "change_batch_quantity";
    public static final String GROUP = "allocation";
    public static final String DEAD_LETTER_STREAM = "change_batch_quantity.dead_letter";

    private static final Logger log = LoggerFactory.getLogger(RedisConsumer.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);

    /**
     * @param consumerName unique per process: the group remembers what each consumer has pending
     * @param claimIdle how long an entry stays pending before another consumer claims it
     * @param block how long one read waits for new entries; bounds how long closing takes
     */
    public record Options(String consumerName, Duration claimIdle, Duration block, Duration maxBackoff) {
        public static Options defaults() {
            return new Options("allocation-" + UUID.randomUUID(), Duration.ofSeconds(30), Duration.ofMillis(500),
                    Duration.ofSeconds(5));
        }

        public Options withConsumerName(String name) {
            return new Options(name, claimIdle, block, maxBackoff);
        }

        public Options withClaimIdle(Duration idle) {
            return new Options(consumerName, idle, block, maxBackoff);
        }
    }

    private enum Outcome { DONE, RETRY_LATER }

    private final MessageBus bus;
    private final RedisClient redis;
    private final Options options;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong connectionFailures = new AtomicLong();
    private final Thread pubSubThread;
    private final Thread streamThread;
    private volatile Subscription subscription;

    private RedisConsumer(MessageBus bus, URI redisUrl, Options options) {
        this.bus = Objects.requireNonNull(bus);
        this.redis = RedisClient.create(redisUrl);
        this.options = Objects.requireNonNull(options);
        this.pubSubThread = Thread.ofPlatform().daemon().name("redis-consumer-pubsub").unstarted(this::subscribeLoop);
        this.streamThread = Thread.ofPlatform().daemon().name("redis-consumer-stream").unstarted(this::streamLoop);
    }

    /** Starts both loops; Redis need not be up yet. */
    public static RedisConsumer start(MessageBus bus, URI redisUrl, Options options) {
        RedisConsumer consumer = new RedisConsumer(bus, redisUrl, options);
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

    /** Malformed or refused messages, set aside in {@value #DEAD_LETTER_STREAM}. */
    public long deadLettered() {
        return deadLettered.get();
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
        Subscription current = subscription;
        if (current != null && current.isSubscribed()) {
            try {
                current.unsubscribe();
            } catch (JedisException e) {
                log.debug("Unsubscribing failed: {}", e.toString());
            }
        }
        join(pubSubThread);
        join(streamThread);
        redis.close();
    }

    private boolean stopped() {
        return stopping.getCount() == 0;
    }

    private void subscribeLoop() {
        Duration backoff = FIRST_BACKOFF;
        while (!stopped()) {
            Subscription attempt = new Subscription();
            subscription = attempt;
            try {
                redis.subscribe(attempt, CHANNEL);
            } catch (RuntimeException e) {
                countFailure(e);
                log.warn("Subscription to {} lost, retrying in {} ms: {}", CHANNEL, backoff.toMillis(), e.toString());
            }
            backoff = attempt.subscribed ? FIRST_BACKOFF : backoff;
            pauseFor(backoff);
            backoff = longer(backoff);
        }
    }

    private final class Subscription extends JedisPubSub {
        private volatile boolean subscribed;

        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
            subscribed = true;
            log.info("Subscribed to pub/sub channel {}", channel);
            if (stopped()) {
                unsubscribe();
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            try {
                handle(message, "pubsub", null);
            } catch (RuntimeException e) {
                // pub/sub cannot redeliver: the message was dead-lettered if at all possible, never rethrown
                log.error("Could not handle or set aside pub/sub message {}", message, e);
            }
        }
    }

    private void streamLoop() {
        Duration backoff = FIRST_BACKOFF;
        boolean groupReady = false;
        long nextClaim = System.nanoTime();
        XReadGroupParams read = XReadGroupParams.xReadGroupParams().count(10).block((int) options.block().toMillis());
        while (!stopped()) {
            try {
                if (!groupReady) {
                    createGroup();
                    groupReady = true;
                }
                if (System.nanoTime() - nextClaim >= 0) {
                    claimStale();
                    nextClaim = System.nanoTime() + options.claimIdle().toNanos() / 4;
                }
                List<Map.Entry<String, List<StreamEntry>>> batches = redis.xreadGroup(GROUP,
                        options.consumerName(), read, Map.of(STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
                backoff = FIRST_BACKOFF;
                if (batches != null) {
                    for (Map.Entry<String, List<StreamEntry>> batch : batches) {
                        for (StreamEntry entry : batch.getValue()) {
                            process(entry);
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (stopped()) {
                    break;
                }
                groupReady = false;
                countFailure(e);
                log.warn("Reading stream {} failed, retrying in {} ms: {}", STREAM, backoff.toMillis(), e.toString());
                pauseFor(backoff);
                backoff = longer(backoff);
            }
        }
    }

    /** Creates the group (and the stream) unless it exists; a new group starts at the stream's first entry. */
    private void createGroup() {
        try {
            redis.xgroupCreate(STREAM, GROUP, new StreamEntryID(0, 0), true);
            log.info("Created consumer group {} on stream {}", GROUP, STREAM);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    /** Takes over entries pending longer than the claim idle time: their consumer died, or failed to handle them. */
    private void claimStale() {
        StreamEntryID cursor = new StreamEntryID(0, 0);
        do {
            Map.Entry<StreamEntryID, List<StreamEntry>> claimed = redis.xautoclaim(STREAM, GROUP,
                    options.consumerName(), options.claimIdle().toMillis(), cursor,
                    XAutoClaimParams.xAutoClaimParams().count(50));
            for (StreamEntry entry : claimed.getValue()) {
                if (stopped()) {
                    return;
                }
                log.info("Claimed stream entry {} left pending", entry.getID());
                process(entry);
            }
            cursor = claimed.getKey();
        } while (!cursor.equals(new StreamEntryID(0, 0)) && !stopped());
    }

    private void process(StreamEntry entry) {
        String data = entry.getFields() == null ? null : entry.getFields().get("data");
        if (handle(data, "stream", entry.getID().toString()) == Outcome.DONE) {
            redis.xack(STREAM, GROUP, entry.getID());
        }
    }

    private Outcome handle(String data, String source, String entryId) {
        String messageId = null;
        try {
            JsonBody body = parse(data);
            messageId = body.optionalText("id");
            ChangeBatchQuantity command = new ChangeBatchQuantity(body.text("batchref"), body.integer("qty", 0));
            String id = messageId != null ? messageId : entryId;
            Object result = id == null ? bus.handle(command) : bus.handle(command, CHANNEL + ":" + id);
            if (result instanceof MessageBus.Duplicate) {
                duplicates.incrementAndGet();
                log.info("Skipped {} message {}: handled before", source, id);
            } else {
                handled.incrementAndGet();
            }
            return Outcome.DONE;
        } catch (BadRequest | DomainException e) {
            log.warn("Rejected {} message {}: {}", source, data, e.getMessage());
            deadLetter(data, e.getMessage(), source, entryId != null ? entryId : messageId);
            return Outcome.DONE;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            if (entryId != null) {
                log.warn("Handling stream entry {} failed; it stays pending and will be retried: {}", entryId,
                        e.toString());
                return Outcome.RETRY_LATER;
            }
            log.error("Handling pub/sub message {} failed; setting it aside", data, e);
            deadLetter(data, e.toString(), source, messageId);
            return Outcome.DONE;
        }
    }

    private static JsonBody parse(String data) {
        if (data == null) {
            throw new BadRequest("Message has no field 'data'");
        }
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > JsonBody.MAX_BYTES) {
            throw new BadRequest("Message is larger than " + JsonBody.MAX_BYTES + " bytes");
        }
        return JsonBody.parse(bytes);
    }

    private void deadLetter(String data, String error, String source, String originalId) {
        Map<String, String> fields = new HashMap<>();
        fields.put("data", data == null ? "" : data);
        fields.put("error", error == null ? "" : error);
        fields.put("source", source);
        fields.put("original_id", originalId == null ? "" : originalId);
        redis.xadd(DEAD_LETTER_STREAM, XAddParams.xAddParams(), fields);
        deadLettered.incrementAndGet();
    }

    /** Redis trouble is a connection failure; anything else is a bug, logged in full, and the loop goes on. */
    private void countFailure(RuntimeException e) {
        if (e instanceof JedisException) {
            connectionFailures.incrementAndGet();
        } else {
            failures.incrementAndGet();
            log.error("Unexpected failure in the Redis consumer", e);
        }
    }

    private void pauseFor(Duration duration) {
        try {
            stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping.countDown();
        }
    }

    private Duration longer(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : doubled;
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

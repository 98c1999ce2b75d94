package com.allocationservice.entrypoints;

import com.allocationservice.config.RedisClients;
import com.allocationservice.service.Backoff;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Listens on the pub/sub channel {@value RedisConsumer#CHANNEL}, resubscribing with backoff while Redis
 * is away. Pub/sub cannot redeliver, so a message that cannot be handled is dead-lettered at once.
 *
 * <p>The subscription reads with the Redis socket timeout, so a connection that silently stopped
 * carrying anything (a partition, a NAT or a proxy that dropped it) fails within it and the loop
 * subscribes again on a new one, instead of leaving the listener deaf for good. So that a live
 * connection on a quiet channel is never silent that long, a pinger sends {@code PING} on the
 * subscription every third of the timeout (its answer is read like a message).
 *
 * <p>With Sentinels, the pinger also ends a subscription made while another server was the primary,
 * and the loop subscribes again, on the new one. A primary that Sentinel demotes closes its clients'
 * connections itself ({@code CLIENT KILL}), but one the Sentinels cannot reach stays a primary, its
 * subscription open and quiet, while the messages go to the new primary.
 */
final class PubSubListener {

    private static final Logger log = LoggerFactory.getLogger(PubSubListener.class);

    private final RedisConsumer consumer;
    private final UnifiedJedis redis;
    private final Duration pingEvery;
    private final Backoff reconnect;
    private volatile Subscription subscription;

    PubSubListener(RedisConsumer consumer, UnifiedJedis redis, Duration pingEvery, Backoff reconnect) {
        this.consumer = consumer;
        this.redis = redis;
        this.pingEvery = pingEvery;
        this.reconnect = reconnect;
    }

    void run() {
        Thread pinger = Thread.ofVirtual().name("redis-consumer-pubsub-ping").start(this::ping);
        int failedInARow = 0;
        while (!consumer.stopped()) {
            Subscription attempt = new Subscription(RedisClients.primary(redis));
            subscription = attempt;
            RuntimeException lost = null;
            try {
                redis.subscribe(attempt, RedisConsumer.CHANNEL);
            } catch (RuntimeException e) {
                if (consumer.stopped()) {
                    break;
                }
                consumer.countFailure(e);
                lost = e;
            }
            failedInARow = attempt.subscribed ? 0 : failedInARow;
            Duration pause = reconnect.delay(failedInARow++);
            if (lost != null) {
                log.warn("Subscription to {} lost, retrying in {} ms: {}", RedisConsumer.CHANNEL, pause.toMillis(),
                        lost.toString());
            }
            consumer.pauseFor(pause);
        }
        pinger.interrupt();
    }

    /** Ends the subscription, so {@link #run} returns once it sees the consumer stopped. */
    void unsubscribe() {
        Subscription current = subscription;
        if (current != null && current.isSubscribed()) {
            try {
                current.unsubscribe();
            } catch (JedisException e) {
                log.debug("Unsubscribing failed: {}", e.toString());
            }
        }
    }

    /** Pings the live subscription often enough that a live connection is never silent for a read timeout. */
    private void ping() {
        while (!consumer.stopped()) {
            consumer.pauseFor(pingEvery);
            Subscription current = subscription;
            if (current != null && current.isSubscribed() && !consumer.stopped()) {
                try {
                    Optional<HostAndPort> primary = RedisClients.primary(redis);
                    if (!primary.equals(current.primary)) {
                        log.info("The primary is {} now, not {}: subscribing to {} again", primary.orElse(null),
                                current.primary.orElse(null), RedisConsumer.CHANNEL);
                        current.unsubscribe();
                        continue;
                    }
                    current.ping();
                } catch (RuntimeException e) {
                    log.debug("Pinging the subscription failed: {}", e.toString());
                }
            }
        }
    }

    private final class Subscription extends JedisPubSub {
        /** The primary when subscribing: the subscription is on it (or on the next, and is then ended once needlessly). */
        private final Optional<HostAndPort> primary;
        private volatile boolean subscribed;

        Subscription(Optional<HostAndPort> primary) {
            this.primary = primary;
        }

        @Override
        public void onSubscribe(String channel, int subscribedChannels) {
            subscribed = true;
            log.info("Subscribed to pub/sub channel {}", channel);
            if (consumer.stopped()) {
                unsubscribe();
            }
        }

        @Override
        public void onMessage(String channel, String message) {
            try {
                RedisConsumer.Outcome outcome = consumer.handle(message, "pubsub", null, null);
                if (!outcome.done()) {
                    log.error("Handling pub/sub message {} failed; setting it aside: {}", message, outcome.failure());
                    consumer.deadLetters().add(message, outcome.failure(), "pubsub", null);
                }
            } catch (RuntimeException e) {
                // pub/sub cannot redeliver: the message was dead-lettered if at all possible, never rethrown
                log.error("Could not handle or set aside pub/sub message {}", message, e);
            }
        }
    }
}

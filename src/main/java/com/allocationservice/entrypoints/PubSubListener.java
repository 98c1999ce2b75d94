package com.allocationservice.entrypoints;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Listens on the pub/sub channel {@value RedisConsumer#CHANNEL}, resubscribing with backoff while Redis
 * is away. Pub/sub cannot redeliver, so a message that cannot be handled is dead-lettered at once.
 */
final class PubSubListener {

    private static final Logger log = LoggerFactory.getLogger(PubSubListener.class);

    private final RedisConsumer consumer;
    private final RedisClient redis;
    private volatile Subscription subscription;

    PubSubListener(RedisConsumer consumer, RedisClient redis) {
        this.consumer = consumer;
        this.redis = redis;
    }

    void run() {
        Duration backoff = RedisConsumer.FIRST_BACKOFF;
        while (!consumer.stopped()) {
            Subscription attempt = new Subscription();
            subscription = attempt;
            try {
                redis.subscribe(attempt, RedisConsumer.CHANNEL);
            } catch (RuntimeException e) {
                consumer.countFailure(e);
                log.warn("Subscription to {} lost, retrying in {} ms: {}", RedisConsumer.CHANNEL, backoff.toMillis(),
                        e.toString());
            }
            backoff = attempt.subscribed ? RedisConsumer.FIRST_BACKOFF : backoff;
            consumer.pauseFor(backoff);
            backoff = consumer.longer(backoff);
        }
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

    private final class Subscription extends JedisPubSub {
        private volatile boolean subscribed;

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
                RedisConsumer.Outcome outcome = consumer.handle(message, "pubsub", null);
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

package com.allocationservice.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.resps.StreamEntry;

/** What a consumer of the service's outgoing messages sees: whole streams, and pub/sub channels as they go. */
public final class RedisMessages {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RedisMessages() {
    }

    /** Every entry of the stream, oldest first: the JSON of its {@code data} field. */
    public static List<JsonNode> stream(String url, String name) {
        try (RedisClient redis = RedisClient.create(URI.create(url))) {
            List<JsonNode> all = new ArrayList<>();
            String from = "-";
            while (true) {
                List<StreamEntry> page = redis.xrange(name, from, "+", 1000);
                for (StreamEntry entry : page) {
                    all.add(parse(entry.getFields().get("data")));
                }
                if (page.size() < 1000) {
                    return all;
                }
                from = "(" + page.getLast().getID();
            }
        }
    }

    public static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    /** A pub/sub subscription on its own thread, collecting every message; ready when {@link #subscribe} returns. */
    public static final class Subscriber implements AutoCloseable {
        public record Received(String channel, JsonNode json) {
        }

        private final RedisClient redis;
        private final List<Received> received = new CopyOnWriteArrayList<>();
        private final JedisPubSub pubSub;
        private final Thread thread;

        private Subscriber(String url, String... channels) throws InterruptedException {
            redis = RedisClient.create(URI.create(url));
            CountDownLatch subscribed = new CountDownLatch(channels.length);
            pubSub = new JedisPubSub() {
                @Override
                public void onMessage(String channel, String message) {
                    received.add(new Received(channel, parse(message)));
                }

                @Override
                public void onSubscribe(String channel, int subscribedChannels) {
                    subscribed.countDown();
                }
            };
            thread = Thread.ofVirtual().start(() -> redis.subscribe(pubSub, channels));
            if (!subscribed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not subscribed to " + List.of(channels));
            }
        }

        public static Subscriber subscribe(String url, String... channels) throws InterruptedException {
            return new Subscriber(url, channels);
        }

        public List<Received> received() {
            return List.copyOf(received);
        }

        @Override
        public void close() throws InterruptedException {
            if (pubSub.isSubscribed()) {
                pubSub.unsubscribe();
            }
            thread.join(5_000);
            redis.close();
        }
    }
}

package com.allocationservice.integration;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.RedisUrl;
import com.allocationservice.config.Settings;
import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.StorageUnavailable;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/** A fresh PostgreSQL database, a private Redis, a bus on them, and the consumers a test starts; all closed together. */
final class ConsumerFixture implements AutoCloseable {

    final TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES);
    final RedisTestServer redisServer = RedisTestServer.start();
    final RedisClient redis = RedisClient.create(URI.create(redisServer.url()));
    /** While true, every unit of work fails as if the database were unreachable. */
    final AtomicBoolean storageDown = new AtomicBoolean();
    final MessageBus bus = Bootstrap.bus(this::beginUnitOfWork);
    private final List<RedisConsumer> consumers = new ArrayList<>();

    /** A consumer that claims entries pending for more than a second, once it listens on the channel. */
    RedisConsumer startConsumer(String name) {
        return startConsumer(RedisConsumer.Options.defaults().withConsumerName(name)
                .withClaimIdle(Duration.ofSeconds(1)));
    }

    /** A consumer with these options, once it listens on the channel. */
    RedisConsumer startConsumer(RedisConsumer.Options options) {
        long subscribersBefore = subscribers();
        RedisConsumer consumer = RedisConsumer.start(bus, RedisUrl.parse(redisServer.url()),
                Settings.defaults().timeouts(), options);
        consumers.add(consumer);
        Awaitility.await("the consumer subscribes").atMost(Duration.ofSeconds(20))
                .until(() -> subscribers() > subscribersBefore);
        return consumer;
    }

    private UnitOfWork.Group beginUnitOfWork() {
        if (storageDown.get()) {
            throw new StorageUnavailable("storage is down for this test", null);
        }
        return JdbcUnitOfWork.factory(db.dataSource()).begin();
    }

    long subscribers() {
        try (Jedis jedis = new Jedis(URI.create(redisServer.url()))) {
            return jedis.pubsubNumSub(RedisConsumer.CHANNEL).getOrDefault(RedisConsumer.CHANNEL, 0L);
        }
    }

    StreamEntryID addEntry(String json) {
        return redis.xadd(RedisConsumer.STREAM, XAddParams.xAddParams(), Map.of("data", json));
    }

    void publish(String json) {
        redis.publish(RedisConsumer.CHANNEL, json);
    }

    long pending() {
        return redis.xpending(RedisConsumer.STREAM, RedisConsumer.GROUP).getTotal();
    }

    long purchased(String batchref) {
        return db.number("SELECT purchased_quantity FROM batches WHERE reference = ?", batchref);
    }

    long version(String sku) {
        return db.number("SELECT version FROM products WHERE sku = ?", sku);
    }

    /** The batch the order's line is on; null when backordered or when the order has no line yet. */
    String batchOf(String orderid) {
        List<String> batches = db.query("SELECT batchref FROM order_lines WHERE orderid = ?", rs -> rs.getString(1), orderid);
        return batches.isEmpty() ? null : batches.getFirst();
    }

    @Override
    public void close() {
        consumers.reversed().forEach(RedisConsumer::close);
        redis.close();
        redisServer.close();
        db.close();
    }
}

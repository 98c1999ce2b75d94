package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.RedisConsumer;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XReadGroupParams;

class RedisConsumerTest {

    private static final Duration SOON = Duration.ofSeconds(20);

    private ConsumerFixture fixture;

    @BeforeEach
    void warehouse_stock_and_a_shipment_with_one_order_on_the_warehouse() {
        fixture = new ConsumerFixture();
        fixture.bus.handle(new CreateBatch("wh", "LAMP", 10, null));
        fixture.bus.handle(new CreateBatch("ship", "LAMP", 10, LocalDate.of(2031, 1, 1)));
        fixture.bus.handle(new Allocate("o1", "LAMP", 8));
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void a_pubsub_message_changes_the_quantity_and_reallocates() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> "ship".equals(fixture.batchOf("o1")));
        assertThat(fixture.purchased("wh")).isEqualTo(5);
        assertThat(consumer.handled()).isEqualTo(1);
    }

    @Test
    void a_stream_entry_is_handled_then_acknowledged() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> "ship".equals(fixture.batchOf("o1")));
        await().atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(fixture.purchased("wh")).isEqualTo(5);
        assertThat(consumer.handled()).isEqualTo(1);
    }

    @Test
    void a_stream_entry_delivered_twice_has_one_effect() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        StreamEntryID id = fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        await().atMost(SOON).until(() -> consumer.handled() == 1 && fixture.pending() == 0);
        long version = fixture.version("LAMP");

        // Redis delivers the acknowledged entry again, as after a consumer that committed and died before XACK
        fixture.redis.xclaim(RedisConsumer.STREAM, RedisConsumer.GROUP, "ghost", 0,
                XClaimParams.xClaimParams().force().idle(60_000), id);
        assertThat(fixture.pending()).isEqualTo(1);

        await().atMost(SOON).until(() -> consumer.duplicates() == 1 && fixture.pending() == 0);
        assertThat(consumer.handled()).isEqualTo(1);
        assertThat(fixture.version("LAMP")).isEqualTo(version);
    }

    @Test
    void a_pubsub_message_with_an_id_sent_twice_has_one_effect() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        long version = fixture.version("LAMP");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 5, \"id\": \"change-1\"}");
        fixture.publish("{\"batchref\": \"wh\", \"qty\": 5, \"id\": \"change-1\"}");

        await().atMost(SOON).until(() -> consumer.handled() + consumer.duplicates() == 2);
        assertThat(consumer.handled()).isEqualTo(1);
        assertThat(consumer.duplicates()).isEqualTo(1);
        assertThat(fixture.version("LAMP")).isEqualTo(version + 1);
    }

    @Test
    void each_of_two_instances_applies_a_pubsub_message_without_an_id_and_one_with_an_id_has_one_effect()
            throws Exception {
        RedisConsumer first = fixture.startConsumer("c1");
        RedisConsumer second = fixture.startConsumer("c2");
        long version = fixture.version("LAMP");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> first.handled() == 1 && second.handled() == 1);
        assertThat(first.duplicates() + second.duplicates()).isZero();
        assertThat(fixture.version("LAMP")).as("one version bump per instance").isEqualTo(version + 2);
        assertThat(fixture.purchased("wh")).isEqualTo(5);
        assertThat(fixture.batchOf("o1")).as("the line moved once").isEqualTo("ship");
        assertThat(fixture.db.number("SELECT allocated_quantity FROM batches WHERE reference = ?", "ship")).isEqualTo(8);

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 6, \"id\": \"change-1\"}");

        await().atMost(SOON).until(() -> first.handled() + first.duplicates() == 2
                && second.handled() + second.duplicates() == 2);
        assertThat(first.handled() + second.handled()).isEqualTo(3);
        assertThat(fixture.version("LAMP")).as("one version bump in all").isEqualTo(version + 3);
        assertThat(fixture.purchased("wh")).isEqualTo(6);
    }

    @Test
    void an_entry_left_pending_by_a_dead_consumer_is_claimed_and_handled() throws Exception {
        fixture.redis.xgroupCreate(RedisConsumer.STREAM, RedisConsumer.GROUP, new StreamEntryID(0, 0), true);
        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        // a consumer that read the entry and died before handling it
        List<Map.Entry<String, List<redis.clients.jedis.resps.StreamEntry>>> read = fixture.redis.xreadGroup(
                RedisConsumer.GROUP, "dead", XReadGroupParams.xReadGroupParams().count(1),
                Map.of(RedisConsumer.STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        assertThat(read.getFirst().getValue()).hasSize(1);
        assertThat(fixture.pending()).isEqualTo(1);

        RedisConsumer consumer = fixture.startConsumer("c1");

        await().atMost(SOON).until(() -> "ship".equals(fixture.batchOf("o1")));
        await().atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(consumer.handled()).isEqualTo(1);
    }

    @Test
    void two_consumers_on_one_stream_handle_each_entry_exactly_once() throws Exception {
        int entries = 40;
        for (int i = 0; i < entries; i++) {
            fixture.bus.handle(new CreateBatch("b" + i, "SKU-" + i, 100, null));
        }
        RedisConsumer first = fixture.startConsumer("c1");
        RedisConsumer second = fixture.startConsumer("c2");

        for (int i = 0; i < entries; i++) {
            fixture.addEntry("{\"batchref\": \"b" + i + "\", \"qty\": " + i + "}");
        }

        await().atMost(SOON).until(() -> first.handled() + second.handled() == entries && fixture.pending() == 0);
        assertThat(first.duplicates() + second.duplicates()).isZero();
        for (int i = 0; i < entries; i++) {
            assertThat(fixture.purchased("b" + i)).isEqualTo(i);
            assertThat(fixture.version("SKU-" + i)).isEqualTo(2);
        }
    }

    @Test
    void a_stream_entry_that_failed_for_want_of_storage_stays_pending_and_is_retried() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        fixture.storageDown.set(true);

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> consumer.failures() > 0);
        assertThat(fixture.pending()).isEqualTo(1);
        assertThat(consumer.deadLettered()).isZero();
        fixture.storageDown.set(false);
        await().atMost(SOON).until(() -> consumer.handled() == 1 && fixture.pending() == 0);
        assertThat(fixture.purchased("wh")).isEqualTo(5);
    }

    @Test
    void closing_unsubscribes_and_stops_reading_the_stream_promptly() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        await().atMost(SOON).until(() -> consumer.handled() == 1);

        long started = System.nanoTime();
        consumer.close();

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(fixture.subscribers()).isZero();
        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 9}");
        RedisConsumer successor = fixture.startConsumer("c2");
        await().atMost(SOON).until(() -> successor.handled() == 1);
        assertThat(consumer.handled()).isEqualTo(1);
        assertThat(fixture.purchased("wh")).isEqualTo(9);
    }

    @Test
    void keeps_consuming_after_redis_comes_back() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        org.junit.jupiter.api.Assumptions.assumeTrue(fixture.redisServer.ownsProcess(), "needs a private redis-server");

        fixture.redisServer.stop();
        await().atMost(SOON).until(() -> consumer.connectionFailures() > 0);
        fixture.redisServer.restart();
        await().atMost(SOON).until(() -> fixture.subscribers() == 1);

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> "ship".equals(fixture.batchOf("o1")));
        await().atMost(SOON).until(() -> fixture.pending() == 0);
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.RedisConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/** Quantity changes take effect in the order they were sent, whatever order they are handled in. */
class QuantityChangeOrderTest {

    private static final Duration SOON = Duration.ofSeconds(20);

    private ConsumerFixture fixture;

    @BeforeEach
    void one_batch() {
        fixture = new ConsumerFixture();
        fixture.bus.handle(new CreateBatch("wh", "LAMP", 10, null));
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void an_entry_claimed_after_its_consumer_died_does_not_overwrite_a_change_sent_after_it() throws Exception {
        fixture.redis.xgroupCreate(RedisConsumer.STREAM, RedisConsumer.GROUP, new StreamEntryID(0, 0), true);
        StreamEntryID older = fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        // a consumer that read the entry and died before handling it
        List<Map.Entry<String, List<StreamEntry>>> read = fixture.redis.xreadGroup(RedisConsumer.GROUP, "dead",
                XReadGroupParams.xReadGroupParams().count(1),
                Map.of(RedisConsumer.STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        assertThat(read.getFirst().getValue()).extracting(StreamEntry::getID).containsExactly(older);
        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 7}");

        RedisConsumer consumer = fixture.startConsumer("c1");

        await().atMost(SOON).until(() -> consumer.handled() == 1 && consumer.superseded() == 1);
        await().atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(fixture.purchased("wh")).as("the change sent last stands").isEqualTo(7);
        assertThat(consumer.deadLettered()).as("superseded is not an error").isZero();
        assertThat(consumer.failures()).isZero();
    }

    @Test
    void a_pubsub_message_with_a_seq_before_the_last_applied_changes_nothing() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        long version = fixture.version("LAMP");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 7, \"seq\": 2}");
        fixture.publish("{\"batchref\": \"wh\", \"qty\": 5, \"seq\": 1}");
        fixture.publish("{\"batchref\": \"wh\", \"qty\": 6, \"seq\": 2}");

        await().atMost(SOON).until(() -> consumer.handled() + consumer.superseded() == 3);
        assertThat(consumer.handled()).isEqualTo(1);
        assertThat(consumer.superseded()).isEqualTo(2);
        assertThat(fixture.purchased("wh")).isEqualTo(7);
        assertThat(fixture.version("LAMP")).isEqualTo(version + 1);

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 9, \"seq\": 3}");
        await().atMost(SOON).until(() -> consumer.handled() == 2);
        assertThat(fixture.purchased("wh")).isEqualTo(9);
    }

    @Test
    void a_pubsub_message_without_a_seq_is_applied_as_it_comes() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 7, \"seq\": 2}");
        fixture.publish("{\"batchref\": \"wh\", \"qty\": 4}");

        await().atMost(SOON).until(() -> consumer.handled() == 2);
        assertThat(fixture.purchased("wh")).isEqualTo(4);
    }

    @Test
    void a_bad_seq_is_dead_lettered() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 7, \"seq\": -1}");
        fixture.publish("{\"batchref\": \"wh\", \"qty\": 7, \"seq\": \"3\"}");

        await().atMost(SOON).until(() -> consumer.deadLettered() == 2);
        assertThat(fixture.redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, "-", "+"))
                .extracting(e -> e.getFields().get("error"))
                .containsExactly("Field 'seq' must be from 0 to " + Long.MAX_VALUE + ", was -1",
                        "Field 'seq' must be a whole number");
        assertThat(fixture.purchased("wh")).isEqualTo(10);
    }
}

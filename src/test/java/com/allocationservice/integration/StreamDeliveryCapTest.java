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
import redis.clients.jedis.params.XClaimParams;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/** No stream entry is retried forever: the group's delivery count caps it. */
class StreamDeliveryCapTest {

    private static final Duration SOON = Duration.ofSeconds(30);

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

    private RedisConsumer consumerWithCap(int maxDeliveries) {
        return fixture.startConsumer(RedisConsumer.Options.defaults().withConsumerName("c1")
                .withClaimIdle(Duration.ofMillis(400)).withMaxDeliveries(maxDeliveries));
    }

    @Test
    void an_entry_that_fails_on_its_last_allowed_delivery_is_dead_lettered_with_its_error_and_acknowledged()
            throws Exception {
        fixture.storageDown.set(true);
        RedisConsumer consumer = consumerWithCap(3);

        StreamEntryID id = fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> consumer.deadLettered() == 1);
        await().atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(consumer.failures()).as("one failure per delivery").isEqualTo(3);
        Map<String, String> dead = fixture.redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, "-", "+").getFirst()
                .getFields();
        assertThat(dead.get("data")).isEqualTo("{\"batchref\": \"wh\", \"qty\": 5}");
        assertThat(dead.get("error")).contains("storage is down for this test").contains("delivery 3 of 3");
        assertThat(dead.get("source")).isEqualTo("stream");
        assertThat(dead.get("original_id")).isEqualTo(id.toString());

        fixture.storageDown.set(false);
        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 9}");
        await().atMost(SOON).until(() -> consumer.handled() == 1);
        assertThat(fixture.purchased("wh")).as("the given-up entry changed nothing; the next one went through")
                .isEqualTo(9);
    }

    @Test
    void an_entry_claimed_after_more_deliveries_than_allowed_is_dead_lettered_without_being_handled()
            throws Exception {
        fixture.redis.xgroupCreate(RedisConsumer.STREAM, RedisConsumer.GROUP, new StreamEntryID(0, 0), true);
        StreamEntryID id = fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        List<Map.Entry<String, List<StreamEntry>>> read = fixture.redis.xreadGroup(RedisConsumer.GROUP, "dead",
                XReadGroupParams.xReadGroupParams().count(1),
                Map.of(RedisConsumer.STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        assertThat(read.getFirst().getValue()).hasSize(1);
        // consumers that took it and died while handling it, five times over
        fixture.redis.xclaim(RedisConsumer.STREAM, RedisConsumer.GROUP, "dead", 0,
                XClaimParams.xClaimParams().retryCount(5).idle(60_000), id);

        RedisConsumer consumer = consumerWithCap(5);

        await().atMost(SOON).until(() -> consumer.deadLettered() == 1 && fixture.pending() == 0);
        Map<String, String> dead = fixture.redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, "-", "+").getFirst()
                .getFields();
        assertThat(dead.get("error")).isEqualTo("delivered 6 times without success (limit 5)");
        assertThat(fixture.purchased("wh")).isEqualTo(10);
        assertThat(consumer.handled()).isZero();
    }

    @Test
    void a_failure_that_passes_before_the_cap_is_retried_and_applied() throws Exception {
        fixture.storageDown.set(true);
        RedisConsumer consumer = consumerWithCap(5);

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        await().atMost(SOON).until(() -> consumer.failures() >= 2);
        fixture.storageDown.set(false);

        await().atMost(SOON).until(() -> consumer.handled() == 1 && fixture.pending() == 0);
        assertThat(consumer.deadLettered()).isZero();
        assertThat(fixture.purchased("wh")).isEqualTo(5);
    }

    @Test
    void with_a_cap_of_one_an_entry_that_fails_is_dead_lettered_on_that_first_delivery() {
        fixture.storageDown.set(true);
        RedisConsumer consumer = consumerWithCap(1);

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");

        await().atMost(SOON).until(() -> consumer.deadLettered() == 1 && fixture.pending() == 0);
        assertThat(consumer.failures()).as("handled once, not retried").isEqualTo(1);
        assertThat(fixture.redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, "-", "+")).singleElement()
                .satisfies(dead -> assertThat(dead.getFields().get("error"))
                        .contains("storage is down for this test").endsWith("(failed on delivery 1 of 1)"));
        assertThat(consumer.handled()).isZero();
    }

    @Test
    void an_entry_claimed_on_its_last_allowed_delivery_is_still_handled() {
        fixture.redis.xgroupCreate(RedisConsumer.STREAM, RedisConsumer.GROUP, new StreamEntryID(0, 0), true);
        StreamEntryID id = fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 5}");
        fixture.redis.xreadGroup(RedisConsumer.GROUP, "dead", XReadGroupParams.xReadGroupParams().count(1),
                Map.of(RedisConsumer.STREAM, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
        // delivered twice to consumers that died; the claim below is its third and last allowed delivery
        fixture.redis.xclaim(RedisConsumer.STREAM, RedisConsumer.GROUP, "dead", 0,
                XClaimParams.xClaimParams().retryCount(2).idle(60_000), id);

        RedisConsumer consumer = consumerWithCap(3);

        await("claimed and acknowledged").atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(consumer.deadLettered()).isZero();
        assertThat(consumer.handled()).isEqualTo(1);
        assertThat(fixture.redis.exists(RedisConsumer.DEAD_LETTER_STREAM)).isFalse();
        assertThat(fixture.purchased("wh")).isEqualTo(5);
    }
}

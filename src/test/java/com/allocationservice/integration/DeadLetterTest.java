package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.RedisConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

class DeadLetterTest {

    private static final Duration SOON = Duration.ofSeconds(20);

    /** Each bad message and the words its dead letter's error must contain. */
    private static final List<Map.Entry<String, String>> BAD_MESSAGES = List.of(
            Map.entry("not json", "not valid JSON"),
            Map.entry("[1, 2]", "must be a JSON object"),
            Map.entry("{\"qty\": 5}", "'batchref' is required"),
            Map.entry("{\"batchref\": \"wh\"}", "'qty' is required"),
            Map.entry("{\"batchref\": \"wh\", \"qty\": \"5\"}", "'qty' must be a whole number"),
            Map.entry("{\"batchref\": 7, \"qty\": 5}", "'batchref' must be a string"),
            Map.entry("{\"batchref\": \"wh\", \"qty\": -1}", "'qty' must be from 0"),
            Map.entry("{\"batchref\": \"wh\", \"qty\": 5, \"qty\": 6}", "Duplicate field 'qty'"),
            Map.entry("{\"batchref\": \"nope\", \"qty\": 5}", "Unknown batch nope"));

    private ConsumerFixture fixture;

    @BeforeEach
    void one_batch_with_one_order() {
        fixture = new ConsumerFixture();
        fixture.bus.handle(new CreateBatch("wh", "LAMP", 10, null));
        fixture.bus.handle(new Allocate("o1", "LAMP", 8));
    }

    @AfterEach
    void close() {
        fixture.close();
    }

    @Test
    void bad_stream_entries_are_set_aside_with_their_error_and_change_nothing() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        long version = fixture.version("LAMP");

        for (Map.Entry<String, String> bad : BAD_MESSAGES) {
            fixture.addEntry(bad.getKey());
        }
        StreamEntryID noData = fixture.redis.xadd(RedisConsumer.STREAM, XAddParams.xAddParams(),
                Map.of("payload", "{\"batchref\": \"wh\", \"qty\": 5}"));

        await().atMost(SOON).until(() -> consumer.deadLettered() == BAD_MESSAGES.size() + 1);
        List<StreamEntry> dead = deadLetters();
        assertThat(dead).hasSize(BAD_MESSAGES.size() + 1);
        for (int i = 0; i < BAD_MESSAGES.size(); i++) {
            Map<String, String> fields = dead.get(i).getFields();
            assertThat(fields.get("data")).isEqualTo(BAD_MESSAGES.get(i).getKey());
            assertThat(fields.get("error")).contains(BAD_MESSAGES.get(i).getValue());
            assertThat(fields.get("source")).isEqualTo("stream");
            assertThat(fields.get("original_id")).isNotEmpty();
        }
        Map<String, String> last = dead.getLast().getFields();
        assertThat(last.get("error")).contains("no field 'data'");
        assertThat(last.get("original_id")).isEqualTo(noData.toString());
        await().atMost(SOON).until(() -> fixture.pending() == 0);
        assertThat(fixture.version("LAMP")).isEqualTo(version);
        assertThat(fixture.purchased("wh")).isEqualTo(10);
        assertThat(consumer.handled()).isZero();

        fixture.addEntry("{\"batchref\": \"wh\", \"qty\": 9}");
        await().atMost(SOON).until(() -> consumer.handled() == 1);
        assertThat(fixture.purchased("wh")).isEqualTo(9);
    }

    @Test
    void bad_pubsub_messages_are_set_aside_with_their_error_and_change_nothing() throws Exception {
        RedisConsumer consumer = fixture.startConsumer("c1");
        long version = fixture.version("LAMP");

        for (Map.Entry<String, String> bad : BAD_MESSAGES) {
            fixture.publish(bad.getKey());
        }

        await().atMost(SOON).until(() -> consumer.deadLettered() == BAD_MESSAGES.size());
        List<StreamEntry> dead = deadLetters();
        for (int i = 0; i < BAD_MESSAGES.size(); i++) {
            Map<String, String> fields = dead.get(i).getFields();
            assertThat(fields.get("data")).isEqualTo(BAD_MESSAGES.get(i).getKey());
            assertThat(fields.get("error")).contains(BAD_MESSAGES.get(i).getValue());
            assertThat(fields.get("source")).isEqualTo("pubsub");
        }
        assertThat(fixture.version("LAMP")).isEqualTo(version);

        fixture.publish("{\"batchref\": \"wh\", \"qty\": 9}");
        await().atMost(SOON).until(() -> consumer.handled() == 1);
        assertThat(fixture.purchased("wh")).isEqualTo(9);
    }

    private List<StreamEntry> deadLetters() {
        return fixture.redis.xrange(RedisConsumer.DEAD_LETTER_STREAM, "-", "+");
    }
}

package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.entrypoints.BadRequest;
import com.allocationservice.entrypoints.ChangeMessage;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.StreamEntryID;

class ChangeMessageTest {

    @Test
    void a_pubsub_message_is_keyed_by_its_seq_or_by_nothing() {
        assertThat(ChangeMessage.fromPubSub("{\"id\": \"m1\", \"batchref\": \"b1\", \"qty\": 0, \"seq\": 7}"))
                .isEqualTo(new ChangeMessage("m1", new ChangeBatchQuantity("b1", 0, ChangeKey.of(7))));
        assertThat(ChangeMessage.fromPubSub("{\"batchref\": \"b1\", \"qty\": 5}"))
                .isEqualTo(new ChangeMessage(null, new ChangeBatchQuantity("b1", 5, null)));
    }

    @Test
    void a_stream_entry_is_keyed_by_its_entry_id_whatever_its_seq() {
        assertThat(ChangeMessage.fromStream("{\"batchref\": \"b1\", \"qty\": 5, \"seq\": 99}", new StreamEntryID(1700, 3)))
                .isEqualTo(new ChangeMessage(null, new ChangeBatchQuantity("b1", 5, new ChangeKey(1700, 3))));
    }

    @Test
    void a_message_without_data_too_large_or_with_a_bad_field_is_refused() {
        assertThatThrownBy(() -> ChangeMessage.fromPubSub(null))
                .isInstanceOf(BadRequest.class).hasMessage("Message has no field 'data'");
        String atLimit = "{\"batchref\": \"b1\", \"qty\": 5, \"pad\": \"" + "x".repeat(16384 - 39) + "\"}";
        assertThat(atLimit).hasSize(16384);
        assertThat(ChangeMessage.fromPubSub(atLimit).command().qty()).isEqualTo(5);
        assertThatThrownBy(() -> ChangeMessage.fromPubSub(atLimit + " "))
                .isInstanceOf(BadRequest.class).hasMessage("Message is larger than 16384 bytes");
        assertThatThrownBy(() -> ChangeMessage.fromPubSub("{\"batchref\": \"b1\", \"qty\": -1}"))
                .isInstanceOf(BadRequest.class).hasMessageStartingWith("Field 'qty' must be from 0");
        assertThatThrownBy(() -> ChangeMessage.fromPubSub("{\"batchref\": \"b1\", \"qty\": 1, \"seq\": -1}"))
                .isInstanceOf(BadRequest.class).hasMessageStartingWith("Field 'seq' must be from 0");
    }
}

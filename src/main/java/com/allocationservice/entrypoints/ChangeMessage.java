package com.allocationservice.entrypoints;

import static com.allocationservice.entrypoints.Fields.integer;
import static com.allocationservice.entrypoints.Fields.optionalText;
import static com.allocationservice.entrypoints.Fields.optionalWholeNumber;
import static com.allocationservice.entrypoints.Fields.text;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import redis.clients.jedis.StreamEntryID;

/**
 * A {@code change_batch_quantity} message read from its JSON: {@code {"batchref", "qty"}}, optionally
 * {@code "id"} (for deduplication) and, on pub/sub, {@code "seq"} (its place in the producer's
 * sending order for the batch). On the stream the entry id is the place, and {@code "seq"} is ignored.
 * Fields it does not know are ignored: a producer may add some (a tolerant reader).
 */
public record ChangeMessage(String id, ChangeBatchQuantity command) {

    private record StreamData(String id, String batchref, BigInteger qty) {
    }

    private record PubSubData(String id, String batchref, BigInteger qty, BigInteger seq) {
    }

    private static final JsonBody<StreamData> STREAM = JsonBody.tolerant(StreamData.class);
    private static final JsonBody<PubSubData> PUB_SUB = JsonBody.tolerant(PubSubData.class);

    /** Parses a pub/sub message: its key is its {@code seq}, or none. */
    public static ChangeMessage fromPubSub(String data) {
        PubSubData message = PUB_SUB.parse(bytes(data));
        Long seq = optionalWholeNumber("seq", message.seq());
        return of(message.id(), message.batchref(), message.qty(), seq == null ? null : ChangeKey.of(seq));
    }

    /** Parses a stream entry's {@code data}: its key is the entry id. */
    public static ChangeMessage fromStream(String data, StreamEntryID entryId) {
        StreamData message = STREAM.parse(bytes(data));
        return of(message.id(), message.batchref(), message.qty(), new ChangeKey(entryId.getTime(), entryId.getSequence()));
    }

    private static ChangeMessage of(String id, String batchref, BigInteger qty, ChangeKey key) {
        String checkedId = optionalText("id", id);
        return new ChangeMessage(checkedId, new ChangeBatchQuantity(text("batchref", batchref), integer("qty", qty, 0), key));
    }

    private static byte[] bytes(String data) {
        if (data == null) {
            throw new BadRequest("Message has no field 'data'");
        }
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > JsonBody.MAX_BYTES) {
            throw new BadRequest("Message is larger than " + JsonBody.MAX_BYTES + " bytes");
        }
        return bytes;
    }
}

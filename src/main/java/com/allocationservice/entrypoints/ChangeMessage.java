package com.allocationservice.entrypoints;

import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import java.nio.charset.StandardCharsets;
import redis.clients.jedis.StreamEntryID;

/**
 * A {@code change_batch_quantity} message read from its JSON: {@code {"batchref", "qty"}}, optionally
 * {@code "id"} (for deduplication) and, on pub/sub, {@code "seq"} (its place in the producer's
 * sending order for the batch). On the stream the entry id is the place, and {@code "seq"} is ignored.
 */
public record ChangeMessage(String id, ChangeBatchQuantity command) {

    /** Parses a pub/sub message: its key is its {@code seq}, or none. */
    public static ChangeMessage fromPubSub(String data) {
        JsonBody body = parse(data);
        Long seq = body.optionalWholeNumber("seq");
        return of(body, seq == null ? null : ChangeKey.of(seq));
    }

    /** Parses a stream entry's {@code data}: its key is the entry id. */
    public static ChangeMessage fromStream(String data, StreamEntryID entryId) {
        return of(parse(data), new ChangeKey(entryId.getTime(), entryId.getSequence()));
    }

    private static ChangeMessage of(JsonBody body, ChangeKey key) {
        String id = body.optionalText("id");
        return new ChangeMessage(id, new ChangeBatchQuantity(body.text("batchref"), body.integer("qty", 0), key));
    }

    private static JsonBody parse(String data) {
        if (data == null) {
            throw new BadRequest("Message has no field 'data'");
        }
        byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > JsonBody.MAX_BYTES) {
            throw new BadRequest("Message is larger than " + JsonBody.MAX_BYTES + " bytes");
        }
        return JsonBody.parse(bytes);
    }
}

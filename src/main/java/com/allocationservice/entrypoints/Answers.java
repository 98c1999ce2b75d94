package com.allocationservice.entrypoints;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** The API's JSON answers: a value, or {@code {"message": ...}}. */
final class Answers {

    /** Characters outside the BMP (an emoji) as UTF-8, not as escaped surrogate pairs; buffers shared. */
    private static final ObjectWriter JSON = JsonMapper.builder(JsonBody.pooledBuffers())
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build().writer();

    /** The same, with record components named in snake_case (parkedAt as parked_at), as the newer answers are. */
    private static final ObjectWriter SNAKE_CASE = JsonMapper.builder(JsonBody.pooledBuffers())
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build().writer();

    private Answers() {
    }

    static void message(Context ctx, int status, String message) {
        json(ctx, status, Map.of("message", message));
    }

    /** A health probe's DOWN: {@code status} first, then {@code message}, always in that order. */
    record Down(String status, String message) {
        Down(String message) {
            this("DOWN", message);
        }
    }

    static void down(Context ctx, String message) {
        json(ctx, 503, new Down(message));
    }

    /**
     * Writes the answer's bytes to the response itself: through {@code ctx.result(...)}, Javalin copies
     * every answer, however short, through a fresh 32 KiB buffer.
     */
    static void json(Context ctx, int status, Object body) {
        write(ctx, status, body, JSON);
    }

    /** A value whose records' components are named in snake_case. */
    static void snakeCase(Context ctx, int status, Object body) {
        write(ctx, status, body, SNAKE_CASE);
    }

    private static void write(Context ctx, int status, Object body, ObjectWriter writer) {
        byte[] bytes;
        try {
            bytes = writer.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + body, e);
        }
        ctx.status(status).contentType("application/json");
        try {
            ctx.outputStream().write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

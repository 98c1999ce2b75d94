package com.allocationservice.entrypoints;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;

/** A request's JSON object, read strictly: every accessor names the field and the problem when it fails. */
final class JsonBody {

    static final int MAX_BYTES = 16 * 1024;
    static final int MAX_TEXT = 255;

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final JsonNode node;

    private JsonBody(JsonNode node) {
        this.node = node;
    }

    static JsonBody read(Context ctx) {
        String contentType = ctx.contentType();
        if (contentType == null || !contentType.toLowerCase().strip().matches("application/json\\s*(;.*)?")) {
            throw new BadRequest("Content-Type must be application/json, was " + (contentType == null ? "missing" : "'" + contentType + "'"));
        }
        return parse(readLimited(ctx));
    }

    /** Parses a JSON object read from anywhere (an HTTP body, a message), with the same strictness. */
    static JsonBody parse(byte[] bytes) {
        JsonNode node;
        try {
            node = MAPPER.readTree(bytes);
        } catch (JacksonException e) {
            throw new BadRequest("Body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new BadRequest("Body could not be read");
        }
        if (node == null || !node.isObject()) {
            throw new BadRequest("Body must be a JSON object");
        }
        return new JsonBody(node);
    }

    private static byte[] readLimited(Context ctx) {
        long declared = ctx.contentLength();
        if (declared > MAX_BYTES) {
            throw new BadRequest("Body is larger than " + MAX_BYTES + " bytes");
        }
        try (InputStream in = ctx.bodyInputStream()) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new BadRequest("Body is larger than " + MAX_BYTES + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw new BadRequest("Body could not be read");
        }
    }

    /** A required, non-blank string of at most {@value #MAX_TEXT} characters. */
    String text(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new BadRequest("Field '" + field + "' is required");
        }
        if (!value.isTextual()) {
            throw new BadRequest("Field '" + field + "' must be a string");
        }
        String text = value.textValue();
        if (text.isBlank()) {
            throw new BadRequest("Field '" + field + "' must not be empty");
        }
        if (text.length() > MAX_TEXT) {
            throw new BadRequest("Field '" + field + "' must be at most " + MAX_TEXT + " characters");
        }
        if (text.chars().anyMatch(Character::isISOControl)) {
            throw new BadRequest("Field '" + field + "' must not contain control characters");
        }
        return text;
    }

    /** An optional string with the same limits as {@link #text}; null when absent or null. */
    String optionalText(String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : text(field);
    }

    /** A required whole number from {@code min} up to the largest int. */
    int integer(String field, int min) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new BadRequest("Field '" + field + "' is required");
        }
        if (!value.isIntegralNumber()) {
            throw new BadRequest("Field '" + field + "' must be a whole number");
        }
        if (!value.canConvertToInt() || value.intValue() < min) {
            throw new BadRequest("Field '" + field + "' must be from " + min + " to " + Integer.MAX_VALUE
                    + ", was " + value.asText());
        }
        return value.intValue();
    }

    /** An optional date as YYYY-MM-DD; absent or null means none. */
    LocalDate optionalDate(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || !value.textValue().matches("\\d{4}-\\d{2}-\\d{2}")) {
            throw new BadRequest("Field '" + field + "' must be a date as YYYY-MM-DD or null");
        }
        try {
            return LocalDate.parse(value.textValue());
        } catch (DateTimeParseException e) {
            throw new BadRequest("Field '" + field + "' is not a real date: " + value.textValue());
        }
    }
}

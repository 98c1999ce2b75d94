package com.allocationservice.entrypoints;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Set;

/**
 * A request's JSON object, read strictly: every accessor names the field and the problem when it fails.
 * Public, and free of the HTTP server, so the unit tier tests it directly.
 */
public final class JsonBody {

    public static final int MAX_BYTES = 16 * 1024;
    public static final int MAX_TEXT = 255;

    private static final ObjectMapper MAPPER = JsonMapper.builder(pooledBuffers())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private final JsonNode node;

    /**
     * Jackson's factory with its buffers shared by all threads: its default keeps them per thread,
     * and each request runs on a new virtual thread, so every read and write allocated fresh ones
     * (about 12 KB, two thirds of what a request allocated, measured).
     */
    static JsonFactory pooledBuffers() {
        // equivalent mutant (null): an ObjectMapper given no factory makes a default one, slower only
        return JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build();
    }

    private JsonBody(JsonNode node) {
        this.node = node;
    }

    /**
     * Reads a request body as one JSON object holding no fields but {@code fields}; {@code declaredLength}
     * is its Content-Length, or -1 when it has none.
     */
    public static JsonBody read(String contentType, long declaredLength, InputStream body, String... fields) {
        if (contentType == null || !contentType.toLowerCase().strip().matches("application/json\\s*(;.*)?")) {
            throw new BadRequest("Content-Type must be application/json, was " + (contentType == null ? "missing" : "'" + contentType + "'"));
        }
        byte[] bytes = readLimited(declaredLength, body);
        if (new String(bytes, StandardCharsets.ISO_8859_1).isBlank()) {
            throw new BadRequest("Body is empty; expected a JSON object");
        }
        JsonNode node = object(bytes);
        Set<String> allowed = Set.of(fields);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new BadRequest("Unknown field '" + printable(name) + "'; expected only " + String.join(", ", fields));
            }
        }
        return new JsonBody(node);
    }

    /**
     * Parses a message's JSON object with the same strictness, except that fields it does not know are
     * ignored: a producer may add fields (a tolerant reader), while an HTTP client's typo is refused.
     */
    public static JsonBody parse(byte[] bytes) {
        return new JsonBody(object(bytes));
    }

    private static JsonNode object(byte[] bytes) {
        JsonNode node;
        try (JsonParser parser = MAPPER.createParser(bytes)) {
            node = MAPPER.readTree(parser);
            if (node != null && parser.nextToken() != null) {
                throw new BadRequest("Body must hold one JSON object, but more follows it at " + where(parser.currentLocation()));
            }
        } catch (StreamConstraintsException e) {
            throw new BadRequest("Body is not valid JSON: nested too deeply or too large");
        } catch (JsonProcessingException e) {
            throw new BadRequest("Body is not valid JSON at " + where(e.getLocation()) + ": " + plain(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new BadRequest("Body could not be read");
        }
        if (node == null || !node.isObject()) {
            throw new BadRequest("Body must be a JSON object, was " + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        return node;
    }

    private static String where(JsonLocation location) {
        return location == null ? "an unknown position"
                : "line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** The parser's reason in plain words: its first line, without its hints about parser settings. */
    private static String plain(String reason) {
        String text = reason == null ? "unreadable" : reason.lines().findFirst().orElse("unreadable");
        text = text.replaceAll("\\s*\\((?:[^()]|\\([^()]*\\))*`(?:[^()]|\\([^()]*\\))*\\)", "");
        return text.split("`", 2)[0].strip();
    }

    private static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return cut.codePoints().map(c -> Character.isISOControl(c) || Character.isSurrogate((char) c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    }

    private static byte[] readLimited(long declaredLength, InputStream body) {
        if (declaredLength > MAX_BYTES) {
            throw new BadRequest("Body is larger than " + MAX_BYTES + " bytes");
        }
        try (InputStream in = body) {
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
    public String text(String field) {
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
        if (text.codePoints().anyMatch(c -> Character.isSurrogate((char) c) && Character.charCount(c) == 1)) {
            throw new BadRequest("Field '" + field + "' must be valid Unicode text, not a lone surrogate");
        }
        return text;
    }

    /** An optional string with the same limits as {@link #text}; null when absent or null. */
    public String optionalText(String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : text(field);
    }

    /** A required whole number from {@code min} up to the largest int. */
    public int integer(String field, int min) {
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

    /** An optional whole number from 0 up to the largest long; null when absent or null. */
    public Long optionalWholeNumber(String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber()) {
            throw new BadRequest("Field '" + field + "' must be a whole number");
        }
        if (!value.canConvertToLong() || value.longValue() < 0) {
            throw new BadRequest("Field '" + field + "' must be from 0 to " + Long.MAX_VALUE + ", was " + value.asText());
        }
        return value.longValue();
    }

    /** An optional date as YYYY-MM-DD; absent or null means none. */
    public LocalDate optionalDate(String field) {
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

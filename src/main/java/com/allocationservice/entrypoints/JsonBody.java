package com.allocationservice.entrypoints;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A JSON body bound to the record {@code T} by Jackson, strictly: one object, no duplicate keys, no
 * coercion (a number is no string, 1.0 no whole number), and, unless tolerant, no field the record
 * lacks. Jackson's exceptions become a {@link BadRequest} naming the field and the problem; what
 * Jackson cannot check (blank text, ranges) is {@link Fields}' job. Thread-safe: one per body type.
 */
public final class JsonBody<T extends Record> {

    public static final int MAX_BYTES = 16 * 1024;
    private static final Pattern JSON_TYPE = Pattern.compile("application/json\\s*(;.*)?");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}");

    private static final ObjectReader READER = JsonMapper.builder(pooledBuffers())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .withCoercionConfig(LogicalType.Textual, text -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .addModule(new SimpleModule().addDeserializer(LocalDate.class, new DateDeserializer()))
            .build().reader();

    private final ObjectReader reader;
    private final String expected;

    private JsonBody(Class<T> type, boolean tolerant) {
        ObjectReader typed = READER.forType(type);
        this.reader = tolerant ? typed.without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) : typed;
        this.expected = Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName)
                .collect(Collectors.joining(", "));
    }

    /** A request's body: a field {@code T} does not have is refused (an HTTP client's typo). */
    public static <T extends Record> JsonBody<T> strict(Class<T> type) {
        return new JsonBody<>(type, false);
    }

    /** A message's body: fields {@code T} does not have are ignored, so a producer may add some. */
    public static <T extends Record> JsonBody<T> tolerant(Class<T> type) {
        return new JsonBody<>(type, true);
    }

    /**
     * Jackson's factory with its buffers shared by all threads: its default keeps them per thread,
     * and each request runs on a new virtual thread, so every read and write would allocate fresh ones.
     */
    static JsonFactory pooledBuffers() {
        return JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedConcurrentDequePool()).build();
    }

    /** Reads a request body; {@code declaredLength} is its Content-Length, or -1 when it has none. */
    public T read(String contentType, long declaredLength, InputStream body) {
        if (contentType == null || !JSON_TYPE.matcher(contentType.toLowerCase().strip()).matches()) {
            throw new BadRequest("Content-Type must be application/json, was " + (contentType == null ? "missing" : "'" + contentType + "'"));
        }
        byte[] bytes = readLimited(declaredLength, body);
        if (new String(bytes, StandardCharsets.ISO_8859_1).isBlank()) {
            throw new BadRequest("Body is empty; expected a JSON object");
        }
        return parse(bytes);
    }

    /** Binds one JSON object, and nothing after it. */
    public T parse(byte[] bytes) {
        try (JsonParser parser = reader.createParser(bytes)) {
            T value = parser.nextToken() == JsonToken.START_OBJECT ? reader.readValue(parser) : null;
            JsonNode other = value == null ? reader.readTree(parser) : null;
            if (parser.nextToken() != null) {
                throw new BadRequest("Body must hold one JSON object, but more follows it at " + where(parser.currentLocation()));
            }
            if (value == null) {
                throw new BadRequest("Body must be a JSON object, was "
                        + (other == null ? "nothing" : other.getNodeType().toString().toLowerCase()));
            }
            return value;
        } catch (JsonProcessingException e) {
            throw refusal(e);
        } catch (IOException e) {
            throw new BadRequest("Body could not be read");
        }
    }

    private BadRequest refusal(JsonProcessingException e) {
        if (e.getCause() instanceof BadRequest refused) {
            return refused;
        }
        if (e.getCause() instanceof JsonProcessingException parsing) {
            return refusal(parsing);   // the parser's own error, wrapped with the field it was reading
        }
        return switch (e) {
            case UnrecognizedPropertyException unknown ->
                    new BadRequest("Unknown field '" + printable(unknown.getPropertyName()) + "'; expected only " + expected);
            case MismatchedInputException wrongType when !wrongType.getPath().isEmpty() ->
                    new BadRequest("Field '" + wrongType.getPath().getLast().getFieldName() + "' must be "
                            + (wrongType.getTargetType() == String.class ? "a string" : "a whole number"));
            case StreamConstraintsException tooMuch -> new BadRequest("Body is not valid JSON: nested too deeply or too large");
            default -> new BadRequest("Body is not valid JSON at " + where(e.getLocation()) + ": " + plain(e.getOriginalMessage()));
        };
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

    static String printable(String text) {
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

    /**
     * The earliest date taken. Year 0 fits YYYY-MM-DD but PostgreSQL stores it as 1 BC and reads it
     * back as year 1; from year 1 to 9999 (YYYY's end), PostgreSQL, H2 and java.time agree.
     */
    static final LocalDate FIRST_DATE = LocalDate.of(1, 1, 1);

    /**
     * A date as YYYY-MM-DD that exists, from {@link #FIRST_DATE} to 9999-12-31; the record's component
     * is null when the field is absent or null.
     */
    private static final class DateDeserializer extends StdScalarDeserializer<LocalDate> {

        DateDeserializer() {
            super(LocalDate.class);
        }

        @Override
        public LocalDate deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            String field = p.currentName();
            String text = p.hasToken(JsonToken.VALUE_STRING) ? p.getText() : "";
            if (!DATE.matcher(text).matches()) {
                throw new BadRequest("Field '" + field + "' must be a date as YYYY-MM-DD or null");
            }
            LocalDate date;
            try {
                date = LocalDate.parse(text);
            } catch (DateTimeParseException e) {
                throw new BadRequest("Field '" + field + "' is not a real date: " + text);
            }
            if (date.isBefore(FIRST_DATE)) {
                throw new BadRequest("Field '" + field + "' must be a date from " + FIRST_DATE + " to 9999-12-31, was "
                        + text);
            }
            return date;
        }
    }
}

package com.allocationservice.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Checks an HTTP response against the service's OpenAPI document ({@code src/main/resources/openapi.json}):
 * its status must be listed for the operation, its content type must be one the operation lists for
 * that status, its required headers present, and a JSON body must match the listed schema, validated
 * by networknt's JSON Schema validator in the OpenAPI 3.1 dialect. A request that matches no operation
 * (an unknown path, another method) must be answered 4xx with the document's {@code Message} shape;
 * the web page's files under {@code /static/} are the page's assets, outside the contract.
 * Every HTTP client of the tests goes through {@link #check}, so the document cannot drift from the code.
 */
public final class OpenApiContract {

    private static final String LOCATION = "classpath:openapi.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode DOCUMENT = read();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDialect(Dialects.getOpenApi31());
    private static final Map<String, Schema> COMPILED = new ConcurrentHashMap<>();

    private OpenApiContract() {
    }

    /** The document, as the tests read it. */
    public static JsonNode document() {
        return DOCUMENT;
    }

    public static void check(String method, URI uri, HttpResponse<String> response) {
        check(method, uri, response.statusCode(), response.headers().firstValue("Content-Type").orElse(null),
                response.headers().map().keySet(), response.body());
    }

    /** Throws an {@link AssertionError} naming every way the response differs from the document. */
    public static void check(String method, URI uri, int status, String contentType, Iterable<String> headers,
            String body) {
        List<String> problems = problems(method, uri.getRawPath(), status, contentType, headers, body);
        if (!problems.isEmpty()) {
            throw new AssertionError("The response to " + method + " " + uri.getRawPath() + " does not match openapi.json: "
                    + String.join("; ", problems) + "\n  status " + status + ", Content-Type " + contentType
                    + ", body " + excerpt(body));
        }
    }

    public static List<String> problems(String method, String path, int status, String contentType, Iterable<String> headers,
            String body) {
        if (path.startsWith("/static/") && status < 400) {
            return List.of(); // the web page's files: assets of the page at "/", not part of the API
        }
        Optional<String> template = template(path);
        String verb = method.toLowerCase(Locale.ROOT);
        if (template.isEmpty() || !DOCUMENT.at(pointer("paths", template.get())).has(verb)) {
            if (status < 400 || status > 499) {
                return List.of("no operation " + method + " " + path + " is documented, so the answer must be 4xx");
            }
            return validate("/components/schemas/Message", body);
        }
        String operation = pointer("paths", template.get(), verb);
        JsonNode responses = DOCUMENT.at(operation + "/responses");
        String code = Integer.toString(status);
        if (!responses.has(code)) {
            return List.of("status " + status + " is not documented for " + method + " " + template.get()
                    + " (documented: " + names(responses) + ")");
        }
        String responsePointer = resolve(operation + "/responses/" + code);
        JsonNode documented = DOCUMENT.at(responsePointer);
        List<String> problems = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = documented.path("headers").properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> header = it.next();
            boolean present = false;
            for (String name : headers) {
                present |= name.equalsIgnoreCase(header.getKey());
            }
            if (header.getValue().path("required").asBoolean() && !present) {
                problems.add("required header " + header.getKey() + " is missing");
            }
        }
        JsonNode content = documented.path("content");
        if (content.isEmpty()) {
            if (body != null && !body.isEmpty()) {
                problems.add("no body is documented, but one came");
            }
            return problems;
        }
        String mediaType = contentType == null ? "(none)" : contentType.split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (!content.has(mediaType)) {
            problems.add("Content-Type " + mediaType + " is not documented (documented: " + names(content) + ")");
            return problems;
        }
        if (mediaType.equals("application/json")) {
            problems.addAll(validate(responsePointer + pointer("content", mediaType, "schema"), body));
        }
        return problems;
    }

    /** The document's path template that {@code path} matches: a literal path before a templated one. */
    static Optional<String> template(String path) {
        Optional<String> templated = Optional.empty();
        for (String candidate : names(DOCUMENT.path("paths"))) {
            if (candidate.equals(path)) {
                return Optional.of(candidate);
            }
            String regex = Pattern.quote(candidate).replaceAll("\\{[^}/]+}", "\\\\E[^/]+\\\\Q");
            if (templated.isEmpty() && path.matches(regex)) {
                templated = Optional.of(candidate);
            }
        }
        return templated;
    }

    private static List<String> validate(String pointer, String body) {
        Schema schema = COMPILED.computeIfAbsent(pointer, p -> SCHEMAS.getSchema(SchemaLocation.of(LOCATION + "#" + p)));
        if (body == null || body.isBlank()) {
            return List.of("the body is empty, a JSON body is documented");
        }
        try {
            JSON.readTree(body);
        } catch (IOException e) {
            return List.of("the body is not JSON");
        }
        return schema.validate(body, InputFormat.JSON).stream().map(Object::toString).toList();
    }

    /** Follows a response's {@code $ref} to {@code #/components/responses/...}, the only kind the document uses. */
    private static String resolve(String pointer) {
        JsonNode ref = DOCUMENT.at(pointer).get("$ref");
        return ref == null ? pointer : ref.textValue().substring(1);
    }

    /** A JSON pointer from its unescaped tokens ({@code /} within a token becomes {@code ~1}). */
    private static String pointer(String... tokens) {
        StringBuilder pointer = new StringBuilder();
        for (String token : tokens) {
            pointer.append('/').append(token.replace("~", "~0").replace("/", "~1"));
        }
        return pointer.toString();
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String excerpt(String body) {
        return body == null ? "(none)" : body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    private static JsonNode read() {
        try (InputStream in = OpenApiContract.class.getClassLoader().getResourceAsStream("openapi.json")) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

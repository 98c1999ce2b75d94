package com.allocationservice.entrypoints;

import io.javalin.http.Context;
import io.javalin.http.NotFoundResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The API's OpenAPI document, a hand-written resource, at {@code /openapi.json}, and its rendering by
 * Swagger UI at {@code /docs}: the page, its script and its style sheet all come from the jar (the
 * Swagger UI WebJar), so nothing is loaded from the internet.
 */
final class ApiDocs {

    private static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/";
    private static final Map<String, String> ASSETS = Map.of(
            "swagger-ui-bundle.js", "text/javascript",
            "swagger-ui.css", "text/css");

    private final byte[] document;
    private final byte[] page;
    private final String assets;

    private ApiDocs(byte[] document, byte[] page, String assets) {
        this.document = document;
        this.page = page;
        this.assets = assets;
    }

    static ApiDocs load() {
        return new ApiDocs(bytes("openapi.json"), bytes("docs/index.html"),
                SWAGGER_UI + webjarVersion("org.webjars", "swagger-ui") + "/");
    }

    /** The version of a WebJar on the class path, as its pom.properties says (the pom names it once). */
    static String webjarVersion(String group, String artifact) {
        Properties webjar = new Properties();
        try (InputStream in = stream("META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
            webjar.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return webjar.getProperty("version");
    }

    void document(Context ctx) {
        ctx.contentType("application/json").result(document);
    }

    void page(Context ctx) {
        ctx.contentType("text/html; charset=utf-8").result(page);
    }

    /** One of the Swagger UI files the page uses; any other name is 404, so nothing else of the jar is served. */
    void asset(Context ctx) {
        String name = ctx.pathParam("asset");
        String type = ASSETS.get(name);
        if (type == null) {
            throw new NotFoundResponse("No such file: /docs/" + name);
        }
        ctx.header("Cache-Control", "max-age=3600").contentType(type + "; charset=utf-8").result(stream(assets + name));
    }

    /** A resource of the jar, read whole; a missing one is a packaging bug. */
    static byte[] bytes(String resource) {
        try (InputStream in = stream(resource)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream stream(String resource) {
        InputStream in = ApiDocs.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("missing resource " + resource);
        }
        return in;
    }
}

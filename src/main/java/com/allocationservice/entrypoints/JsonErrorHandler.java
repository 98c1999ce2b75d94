package com.allocationservice.entrypoints;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's answer to requests it refuses before Javalin sees them (bad URI encoding, ambiguous paths,
 * URI or headers too long, a Content-Length that is not a number): the same {@code {"message": ...}} JSON as every other error, instead of
 * an HTML page, naming the problem. It always says {@code Connection: close}: after a request it
 * could not parse, Jetty closes the connection, and a keep-alive client must know not to reuse it.
 */
final class JsonErrorHandler extends ErrorHandler {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(Map.of("message", describe(request, code, message, cause)));
        } catch (JsonProcessingException e) {
            body = "{\"message\":\"Bad request\"}".getBytes(StandardCharsets.UTF_8);
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** What was wrong, in words: Jetty's own reasons are often only the status text, or a parser's detail. */
    static String describe(Request request, int code, String message, Throwable cause) {
        int limit = request.getConnectionMetaData().getHttpConfiguration().getRequestHeaderSize();
        if (code == HttpStatus.URI_TOO_LONG_414) {
            return "URI too long: the request line must fit in " + limit + " bytes";
        }
        if (code == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431) {
            return "Request headers too large: the request line and headers must fit in " + limit + " bytes";
        }
        // before the URI checks: Jetty's refusal of a Content-Length also holds a NumberFormatException
        if (String.valueOf(message).contains("Invalid Content-Length")
                || causes(cause).anyMatch(t -> String.valueOf(t.getMessage()).contains("Invalid Content-Length"))) {
            return "Bad Content-Length header: it must be a whole number of bytes, 0 or more";
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof NumberFormatException || String.valueOf(t.getMessage()).contains("% encoding")) {
                return "Bad URI encoding: every '%' must be followed by two hexadecimal digits";
            }
            if ("Illegal character in path".equals(t.getMessage())) {
                return "Illegal character in the URI path: control characters, such as an encoded NUL (%00), are refused";
            }
        }
        String reason = HttpStatus.getMessage(code);
        return message == null || message.isBlank() || message.equals(reason) ? reason : reason + ": " + message;
    }

    private static Stream<Throwable> causes(Throwable cause) {
        return Stream.iterate(cause, t -> t != null, Throwable::getCause);
    }
}

package com.allocationservice.support;

import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver on a free local port, as a collector would be: it takes
 * {@code POST /v1/traces} (protobuf) and keeps every span it was sent, with ids in hex.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** A span as received; attribute values as text. */
    public record Span(String traceId, String spanId, String parentSpanId, String name, Map<String, String> attributes,
            List<String> linkedSpanIds) {
    }

    private static final HexFormat HEX = HexFormat.of();

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Span> spans = new ConcurrentLinkedQueue<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            OtlpReceiver receiver = new OtlpReceiver(server);
            server.createContext("/v1/traces", exchange -> {
                try (exchange) {
                    boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
                    try (InputStream body = gzip ? new GZIPInputStream(exchange.getRequestBody())
                            : exchange.getRequestBody()) {
                        receiver.add(ExportTraceServiceRequest.parseFrom(body.readAllBytes()));
                    } catch (InvalidProtocolBufferException e) {
                        exchange.sendResponseHeaders(400, -1);
                        return;
                    }
                    byte[] answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                    exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                    exchange.sendResponseHeaders(200, answer.length == 0 ? -1 : answer.length);
                    exchange.getResponseBody().write(answer);
                }
            });
            server.start();
            return receiver;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The endpoint for {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Span> spans() {
        return List.copyOf(spans);
    }

    public List<Span> spansOf(String traceId) {
        return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    private void add(ExportTraceServiceRequest request) {
        for (ResourceSpans resource : request.getResourceSpansList()) {
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (io.opentelemetry.proto.trace.v1.Span span : scope.getSpansList()) {
                    Map<String, String> attributes = new LinkedHashMap<>();
                    for (KeyValue kv : span.getAttributesList()) {
                        attributes.put(kv.getKey(), text(kv.getValue()));
                    }
                    spans.add(new Span(HEX.formatHex(span.getTraceId().toByteArray()),
                            HEX.formatHex(span.getSpanId().toByteArray()),
                            HEX.formatHex(span.getParentSpanId().toByteArray()), span.getName(), attributes,
                            span.getLinksList().stream().map(l -> HEX.formatHex(l.getSpanId().toByteArray())).toList()));
                }
            }
        }
    }

    private static String text(AnyValue value) {
        return switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            default -> value.toString();
        };
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

package com.allocationservice.bootstrap;

import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * OpenTelemetry traces, configured by the standard {@code OTEL_*} variables and {@code otel.*} system
 * properties (the SDK's autoconfiguration reads them), and off unless they ask for them: a traces
 * exporter other than {@code none}, or {@code OTEL_SDK_DISABLED=false}. Off, the SDK is not even
 * loaded, and nothing is traced (no filter, no span, no context work). On, only traces are exported
 * (metrics stay on {@code /metrics}, logs in the log) over OTLP/HTTP unless told otherwise, and the
 * service is named {@code allocation} unless {@code OTEL_SERVICE_NAME} says otherwise.
 */
public final class TracingSetup {

    /**
     * Lower in rank than any variable or property. OTLP goes over HTTP (protobuf), the protocol the
     * specification defaults to; the Java SDK's own default, gRPC, needs a sender this jar does not carry.
     */
    private static final Map<String, String> DEFAULTS = Map.of("otel.service.name", "allocation",
            "otel.metrics.exporter", "none", "otel.logs.exporter", "none",
            "otel.exporter.otlp.protocol", "http/protobuf");

    private TracingSetup() {
    }

    /** Whether these variables and properties (a property wins over its variable) turn tracing on. */
    public static boolean on(Map<String, String> env, Properties properties) {
        String disabled = properties.getProperty("otel.sdk.disabled", env.get("OTEL_SDK_DISABLED"));
        if (disabled != null && disabled.trim().equalsIgnoreCase("true")) {
            return false;
        }
        String exporter = properties.getProperty("otel.traces.exporter", env.get("OTEL_TRACES_EXPORTER"));
        if (exporter != null && !exporter.isBlank()) {
            return !exporter.trim().equalsIgnoreCase("none");
        }
        return disabled != null && disabled.trim().equalsIgnoreCase("false");
    }

    /** The SDK when tracing is on (to be closed, which exports the spans still buffered), else empty. */
    static Optional<OpenTelemetrySdk> start(Map<String, String> env, Properties properties) {
        if (!on(env, properties)) {
            return Optional.empty();
        }
        // the SDK reports through java.util.logging (an export that failed): into the service's log and format
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        return Optional.of(AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> DEFAULTS).build()
                .getOpenTelemetrySdk());
    }
}

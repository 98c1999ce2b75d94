package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.bootstrap.TracingSetup;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Tracing is off unless the OTEL_* variables or otel.* properties ask for it. */
class TracingSetupTest {

    @Test
    void is_off_without_any_otel_setting() {
        assertThat(TracingSetup.on(Map.of(), new Properties())).isFalse();
        assertThat(TracingSetup.on(Map.of("OTEL_SERVICE_NAME", "x"), new Properties())).isFalse();
    }

    @Test
    void is_on_with_a_traces_exporter_other_than_none() {
        assertThat(TracingSetup.on(Map.of("OTEL_TRACES_EXPORTER", "otlp"), new Properties())).isTrue();
        assertThat(TracingSetup.on(Map.of("OTEL_TRACES_EXPORTER", "none"), new Properties())).isFalse();
        assertThat(TracingSetup.on(Map.of("OTEL_TRACES_EXPORTER", " "), new Properties())).isFalse();
    }

    @Test
    void is_on_when_the_sdk_is_enabled_explicitly_and_off_when_disabled_whatever_the_exporter() {
        assertThat(TracingSetup.on(Map.of("OTEL_SDK_DISABLED", "false"), new Properties())).isTrue();
        assertThat(TracingSetup.on(Map.of("OTEL_SDK_DISABLED", "true", "OTEL_TRACES_EXPORTER", "otlp"),
                new Properties())).isFalse();
    }

    @Test
    void a_system_property_wins_over_its_variable() {
        Properties properties = new Properties();
        properties.setProperty("otel.traces.exporter", "otlp");
        assertThat(TracingSetup.on(Map.of("OTEL_TRACES_EXPORTER", "none"), properties)).isTrue();
        properties.setProperty("otel.traces.exporter", "none");
        assertThat(TracingSetup.on(Map.of("OTEL_TRACES_EXPORTER", "otlp"), properties)).isFalse();
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ALLOCATION_LOG_FORMAT=json}: everything the jar prints is one JSON object per line, access
 * log included; text stays the default; a malformed value stops start-up naming the variable.
 */
class LogFormatEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    @Test
    void json_format_prints_only_json_lines_and_the_access_log_shows_each_request() throws IOException {
        List<JsonNode> lines;
        try (ServiceProcess service = ServiceProcess.start(workDir,
                Map.of("ALLOCATION_LOG_FORMAT", "json", "ALLOCATION_ACCESS_LOG", "true"))) {
            service.post("/add_batch", "{\"ref\":\"b1\",\"sku\":\"LAMP\",\"qty\":5}");
            assertThat(service.get("/allocations/order-9").status()).isEqualTo(404);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> service.log().contains("GET /allocations/order-9 404"));
            service.stop();
            lines = parse(service.log());
        }

        assertThat(lines).extracting(line -> line.path("message").asText())
                .anyMatch(message -> message.startsWith("Allocation service listening on port"))
                .contains("Stopped");
        JsonNode access = lines.stream().filter(line -> line.path("logger_name").asText().equals("access")
                && line.path("path").asText().equals("/allocations/order-9")).findFirst().orElseThrow();
        assertThat(access.get("method").asText()).isEqualTo("GET");
        assertThat(access.get("status").asInt()).isEqualTo(404);
        assertThat(access.get("duration_ms").isNumber()).as(access.toString()).isTrue();
        assertThat(access.get("level").asText()).isEqualTo("INFO");
        assertThat(lines).anyMatch(line -> line.path("message").asText().startsWith("POST /add_batch 201 "));
    }

    @Test
    void text_is_the_default_and_the_access_log_is_off_unless_asked_for() {
        String log;
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of())) {
            service.get("/allocations/order-9");
            service.stop();
            log = service.log();
        }

        assertThat(log).contains(" INFO  [main] c.allocationservice.bootstrap.Main - Allocation service listening on port ")
                .doesNotContain("{\"@timestamp\"").doesNotContain("/allocations/order-9");
    }

    @Test
    void a_malformed_log_format_or_access_log_stops_start_up_naming_each_variable() {
        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir, Map.of("ALLOCATION_LOG_FORMAT", "xml",
                "ALLOCATION_ACCESS_LOG", "yes", "ALLOCATION_HTTP_PORT", "0"));

        assertThat(exit.code()).isEqualTo(2);
        assertThat(exit.output()).contains("ALLOCATION_LOG_FORMAT must be text or json, was 'xml'",
                "ALLOCATION_ACCESS_LOG must be true or false, was 'yes'");
    }

    /** Every line of the output, each parsed as one JSON object (fails on any other line). */
    private static List<JsonNode> parse(String output) {
        return output.lines().map(line -> {
            try {
                JsonNode node = JSON.readTree(line);
                assertThat(node.isObject()).as(line).isTrue();
                return node;
            } catch (IOException e) {
                throw new AssertionError("not a JSON line: " + line, e);
            }
        }).toList();
    }
}

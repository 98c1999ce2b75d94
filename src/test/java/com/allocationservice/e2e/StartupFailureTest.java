package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.Ports;
import com.allocationservice.support.TestDatabase;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An operator's mistake at start-up gets one line naming the problem and a non-zero exit, not a stack trace. */
class StartupFailureTest {

    @TempDir
    Path workDir;

    @Test
    void a_missing_postgresql_database_is_named_in_one_line() throws Exception {
        String missing = TestDatabase.postgresServerUrl().replaceAll("/[^/?]*(\\?.*)?$", "/no_such_database_here");
        ServiceProcess.Exit result = run(Map.of("ALLOCATION_DB_URL", missing, "ALLOCATION_HTTP_PORT", "0"));

        assertThat(result.code()).isEqualTo(1);
        assertThat(result.output().strip().lines())
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("Cannot start the allocation service: ")
                .contains("no_such_database_here");
    }

    /**
     * Tried again for {@code ALLOCATION_DB_START_TIMEOUT_MS} (here 5 s, against 30 by default), then named.
     * The time counts from the first attempt, which on a busy machine can itself take over a second
     * (1.5 s here once left no time to try again).
     */
    @Test
    void a_database_that_cannot_be_reached_is_tried_again_for_the_start_timeout_then_named() throws Exception {
        String nobody = "jdbc:postgresql://127.0.0.1:" + Ports.free() + "/allocation";
        long started = System.nanoTime();
        ServiceProcess.Exit result = run(Map.of("ALLOCATION_DB_URL", nobody, "ALLOCATION_DB_START_TIMEOUT_MS", "5000",
                "ALLOCATION_HTTP_PORT", "0"));

        assertThat(result.code()).isEqualTo(1);
        assertThat(result.output()).contains("The database cannot be reached yet",
                "for up to 5000 ms from the start (ALLOCATION_DB_START_TIMEOUT_MS)",
                "Cannot start the allocation service: ");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void a_port_already_taken_is_named_in_one_line() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            ServiceProcess.Exit result = run(Map.of("ALLOCATION_HTTP_PORT", Integer.toString(taken.getLocalPort())));

            assertThat(result.code()).isEqualTo(1);
            assertThat(result.output()).contains("Cannot start the allocation service: ")
                    .contains(Integer.toString(taken.getLocalPort()))
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void an_unknown_or_malformed_allocation_variable_stops_the_jar_naming_each() throws Exception {
        ServiceProcess.Exit result = run(Map.of("ALLOCATION_HTTP_PROT", "8080", "ALLOCATION_DB_POOL_SIZE", "many"));

        assertThat(result.code()).as("exit code for a configuration error").isEqualTo(2);
        assertThat(result.output()).contains("ALLOCATION_HTTP_PROT is not a setting this service knows")
                .contains("ALLOCATION_DB_POOL_SIZE must be a whole number from 1 to 1000, was 'many'")
                .doesNotContain("\tat ");
    }

    @Test
    void an_empty_api_token_stops_the_jar_instead_of_serving_without_authentication() throws Exception {
        ServiceProcess.Exit result = run(Map.of("ALLOCATION_API_TOKEN", "", "ALLOCATION_HTTP_PORT", "0"));

        assertThat(result.code()).as("exit code for a configuration error").isEqualTo(2);
        assertThat(result.output()).contains("ALLOCATION_API_TOKEN is set but empty; unset it or give a value")
                .doesNotContain("listening", "\tat ");
    }

    @Test
    void an_empty_database_url_stops_the_jar_instead_of_opening_an_embedded_database_of_its_own() throws Exception {
        ServiceProcess.Exit result = run(Map.of("ALLOCATION_DB_URL", "", "ALLOCATION_DB_USER", "app",
                "ALLOCATION_DB_PASSWORD", "db-pass-2468", "ALLOCATION_HTTP_PORT", "0"));

        assertThat(result.code()).as("exit code for a configuration error").isEqualTo(2);
        assertThat(result.output()).contains("ALLOCATION_DB_URL is set but empty; unset it or give a value")
                .doesNotContain("listening", "db-pass-2468", "\tat ");
        assertThat(workDir.resolve("data")).as("no embedded database was created").doesNotExist();
    }

    @Test
    void a_misspelt_database_url_outside_the_prefix_stops_the_jar_naming_the_setting_meant() throws Exception {
        ServiceProcess.Exit result = run(Map.of("ALLOCATON_DB_URL", "jdbc:postgresql://db.example/allocation",
                "ALLOCATION_HTTP_PORT", "0"));

        assertThat(result.code()).as("exit code for a configuration error").isEqualTo(2);
        assertThat(result.output()).contains("ALLOCATON_DB_URL is not a setting, but looks like ALLOCATION_DB_URL")
                .doesNotContain("listening", "\tat ");
        assertThat(workDir.resolve("data")).as("no embedded database was created").doesNotExist();
    }

    private ServiceProcess.Exit run(Map<String, String> settings) {
        return ServiceProcess.runUntilExit(workDir, settings);
    }
}

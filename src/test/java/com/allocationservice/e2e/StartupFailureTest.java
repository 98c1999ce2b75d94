package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.TestDatabase;
import java.net.ServerSocket;
import java.nio.file.Path;
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

    private ServiceProcess.Exit run(Map<String, String> settings) {
        return ServiceProcess.runUntilExit(workDir, settings);
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar's {@code token NAME SCOPES} command makes a token and its line for the tokens file; the jar
 * started with that file takes the token, with its scopes, and its access log names the token, never
 * showing it; a malformed file stops start-up naming the line.
 */
class ApiTokensEndToEndTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    @Test
    void a_token_made_by_the_jar_works_with_its_scopes_and_the_access_log_names_it() throws Exception {
        Command made = run("token", "shop", "allocate,read");
        assertThat(made.code()).as(made.stderr()).isZero();
        String token = made.stderr().strip();
        String line = made.stdout().strip();
        assertThat(token).matches("[A-Za-z0-9_-]{43}");
        assertThat(line).matches("shop allocate,read sha256:[0-9a-f]{64}").doesNotContain(token);
        Path tokens = workDir.resolve("tokens");
        Files.writeString(tokens, "# made by the jar\n" + line + "\n");

        String log;
        try (ServiceProcess service = ServiceProcess.start(workDir, Map.of("ALLOCATION_API_TOKENS_FILE",
                tokens.toString(), "ALLOCATION_ACCESS_LOG", "true", "ALLOCATION_LOG_FORMAT", "json"))) {
            assertThat(service.get("/products/LAMP/stock", token).status()).isEqualTo(404);
            ServiceProcess.Answer forbidden = service.post("/add_batch", "{\"ref\":\"b1\",\"sku\":\"LAMP\",\"qty\":5}", token);
            assertThat(forbidden.status()).isEqualTo(403);
            assertThat(forbidden.body()).contains("Token 'shop' lacks the scope 'purchase' for POST /add_batch");
            assertThat(service.get("/products/LAMP/stock", "not-" + token).status()).isEqualTo(401);
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> service.log().contains("POST /add_batch 403"));
            service.stop();
            log = service.log();
        }

        assertThat(log).doesNotContain(token);
        List<JsonNode> access = log.lines().map(ApiTokensEndToEndTest::json)
                .filter(entry -> entry.path("logger_name").asText().equals("access")
                        && !entry.path("path").asText().startsWith("/health")).toList();
        assertThat(access).filteredOn(entry -> entry.path("status").asInt() != 401)
                .extracting(entry -> entry.path("token").asText() + " " + entry.path("message").asText())
                .hasSize(2).allSatisfy(entry -> assertThat(entry).startsWith("shop ").endsWith(" token=shop"));
        assertThat(access).filteredOn(entry -> entry.path("status").asInt() == 401).singleElement()
                .satisfies(entry -> assertThat(entry.has("token")).as("an unknown token has no name").isFalse());
    }

    @Test
    void a_malformed_tokens_file_stops_start_up_naming_the_line() throws IOException {
        Path tokens = workDir.resolve("tokens");
        Files.writeString(tokens, "shop allocate sha256:" + "ab".repeat(32) + "\nshop read sha256:" + "cd".repeat(32) + "\n");

        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir, Map.of("ALLOCATION_API_TOKENS_FILE",
                tokens.toString(), "ALLOCATION_HTTP_PORT", "0"));

        assertThat(exit.code()).isEqualTo(1);
        assertThat(exit.output()).contains("Cannot start the allocation service: ALLOCATION_API_TOKENS_FILE " + tokens
                + ": line 2: the name 'shop' is given twice").doesNotContain("cd".repeat(32));
    }

    @Test
    void the_token_command_refuses_a_bad_scope_or_missing_arguments() throws Exception {
        Command bad = run("token", "shop", "admin");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.stderr()).contains("Cannot make the token: unknown scope 'admin'");
        assertThat(bad.stdout()).isEmpty();

        Command usage = run("token", "shop");
        assertThat(usage.code()).isEqualTo(2);
        assertThat(usage.stderr()).contains("Usage: java -jar allocation.jar token NAME SCOPE[,SCOPE...]");
    }

    private record Command(int code, String stdout, String stderr) {
    }

    private Command run(String... args) throws IOException, InterruptedException {
        Path out = workDir.resolve("stdout");
        Path err = workDir.resolve("stderr");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", System.getProperty("allocation.jar")));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("ALLOCATION_"));
        Process process = builder.start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the command did not exit");
            }
        } finally {
            process.destroyForcibly().waitFor();
        }
        return new Command(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not a JSON line: " + line, e);
        }
    }
}

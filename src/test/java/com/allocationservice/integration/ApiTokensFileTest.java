package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.support.Closing;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tokens file is read again while the service runs: a token is rotated (old and new both work
 * until the old line goes, then the old one gets 401) and revoked without a restart; a file that
 * becomes malformed or unreadable leaves the last good tokens in use and is shown in /status until it
 * is fixed. At start-up, a malformed or missing file stops the service.
 */
class ApiTokensFileTest {

    private static final String OLD = "old-token-0123456789";
    private static final String NEW = "new-token-0123456789";
    private static final Duration RELOADED = Duration.ofSeconds(10);

    private Path dir;
    private Path file;
    private TestService api;

    @BeforeEach
    void file() throws IOException {
        dir = Files.createTempDirectory("api-tokens");
        file = dir.resolve("tokens");
    }

    @AfterEach
    void stop() {
        Closing.all(api, () -> {
            try (var files = Files.list(dir)) {
                for (Path each : files.toList()) {
                    Files.delete(each);
                }
            }
            Files.delete(dir);
        });
    }

    @Test
    void a_token_is_rotated_then_revoked_without_a_restart() throws IOException {
        write("shop read " + digest(OLD) + "\n");
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKENS_FILE", file.toString()));
        assertThat(status(OLD)).isEqualTo(200);
        assertThat(status(NEW)).isEqualTo(401);

        write("shop read " + digest(OLD) + "\nshop-2 read " + digest(NEW) + "\n");
        Awaitility.await().atMost(RELOADED).until(() -> status(NEW) == 200);
        assertThat(status(OLD)).as("the old token works until its line is removed").isEqualTo(200);

        replace("# rotated\nshop-2 read " + digest(NEW) + "\n");
        Awaitility.await().atMost(RELOADED).until(() -> status(OLD) == 401);
        assertThat(status(NEW)).isEqualTo(200);
        assertThat(tokensStatus().path("tokens").asInt()).isEqualTo(1);
        assertThat(tokensStatus().path("problem").isNull()).isTrue();
    }

    @Test
    void a_file_broken_while_running_keeps_the_last_good_tokens_and_shows_the_problem_until_fixed() throws IOException {
        write("shop read " + digest(OLD) + "\n");
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKENS_FILE", file.toString()));

        write("shop read " + digest(OLD) + "\nshop-2 raed " + digest(NEW) + "\n");
        Awaitility.await().atMost(RELOADED).until(() -> !tokensStatus().path("problem").isNull());
        assertThat(tokensStatus().path("problem").asText()).isEqualTo("line 2: unknown scope 'raed' (known:"
                + " read,allocate,purchase,operate)");
        assertThat(status(OLD)).as("the last good tokens stay in use").isEqualTo(200);
        assertThat(status(NEW)).as("nothing of the broken file is used").isEqualTo(401);

        Files.delete(file);
        Awaitility.await().atMost(RELOADED).until(() -> tokensStatus().path("problem").asText().startsWith("cannot be read"));
        assertThat(status(OLD)).isEqualTo(200);

        write("shop-2 read " + digest(NEW) + "\n");
        Awaitility.await().atMost(RELOADED).until(() -> tokensStatus().path("problem").isNull());
        assertThat(status(NEW)).isEqualTo(200);
        assertThat(status(OLD)).isEqualTo(401);
    }

    @Test
    void the_single_token_works_beside_the_file_with_every_scope() throws IOException {
        write("shop read " + digest(OLD) + "\n");
        api = TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKENS_FILE", file.toString(),
                "ALLOCATION_API_TOKEN", NEW));

        assertThat(status(OLD)).isEqualTo(200);
        assertThat(status(NEW)).isEqualTo(200);
        assertThat(tokensStatus().path("tokens").asInt()).isEqualTo(2);
        assertThat(api.send(HttpRequest.newBuilder(api.uri("/add_batch")).header("Authorization", "Bearer " + OLD)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 5}")).build())
                .statusCode()).isEqualTo(403);
        assertThat(api.send(HttpRequest.newBuilder(api.uri("/add_batch")).header("Authorization", "Bearer " + NEW)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 5}")).build())
                .statusCode()).isEqualTo(201);
    }

    @Test
    void a_malformed_or_missing_file_stops_start_up_naming_the_line_never_the_digest() throws IOException {
        write("# tokens\nshop read " + digest(OLD) + "\nbuyer purchase " + OLD + "\n");

        assertThatThrownBy(() -> TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKENS_FILE",
                file.toString()))).hasMessage("ALLOCATION_API_TOKENS_FILE " + file + ": line 3: the token must be given"
                        + " as 'sha256:' and 64 lower-case hex digits (its SHA-256 digest, never the token itself)")
                .hasMessageNotContaining(OLD).hasMessageNotContaining(digest(OLD));

        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> TestService.start(TestDatabase.Kind.H2, Map.of("ALLOCATION_API_TOKENS_FILE",
                missing.toString()))).hasMessageStartingWith("ALLOCATION_API_TOKENS_FILE " + missing + ": NoSuchFileException");
    }

    /** The status of GET /status with this token. */
    private int status(String token) {
        return api.send(HttpRequest.newBuilder(api.uri("/status")).header("Authorization", "Bearer " + token).build())
                .statusCode();
    }

    private JsonNode tokensStatus() {
        return TestService.json(api.send(HttpRequest.newBuilder(api.uri("/status"))
                .header("Authorization", "Bearer " + (status(OLD) == 200 ? OLD : NEW)).build())).path("api_tokens");
    }

    private void write(String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** As an editor saves: a new file moved over the old one. */
    private void replace(String text) throws IOException {
        Path next = dir.resolve("tokens.new");
        Files.writeString(next, text, StandardCharsets.UTF_8);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String digest(String token) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

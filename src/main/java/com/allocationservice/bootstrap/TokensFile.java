package com.allocationservice.bootstrap;

import com.allocationservice.entrypoints.ApiTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API tokens of {@code ALLOCATION_API_TOKENS_FILE}, with {@code ALLOCATION_API_TOKEN} (when set)
 * as the token {@value #API_TOKEN_NAME} with every scope. Read at start-up, where a file that cannot be
 * read or parsed stops the service; then read again every {@code interval} (the whole file: it is
 * small, and a change that keeps its size and time stamp is not missed). A changed file that parses
 * replaces the tokens at once. One that does not, or that cannot be read, leaves the last good tokens
 * in use, is logged as an ERROR once, and is shown in {@code GET /status} until it is fixed: a typo
 * must not lock every client out, at the price that a token being revoked by the broken edit stays
 * valid meanwhile (docs/security.md).
 */
final class TokensFile implements Supplier<ApiTokens> {

    static final String API_TOKEN_NAME = "api-token";

    private static final Logger log = LoggerFactory.getLogger(TokensFile.class);

    private final Path file;
    private final Optional<String> apiToken;
    private volatile ApiTokens current;
    private volatile String problem;
    private byte[] lastRead;

    /** Reads the file, or throws saying why it cannot be used. */
    TokensFile(Path file, Optional<String> apiToken) {
        this.file = file;
        this.apiToken = apiToken;
        try {
            lastRead = Files.readAllBytes(file);
            current = tokens(lastRead);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("ALLOCATION_API_TOKENS_FILE " + file + ": " + why(e), e);
        }
        log.info("API tokens read from {}: {}", file, current.names());
    }

    @Override
    public ApiTokens get() {
        return current;
    }

    /** Starts reading the file again every {@code interval}; closing stops it. */
    AutoCloseable watch(Duration interval) {
        return Every.start("API tokens file watcher", interval, this::reread);
    }

    /** For {@code GET /status}: the file, how many tokens are in use, and why the file as it is now is not. */
    Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("file", file.toString());
        status.put("tokens", current.names().size());
        status.put("problem", problem);
        return status;
    }

    private void reread() {
        byte[] read;
        try {
            read = Files.readAllBytes(file);
        } catch (IOException e) {
            refuse("cannot be read (" + why(e) + ")");
            return;
        }
        if (Arrays.equals(read, lastRead)) {
            return;
        }
        lastRead = read;
        try {
            ApiTokens tokens = tokens(read);
            current = tokens;
            problem = null;
            log.info("API tokens read again from {}: {}", file, tokens.names());
        } catch (IllegalArgumentException e) {
            refuse(e.getMessage());
        }
    }

    /** Keeps the tokens in use; logs the problem the first time it is seen. */
    private void refuse(String why) {
        if (!why.equals(problem)) {
            log.error("API tokens file {} {}; the {} tokens read before stay in use until it is fixed", file,
                    why.startsWith("line ") ? "refused, " + why : why, current.names().size());
            if (why.startsWith("cannot")) {
                lastRead = null;   // read it again in full once it is back
            }
        }
        problem = why;
    }

    private ApiTokens tokens(byte[] text) {
        ApiTokens tokens = ApiTokens.parse(new String(text, StandardCharsets.UTF_8));
        if (apiToken.isPresent()) {
            if (tokens.names().contains(API_TOKEN_NAME)) {
                throw new IllegalArgumentException("the name '" + API_TOKEN_NAME + "' is that of ALLOCATION_API_TOKEN;"
                        + " give the line another name");
            }
            tokens = tokens.with(ApiTokens.everyScope(API_TOKEN_NAME, apiToken.get()));
        }
        return tokens;
    }

    private static String why(Exception e) {
        return e instanceof IOException ? e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                + e.getMessage()) : e.getMessage();
    }
}

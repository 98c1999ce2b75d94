package com.allocationservice.entrypoints;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The API token a request must present as {@code Authorization: Bearer <token>}. Tokens are compared
 * as SHA-256 digests with {@link MessageDigest#isEqual}: the time taken depends neither on where the
 * presented token first differs nor on its length.
 */
public final class BearerToken {

    private static final String SCHEME = "Bearer ";

    private final byte[] digest;

    public BearerToken(String token) {
        this.digest = sha256(token);
    }

    /** Why the request is refused, or empty when its header carries the token. */
    public Optional<String> refusal(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Optional.of("Missing 'Authorization: Bearer <token>' header");
        }
        if (!authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                || authorization.substring(SCHEME.length()).isBlank()) {
            return Optional.of("The Authorization header must be 'Bearer <token>'");
        }
        byte[] presented = sha256(authorization.substring(SCHEME.length()).strip());
        return MessageDigest.isEqual(digest, presented) ? Optional.empty() : Optional.of("Invalid API token");
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}

package com.allocationservice.entrypoints;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The named API tokens a request may present as {@code Authorization: Bearer <token>}, each with its
 * scopes, as read from the tokens file ({@code ALLOCATION_API_TOKENS_FILE}): one token a line,
 * {@code name scope[,scope...] sha256:<hex digest of the token>}, blank lines and {@code #} comments
 * allowed. Only digests are kept. A presented token is hashed and compared with every digest with
 * {@link MessageDigest#isEqual}: the time taken depends neither on where it differs from a known
 * token nor on which token it is.
 */
public final class ApiTokens {

    private static final String SCHEME = "Bearer ";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** A misspelt scope is quoted in the error; anything else (a token in the wrong place?) is not. */
    private static final Pattern WORD = Pattern.compile("[A-Za-z]{0,20}");
    private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    /** A known token: its name (logged), its scopes, and the SHA-256 digest of the token (never the token). */
    public record Token(String name, Set<Scope> scopes, byte[] digest) {
        public Token {
            scopes = Set.copyOf(scopes);
            digest = digest.clone();
        }
    }

    /** Who presented the request, or why it is refused (401). */
    public sealed interface Identity {
    }

    public record Known(Token token) implements Identity {
    }

    public record Refused(String why) implements Identity {
    }

    private final List<Token> tokens;

    private ApiTokens(List<Token> tokens) {
        this.tokens = List.copyOf(tokens);
    }

    /** These tokens; their names must be unique. */
    public static ApiTokens of(Collection<Token> tokens) {
        Set<String> names = tokens.stream().map(Token::name).collect(Collectors.toSet());
        if (names.size() != tokens.size()) {
            throw new IllegalArgumentException("token names must be unique");
        }
        return new ApiTokens(List.copyOf(tokens));
    }

    /** A token given in clear (ALLOCATION_API_TOKEN), with every scope. */
    public static Token everyScope(String name, String token) {
        return new Token(name, EnumSet.allOf(Scope.class), sha256(token));
    }

    /**
     * The tokens of a tokens file. A malformed line is refused naming its number and what is wrong
     * with it (a digest is never quoted).
     */
    public static ApiTokens parse(String text) {
        List<Token> tokens = new ArrayList<>();
        Set<String> names = new HashSet<>();
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "line " + (i + 1) + ": ";
            String[] fields = line.split("\\s+");
            if (fields.length != 3) {
                throw new IllegalArgumentException(where + "expected 'name scope[,scope...] sha256:<hex digest>',"
                        + " found " + fields.length + " field" + (fields.length == 1 ? "" : "s"));
            }
            String name = fields[0];
            if (!NAME.matcher(name).matches()) {
                // not quoted: a token pasted in the wrong place must not reach the log
                throw new IllegalArgumentException(where + "the name must be 1 to 64 of A-Z a-z 0-9 . _ -");
            }
            if (!names.add(name)) {
                throw new IllegalArgumentException(where + "the name '" + name + "' is given twice");
            }
            Set<Scope> scopes = EnumSet.noneOf(Scope.class);
            for (String label : fields[1].split(",", -1)) {
                scopes.add(Scope.of(label).orElseThrow(() -> new IllegalArgumentException(where + "unknown scope "
                        + (WORD.matcher(label).matches() ? "'" + label + "'" : "(not a word: not quoted)")
                        + " (known: " + labels(EnumSet.allOf(Scope.class)) + ")")));
            }
            if (!DIGEST.matcher(fields[2]).matches()) {
                throw new IllegalArgumentException(where + "the token must be given as 'sha256:' and 64 lower-case hex"
                        + " digits (its SHA-256 digest, never the token itself)");
            }
            tokens.add(new Token(name, scopes, HexFormat.of().parseHex(fields[2].substring("sha256:".length()))));
        }
        return new ApiTokens(tokens);
    }

    /** These tokens and one more, whose name must be new. */
    public ApiTokens with(Token token) {
        List<Token> all = new ArrayList<>(tokens);
        all.add(token);
        return of(all);
    }

    public List<String> names() {
        return tokens.stream().map(Token::name).toList();
    }

    /** The known token an {@code Authorization} header carries, or why it is refused. */
    public Identity identify(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return new Refused("Missing 'Authorization: Bearer <token>' header");
        }
        if (!authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
                || authorization.substring(SCHEME.length()).isBlank()) {
            return new Refused("The Authorization header must be 'Bearer <token>'");
        }
        byte[] presented = sha256(authorization.substring(SCHEME.length()).strip());
        Token found = null;
        for (Token token : tokens) {
            // every digest is compared, the match or not: the time does not say which token it is
            if (MessageDigest.isEqual(token.digest(), presented)) {
                found = token;
            }
        }
        return found == null ? new Refused("Invalid API token") : new Known(found);
    }

    /** A new random token (32 bytes, base64url without padding) and its line for the tokens file. */
    public record NewToken(String token, String line) {
    }

    /** A new token for this name and these scopes (as written in the file: {@code read,allocate}). */
    public static NewToken generate(String name, String scopes, SecureRandom random) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String line = name + " " + scopes + " sha256:" + HexFormat.of().formatHex(sha256(token));
        parse(line);   // refuses a bad name or scope as the service would, naming it
        return new NewToken(token, line);
    }

    static String labels(Set<Scope> scopes) {
        return Arrays.stream(Scope.values()).filter(scopes::contains).map(Scope::label).collect(Collectors.joining(","));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}

package com.allocationservice.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the service reads from its environment. {@link #fromEnvironment} refuses an unknown
 * {@code ALLOCATION_*} variable (a typo would otherwise be silently ignored) and any malformed value,
 * naming each problem at once.
 *
 * @param redisUrl empty: no Redis (the embedded default); outgoing messages are then only logged
 * @param smtp empty: no SMTP; notifications are then only logged
 */
public record Settings(int httpPort, String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
        Optional<URI> redisUrl, Optional<Smtp> smtp, String notifyFrom, String notifyTo,
        Duration outOfStockEmailWindow, boolean relayEnabled, boolean consumerEnabled) {

    /**
     * The embedded default: an H2 file database under ./data, in PostgreSQL mode. H2 does not close
     * it from its own shutdown hook: the service closes it after in-flight requests and the relay.
     */
    public static final String EMBEDDED_DB_URL =
            "jdbc:h2:file:./data/allocation;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE";

    public static final String DEFAULT_NOTIFY_FROM = "allocations@example.com";
    public static final String DEFAULT_NOTIFY_TO = "stock@made.com";

    private static final Set<String> KNOWN = Set.of(
            "ALLOCATION_HTTP_PORT", "ALLOCATION_DB_URL", "ALLOCATION_DB_USER", "ALLOCATION_DB_PASSWORD",
            "ALLOCATION_DB_POOL_SIZE", "ALLOCATION_REDIS_URL", "ALLOCATION_SMTP_HOST", "ALLOCATION_SMTP_PORT",
            "ALLOCATION_NOTIFY_FROM", "ALLOCATION_NOTIFY_TO", "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS",
            "ALLOCATION_RELAY_ENABLED", "ALLOCATION_CONSUMER_ENABLED");

    /** An SMTP server to send notifications through (no authentication, no TLS: a local relay). */
    public record Smtp(String host, int port) {
    }

    /** Thrown with every problem found, one per line. */
    public static final class InvalidSettings extends RuntimeException {
        InvalidSettings(List<String> problems) {
            super("Invalid configuration:\n  " + String.join("\n  ", problems));
        }
    }

    public boolean embeddedDatabase() {
        return dbUrl.startsWith("jdbc:h2:");
    }

    /** The settings of an environment with no {@code ALLOCATION_*} variable: everything embedded. */
    public static Settings defaults() {
        return fromEnvironment(Map.of());
    }

    public static Settings fromEnvironment(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Set<String> unknown = new TreeSet<>();
        for (String name : env.keySet()) {
            if (name.startsWith("ALLOCATION_") && !KNOWN.contains(name)) {
                unknown.add(name);
            }
        }
        unknown.forEach(name -> problems.add(name + " is not a setting this service knows (known: "
                + String.join(", ", new TreeSet<>(KNOWN)) + ")"));

        int port = integer(env, "ALLOCATION_HTTP_PORT", 8080, 0, 65535, problems);
        int poolSize = integer(env, "ALLOCATION_DB_POOL_SIZE", 8, 1, 1000, problems);
        String url = env.getOrDefault("ALLOCATION_DB_URL", "").strip();
        if (url.isEmpty()) {
            url = EMBEDDED_DB_URL;
        } else if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:h2:")) {
            problems.add("ALLOCATION_DB_URL must be a jdbc:postgresql: or jdbc:h2: URL, was '" + url + "'");
        }
        String user = env.getOrDefault("ALLOCATION_DB_USER", url.startsWith("jdbc:h2:") ? "sa" : "postgres");
        String password = env.getOrDefault("ALLOCATION_DB_PASSWORD", "");

        Optional<URI> redis = redisUrl(env.getOrDefault("ALLOCATION_REDIS_URL", "").strip(), problems);
        String smtpHost = env.getOrDefault("ALLOCATION_SMTP_HOST", "").strip();
        int smtpPort = integer(env, "ALLOCATION_SMTP_PORT", 25, 1, 65535, problems);
        if (smtpHost.isEmpty() && env.containsKey("ALLOCATION_SMTP_PORT")) {
            problems.add("ALLOCATION_SMTP_PORT is set but ALLOCATION_SMTP_HOST is not");
        }
        Optional<Smtp> smtp = smtpHost.isEmpty() ? Optional.empty() : Optional.of(new Smtp(smtpHost, smtpPort));
        String from = address(env, "ALLOCATION_NOTIFY_FROM", DEFAULT_NOTIFY_FROM, problems);
        String to = address(env, "ALLOCATION_NOTIFY_TO", DEFAULT_NOTIFY_TO, problems);
        int window = integer(env, "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS", 900, 0, 7 * 24 * 3600, problems);
        boolean relay = flag(env, "ALLOCATION_RELAY_ENABLED", problems);
        boolean consumer = flag(env, "ALLOCATION_CONSUMER_ENABLED", problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettings(problems);
        }
        return new Settings(port, url, user, password, poolSize, redis, smtp, from, to,
                Duration.ofSeconds(window), relay, consumer);
    }

    private static Optional<URI> redisUrl(String raw, List<String> problems) {
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try {
            URI uri = new URI(raw);
            if (("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        problems.add("ALLOCATION_REDIS_URL must look like redis://host:port[/db], was '" + raw + "'");
        return Optional.empty();
    }

    private static String address(Map<String, String> env, String name, String fallback, List<String> problems) {
        String value = env.getOrDefault(name, "").strip();
        if (value.isEmpty()) {
            return fallback;
        }
        if (!value.matches("[^@\\s]+@[^@\\s]+")) {
            problems.add(name + " must be an email address, was '" + value + "'");
        }
        return value;
    }

    private static boolean flag(Map<String, String> env, String name, List<String> problems) {
        String raw = env.getOrDefault(name, "").strip();
        return switch (raw) {
            case "", "true" -> true;
            case "false" -> false;
            default -> {
                problems.add(name + " must be true or false, was '" + raw + "'");
                yield true;
            }
        };
    }

    private static int integer(Map<String, String> env, String name, int fallback, int min, int max,
            List<String> problems) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.strip());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problems.add(name + " must be a whole number from " + min + " to " + max + ", was '" + raw + "'");
        return fallback;
    }
}

package com.allocationservice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Everything the service reads from its environment. {@link #fromEnvironment} refuses an unknown
 * {@code ALLOCATION_*} variable (a typo would otherwise be silently ignored) and any malformed value,
 * naming each problem at once.
 */
public record Settings(int httpPort, String dbUrl, String dbUser, String dbPassword, int dbPoolSize) {

    /** The embedded default: an H2 file database under ./data, in PostgreSQL mode. */
    public static final String EMBEDDED_DB_URL =
            "jdbc:h2:file:./data/allocation;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";

    private static final Set<String> KNOWN = Set.of(
            "ALLOCATION_HTTP_PORT", "ALLOCATION_DB_URL", "ALLOCATION_DB_USER", "ALLOCATION_DB_PASSWORD",
            "ALLOCATION_DB_POOL_SIZE");

    /** Thrown with every problem found, one per line. */
    public static final class InvalidSettings extends RuntimeException {
        InvalidSettings(List<String> problems) {
            super("Invalid configuration:\n  " + String.join("\n  ", problems));
        }
    }

    public boolean embeddedDatabase() {
        return dbUrl.startsWith("jdbc:h2:");
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
        if (!problems.isEmpty()) {
            throw new InvalidSettings(problems);
        }
        return new Settings(port, url, user, password, poolSize);
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

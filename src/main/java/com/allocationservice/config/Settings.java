package com.allocationservice.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the service reads from its environment. {@link #fromEnvironment} refuses an unknown
 * {@code ALLOCATION_*} variable (a typo would otherwise be silently ignored) and any malformed value,
 * naming each problem at once.
 *
 * @param redisUrl empty: no Redis (the embedded default); outgoing messages are then only logged
 * @param smtp empty: no SMTP; notifications are then only logged
 * @param streamMaxDeliveries a stream entry delivered this many times without success is dead-lettered
 * @param outboxMaxAttempts an outbox row that failed this many times is set aside for an operator
 * @param apiToken present: every endpoint but health and metrics needs {@code Authorization: Bearer <token>}
 * @param logFormat text lines, or one JSON object per line
 * @param accessLog one log line per answered HTTP request
 */
public record Settings(int httpPort, String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
        Optional<URI> redisUrl, Optional<Smtp> smtp, String notifyFrom, String notifyTo,
        Duration outOfStockEmailWindow, boolean relayEnabled, boolean consumerEnabled, Timeouts timeouts,
        int streamMaxDeliveries, int outboxMaxAttempts, Optional<String> apiToken, LogFormat logFormat,
        boolean accessLog) {

    /**
     * The embedded default: an H2 file database under ./data, in PostgreSQL mode. {@code WRITE_DELAY=0}:
     * H2 writes each commit to the file before the commit returns (its default writes them up to half
     * a second later, so a killed process loses acknowledged changes); the unit of work then fsyncs
     * it. H2 does not close the database from its own shutdown hook: the service closes it after
     * in-flight requests and the relay.
     */
    public static final String EMBEDDED_DB_URL = "jdbc:h2:file:./data/allocation;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
            + "DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";

    public static final String DEFAULT_NOTIFY_FROM = "allocations@example.com";
    public static final String DEFAULT_NOTIFY_TO = "stock@made.com";

    private static final Set<String> KNOWN = Set.of(
            "ALLOCATION_HTTP_PORT", "ALLOCATION_DB_URL", "ALLOCATION_DB_USER", "ALLOCATION_DB_PASSWORD",
            "ALLOCATION_DB_POOL_SIZE", "ALLOCATION_REDIS_URL", "ALLOCATION_SMTP_HOST", "ALLOCATION_SMTP_PORT",
            "ALLOCATION_NOTIFY_FROM", "ALLOCATION_NOTIFY_TO", "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS",
            "ALLOCATION_RELAY_ENABLED", "ALLOCATION_CONSUMER_ENABLED", "ALLOCATION_DB_CONNECT_TIMEOUT_MS",
            "ALLOCATION_DB_SOCKET_TIMEOUT_MS", "ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "ALLOCATION_DB_LOCK_TIMEOUT_MS",
            "ALLOCATION_REDIS_CONNECT_TIMEOUT_MS", "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "ALLOCATION_SMTP_TIMEOUT_MS",
            "ALLOCATION_STREAM_MAX_DELIVERIES", "ALLOCATION_OUTBOX_MAX_ATTEMPTS", "ALLOCATION_API_TOKEN",
            "ALLOCATION_LOG_FORMAT", "ALLOCATION_ACCESS_LOG");

    /** How log lines are written: {@code text} (the default) or {@code json} (one object per line). */
    public enum LogFormat {
        TEXT, JSON;

        /**
         * The format {@code ALLOCATION_LOG_FORMAT} asks for, or empty when it is malformed. Logging
         * reads it before the settings are checked; {@link #fromEnvironment} refuses a malformed one.
         */
        public static Optional<LogFormat> of(String raw) {
            return switch (raw == null ? "" : raw.strip()) {
                case "", "text" -> Optional.of(TEXT);
                case "json" -> Optional.of(JSON);
                default -> Optional.empty();
            };
        }
    }

    /** An SMTP server to send notifications through (no authentication, no TLS: a local relay). */
    public record Smtp(String host, int port) {
    }

    /**
     * How long each kind of I/O may take before it fails (and, for a request, answers 503).
     *
     * @param dbConnect opening a database connection, and waiting for one from the pool
     * @param dbSocket a database read with no answer (a partition); above the statement timeout
     * @param dbStatement one SQL statement (PostgreSQL {@code statement_timeout})
     * @param dbLock waiting for a row lock (PostgreSQL {@code lock_timeout})
     * @param redisConnect opening a Redis connection
     * @param redisSocket a Redis command with no answer
     * @param smtp connecting to, reading from and writing to the mail server, each
     */
    public record Timeouts(Duration dbConnect, Duration dbSocket, Duration dbStatement, Duration dbLock,
            Duration redisConnect, Duration redisSocket, Duration smtp) {
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
            problems.add("ALLOCATION_DB_URL must be a jdbc:postgresql: or jdbc:h2: URL, was '" + redactedJdbcUrl(url) + "'");
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
        Timeouts timeouts = new Timeouts(
                millis(env, "ALLOCATION_DB_CONNECT_TIMEOUT_MS", 5_000, problems),
                millis(env, "ALLOCATION_DB_SOCKET_TIMEOUT_MS", 30_000, problems),
                millis(env, "ALLOCATION_DB_STATEMENT_TIMEOUT_MS", 10_000, problems),
                millis(env, "ALLOCATION_DB_LOCK_TIMEOUT_MS", 5_000, problems),
                millis(env, "ALLOCATION_REDIS_CONNECT_TIMEOUT_MS", 2_000, problems),
                millis(env, "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", 5_000, problems),
                millis(env, "ALLOCATION_SMTP_TIMEOUT_MS", 10_000, problems));
        if (timeouts.dbSocket().compareTo(timeouts.dbStatement()) <= 0) {
            problems.add("ALLOCATION_DB_SOCKET_TIMEOUT_MS must be greater than ALLOCATION_DB_STATEMENT_TIMEOUT_MS ("
                    + timeouts.dbSocket().toMillis() + " <= " + timeouts.dbStatement().toMillis() + ")");
        }
        int maxDeliveries = integer(env, "ALLOCATION_STREAM_MAX_DELIVERIES", 5, 1, 1000, problems);
        int maxAttempts = integer(env, "ALLOCATION_OUTBOX_MAX_ATTEMPTS", 10, 1, 1000, problems);
        Optional<String> token = token(env, problems);
        LogFormat logFormat = LogFormat.of(env.get("ALLOCATION_LOG_FORMAT")).orElseGet(() -> {
            problems.add("ALLOCATION_LOG_FORMAT must be text or json, was '" + env.get("ALLOCATION_LOG_FORMAT") + "'");
            return LogFormat.TEXT; // equivalent mutant (null): a reported problem makes fromEnvironment throw
        });
        boolean accessLog = flag(env, "ALLOCATION_ACCESS_LOG", false, problems);
        if (!problems.isEmpty()) {
            throw new InvalidSettings(problems);
        }
        return new Settings(port, url, user, password, poolSize, redis, smtp, from, to,
                Duration.ofSeconds(window), relay, consumer, timeouts, maxDeliveries, maxAttempts, token, logFormat,
                accessLog);
    }

    /** Secrets (the database password, the API token, a Redis URL's password) are masked. */
    @Override
    public String toString() {
        return "Settings[httpPort=" + httpPort + ", dbUrl=" + redactedJdbcUrl(dbUrl) + ", dbUser=" + dbUser
                + ", dbPassword=" + (dbPassword.isEmpty() ? "" : "***") + ", dbPoolSize=" + dbPoolSize
                + ", redisUrl=" + redisUrl.map(Settings::redacted).orElse("") + ", smtp=" + smtp
                + ", notifyFrom=" + notifyFrom + ", notifyTo=" + notifyTo
                + ", outOfStockEmailWindow=" + outOfStockEmailWindow + ", relayEnabled=" + relayEnabled
                + ", consumerEnabled=" + consumerEnabled + ", timeouts=" + timeouts
                + ", streamMaxDeliveries=" + streamMaxDeliveries + ", outboxMaxAttempts=" + outboxMaxAttempts
                + ", apiToken=" + (apiToken.isPresent() ? "***" : "") + ", logFormat=" + logFormat
                + ", accessLog=" + accessLog + "]";
    }

    /**
     * This text with every secret of these settings (the database password, also one written in the
     * JDBC URL; the Redis URL's password; the API token) replaced by {@code ***}: for messages built
     * from other libraries' exceptions, which may quote a URL.
     */
    public String redact(String text) {
        List<String> secrets = new ArrayList<>(List.of(dbPassword));
        Matcher inUrl = JDBC_PASSWORD.matcher(dbUrl);
        while (inUrl.find()) {
            secrets.add(inUrl.group(1) != null ? inUrl.group(1) : inUrl.group(2));
        }
        redisUrl.map(URI::getRawUserInfo).map(info -> info.substring(info.indexOf(':') + 1)).ifPresent(password -> {
            secrets.add(password);
            secrets.add(URLDecoder.decode(password, StandardCharsets.UTF_8));
        });
        apiToken.ifPresent(secrets::add);
        String redacted = redactedJdbcUrl(text);
        for (String secret : secrets) {
            if (!secret.isEmpty()) {
                redacted = redacted.replace(secret, "***");
            }
        }
        return redacted;
    }

    /** A password in a JDBC URL: a {@code password=} parameter (1), or in {@code //user:password@} (2). */
    private static final Pattern JDBC_PASSWORD = Pattern.compile("(?i)password=([^&;\\s]*)|//[^/@:\\s]*:([^@/\\s]*)@");

    /** A JDBC URL (or any text holding one) with its passwords replaced by {@code ***}. */
    public static String redactedJdbcUrl(String url) {
        return JDBC_PASSWORD.matcher(url).replaceAll(match -> match.group(1) != null
                ? Matcher.quoteReplacement(match.group().substring(0, match.start(1) - match.start()) + "***")
                : Matcher.quoteReplacement(match.group().substring(0, match.start(2) - match.start()) + "***@"));
    }

    /** The URL with any password replaced by {@code ***}, for logs and messages. */
    public static String redacted(URI url) {
        String userInfo = url.getRawUserInfo();
        if (userInfo == null) {
            return url.toString();
        }
        int colon = userInfo.indexOf(':');
        String masked = colon < 0 ? "***" : userInfo.substring(0, colon) + ":***";
        return url.toString().replace(userInfo + "@", masked + "@");
    }

    private static Optional<String> token(Map<String, String> env, List<String> problems) {
        String raw = env.get("ALLOCATION_API_TOKEN");
        if (raw == null || raw.isEmpty()) {
            return Optional.empty();
        }
        if (raw.length() < 16 || !raw.matches("[\\x21-\\x7E]+")) {
            // the value itself is never echoed: it is a secret
            problems.add("ALLOCATION_API_TOKEN must be at least 16 printable characters without spaces");
        }
        return Optional.of(raw);
    }

    private static Duration millis(Map<String, String> env, String name, int fallback, List<String> problems) {
        return Duration.ofMillis(integer(env, name, fallback, 1, 3_600_000, problems));
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
        problems.add("ALLOCATION_REDIS_URL must look like redis[s]://[[user]:password@]host:port[/db], was '"
                + redactedRaw(raw) + "'");
        return Optional.empty();
    }

    /** A malformed URL may still hold a password: everything between "//" and the last "@" goes. */
    private static String redactedRaw(String raw) {
        int start = raw.indexOf("//");
        int at = raw.lastIndexOf('@');
        // equivalent mutant (at >= start): raw holds '/' at start and '@' at at, so they never meet
        return start >= 0 && at > start ? raw.substring(0, start + 2) + "***" + raw.substring(at) : raw;
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
        return flag(env, name, true, problems);
    }

    private static boolean flag(Map<String, String> env, String name, boolean fallback, List<String> problems) {
        String raw = env.getOrDefault(name, "").strip();
        return switch (raw) {
            case "" -> fallback;
            case "true" -> true;
            case "false" -> false;
            default -> {
                problems.add(name + " must be true or false, was '" + raw + "'");
                yield fallback;
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
        return fallback; // equivalent mutant (any int): with a problem reported, fromEnvironment throws and drops it
    }
}

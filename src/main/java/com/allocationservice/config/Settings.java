package com.allocationservice.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Everything the service reads from its environment. A variable that is present is used or refused,
 * never ignored: {@link #fromEnvironment} refuses an unknown {@code ALLOCATION_*} variable, a near miss
 * of a known name outside the prefix, an empty or malformed value, and a variable that means nothing
 * without another that is unset, naming each problem at once.
 *
 * @param redisUrl empty: no Redis (the embedded default); outgoing messages are then only logged
 * @param redisMinReplicas the replicas that must confirm a relay round's messages (Redis {@code WAIT})
 *        before its outbox rows are deleted; 0: none asked for
 * @param smtp empty: no SMTP; notifications are then only logged
 * @param streamMaxDeliveries a stream entry delivered this many times without success is dead-lettered
 * @param outboxMaxAttempts an outbox row that failed this many times is set aside for an operator
 * @param apiToken present: every endpoint but health and metrics needs {@code Authorization: Bearer <token>};
 *        this token has every scope
 * @param apiTokensFile present: the file of named tokens with scopes (their SHA-256 digests), re-read
 *        when it changes; every endpoint but health and metrics then needs one of them (or {@code apiToken})
 * @param logFormat text lines, or one JSON object per line
 * @param accessLog one log line per answered HTTP request
 * @param httpHeaderTimeout a connection that has not sent a whole request head (request line and headers) within this is closed
 * @param dbMinFreeBytes an embedded H2 database commits nothing while its file system has less free space than
 *        this, and answers "storage full" instead (0: no reserve; {@link #MIN_FREE_AUTO}: 64 MB, or a tenth
 *        of the file system if that is less); ignored on PostgreSQL
 * @param readDbUrl present: the views (the read side) read from this PostgreSQL URL, typically standbys
 *        ({@code targetServerType=preferSecondary}), with the same user and password; the writes, the
 *        outbox and the health check stay on {@code dbUrl}
 * @param chartInterval how often the page's live charts take a sample ({@code GET /status/history})
 * @param historyRetention how long the order lines' history is kept; older entries are pruned by the relay
 */
public record Settings(int httpPort, String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
        Optional<RedisUrl> redisUrl, int redisMinReplicas, Optional<Smtp> smtp, String notifyFrom, String notifyTo,
        Duration outOfStockEmailWindow, boolean relayEnabled, boolean consumerEnabled, Timeouts timeouts,
        int streamMaxDeliveries, int outboxMaxAttempts, Optional<String> apiToken, Optional<Path> apiTokensFile,
        LogFormat logFormat, boolean accessLog, Duration httpHeaderTimeout, long dbMinFreeBytes, Optional<String> readDbUrl,
        Duration chartInterval,
        Duration historyRetention) {

    /**
     * The embedded default: an H2 file database under ./data, in PostgreSQL mode. {@code WRITE_DELAY=0}:
     * H2 writes each commit to the file before the commit returns (its default writes them up to half
     * a second later, so a killed process loses acknowledged changes); the unit of work then fsyncs
     * it. H2 does not close the database from its own shutdown hook: the service closes it after
     * in-flight requests and the relay.
     */
    public static final String EMBEDDED_DB_URL = "jdbc:h2:file:./data/allocation;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
            + "DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";

    /** {@code ALLOCATION_DB_MIN_FREE_MB=auto}, the default: 64 MB, or a tenth of the file system if that is less. */
    public static final long MIN_FREE_AUTO = -1;

    private static final int MIN_REPLICAS_AUTO = -1;

    public static final String DEFAULT_NOTIFY_FROM = "allocations@example.com";
    public static final String DEFAULT_NOTIFY_TO = "stock@made.com";

    /** How a value is shown in {@link #toString}: as it is, with a password in it masked, or only whether it is set. */
    private enum Shown {
        PLAIN, PASSWORD_MASKED, SECRET
    }

    /**
     * One environment variable: its name, the text read when it is unset (set, it must hold more than
     * white space), how that text is read (an {@link IllegalArgumentException} says what is wrong with
     * it), how its value is shown, and where its value is in the settings.
     */
    private record Variable<T>(String name, String fallback, Function<String, T> parser, Shown shown,
            Function<Settings, ?> in) {

        /** The name as a field: ALLOCATION_DB_POOL_SIZE is dbPoolSize. */
        String label() {
            String[] words = name.substring("ALLOCATION_".length()).toLowerCase(Locale.ROOT).split("_");
            StringBuilder label = new StringBuilder(words[0]);
            for (int i = 1; i < words.length; i++) {
                label.append(Character.toUpperCase(words[i].charAt(0))).append(words[i], 1, words[i].length());
            }
            return label.toString();
        }

        String show(Settings settings) {
            Object value = value(settings);
            String text = value.toString();
            return switch (shown) {
                case PLAIN -> text;
                case PASSWORD_MASKED -> value instanceof RedisUrl ? text : redactedJdbcUrl(text);
                case SECRET -> text.isEmpty() ? "" : "***";
            };
        }

        /** What {@link #redact} masks of this variable's value: all of a secret, the passwords in a URL. */
        List<String> secrets(Settings settings) {
            Object value = value(settings);
            return switch (shown) {
                case PLAIN -> List.of();
                case PASSWORD_MASKED -> value instanceof RedisUrl url ? url.secrets() : passwords(value.toString());
                case SECRET -> List.of(value.toString());
            };
        }

        /** The value in the settings, an empty optional as an empty string. */
        private Object value(Settings settings) {
            Object value = in.apply(settings);
            if (value instanceof Optional<?> optional) {
                return optional.isPresent() ? optional.get() : "";
            }
            return value;
        }
    }

    private static final Variable<Integer> HTTP_PORT = new Variable<>("ALLOCATION_HTTP_PORT", "8080",
            whole(0, 65535), Shown.PLAIN, Settings::httpPort);
    private static final Variable<String> DB_URL = new Variable<>("ALLOCATION_DB_URL", EMBEDDED_DB_URL,
            Settings::jdbcUrl, Shown.PASSWORD_MASKED, Settings::dbUrl);
    /** Unset, the user is sa on H2 and postgres on PostgreSQL. */
    private static final Variable<String> DB_USER = new Variable<>("ALLOCATION_DB_USER", "",
            Function.identity(), Shown.PLAIN, Settings::dbUser);
    private static final Variable<String> DB_PASSWORD = new Variable<>("ALLOCATION_DB_PASSWORD", "",
            Function.identity(), Shown.SECRET, Settings::dbPassword);
    private static final Variable<Integer> DB_POOL_SIZE = new Variable<>("ALLOCATION_DB_POOL_SIZE", "8",
            whole(1, 1000), Shown.PLAIN, Settings::dbPoolSize);
    private static final Variable<Optional<RedisUrl>> REDIS_URL = new Variable<>("ALLOCATION_REDIS_URL", "",
            raw -> raw.isBlank() ? Optional.empty() : Optional.of(RedisUrl.parse(raw)), Shown.PASSWORD_MASKED,
            Settings::redisUrl);
    /** Unset ({@link #MIN_REPLICAS_AUTO}): 1 with Sentinels, else 0. */
    private static final Variable<Integer> REDIS_MIN_REPLICAS = new Variable<>("ALLOCATION_REDIS_MIN_REPLICAS", "",
            raw -> raw.isEmpty() ? MIN_REPLICAS_AUTO : whole(0, 100).apply(raw), Shown.PLAIN,
            Settings::redisMinReplicas);
    private static final Variable<String> SMTP_HOST = new Variable<>("ALLOCATION_SMTP_HOST", "",
            String::strip, Shown.PLAIN, s -> s.smtp().map(Smtp::host));
    private static final Variable<Integer> SMTP_PORT = new Variable<>("ALLOCATION_SMTP_PORT", "25",
            whole(1, 65535), Shown.PLAIN, s -> s.smtp().map(Smtp::port));
    private static final Variable<String> NOTIFY_FROM = new Variable<>("ALLOCATION_NOTIFY_FROM", DEFAULT_NOTIFY_FROM,
            Settings::address, Shown.PLAIN, Settings::notifyFrom);
    private static final Variable<String> NOTIFY_TO = new Variable<>("ALLOCATION_NOTIFY_TO", DEFAULT_NOTIFY_TO,
            Settings::address, Shown.PLAIN, Settings::notifyTo);
    private static final Variable<Duration> OUT_OF_STOCK_EMAIL_WINDOW = new Variable<>(
            "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS", "900", whole(0, 7 * 24 * 3600).andThen(Duration::ofSeconds),
            Shown.PLAIN, s -> s.outOfStockEmailWindow().toSeconds());
    private static final Variable<Boolean> RELAY_ENABLED = new Variable<>("ALLOCATION_RELAY_ENABLED", "true",
            Settings::flag, Shown.PLAIN, Settings::relayEnabled);
    private static final Variable<Boolean> CONSUMER_ENABLED = new Variable<>("ALLOCATION_CONSUMER_ENABLED", "true",
            Settings::flag, Shown.PLAIN, Settings::consumerEnabled);
    private static final Variable<Duration> DB_CONNECT_TIMEOUT = millis("ALLOCATION_DB_CONNECT_TIMEOUT_MS", "5000",
            Timeouts::dbConnect);
    private static final Variable<Duration> DB_START_TIMEOUT = millis("ALLOCATION_DB_START_TIMEOUT_MS", "30000",
            Timeouts::dbStart);
    private static final Variable<Duration> DB_SOCKET_TIMEOUT = millis("ALLOCATION_DB_SOCKET_TIMEOUT_MS", "30000",
            Timeouts::dbSocket);
    private static final Variable<Duration> DB_STATEMENT_TIMEOUT = millis("ALLOCATION_DB_STATEMENT_TIMEOUT_MS",
            "10000", Timeouts::dbStatement);
    private static final Variable<Duration> DB_LOCK_TIMEOUT = millis("ALLOCATION_DB_LOCK_TIMEOUT_MS", "5000",
            Timeouts::dbLock);
    private static final Variable<Duration> REDIS_CONNECT_TIMEOUT = millis("ALLOCATION_REDIS_CONNECT_TIMEOUT_MS",
            "2000", Timeouts::redisConnect);
    private static final Variable<Duration> REDIS_SOCKET_TIMEOUT = millis("ALLOCATION_REDIS_SOCKET_TIMEOUT_MS",
            "5000", Timeouts::redisSocket);
    private static final Variable<Duration> SMTP_TIMEOUT = millis("ALLOCATION_SMTP_TIMEOUT_MS", "10000",
            Timeouts::smtp);
    private static final Variable<Integer> STREAM_MAX_DELIVERIES = new Variable<>("ALLOCATION_STREAM_MAX_DELIVERIES",
            "5", whole(1, 1000), Shown.PLAIN, Settings::streamMaxDeliveries);
    private static final Variable<Integer> OUTBOX_MAX_ATTEMPTS = new Variable<>("ALLOCATION_OUTBOX_MAX_ATTEMPTS",
            "10", whole(1, 1000), Shown.PLAIN, Settings::outboxMaxAttempts);
    private static final Variable<Optional<String>> API_TOKEN = new Variable<>("ALLOCATION_API_TOKEN", "",
            Settings::token, Shown.SECRET, Settings::apiToken);
    private static final Variable<Optional<Path>> API_TOKENS_FILE = new Variable<>("ALLOCATION_API_TOKENS_FILE", "",
            Settings::file, Shown.PLAIN, Settings::apiTokensFile);
    private static final Variable<LogFormat> LOG_FORMAT = new Variable<>("ALLOCATION_LOG_FORMAT", "text",
            raw -> LogFormat.of(raw).orElseThrow(() -> new IllegalArgumentException("must be text or json, was '"
                    + raw + "'")), Shown.PLAIN, Settings::logFormat);
    private static final Variable<Boolean> ACCESS_LOG = new Variable<>("ALLOCATION_ACCESS_LOG", "false",
            Settings::flag, Shown.PLAIN, Settings::accessLog);
    private static final Variable<Duration> HTTP_HEADER_TIMEOUT = new Variable<>("ALLOCATION_HTTP_HEADER_TIMEOUT_MS",
            "20000", whole(1, 3_600_000).andThen(Duration::ofMillis), Shown.PLAIN, s -> s.httpHeaderTimeout().toMillis());
    private static final Variable<Long> DB_MIN_FREE_MB = new Variable<>("ALLOCATION_DB_MIN_FREE_MB", "auto",
            raw -> raw.strip().equals("auto") ? MIN_FREE_AUTO : whole(0, 1_000_000).apply(raw) * 1024L * 1024L,
            Shown.PLAIN, s -> s.dbMinFreeBytes() == MIN_FREE_AUTO ? "auto" : s.dbMinFreeBytes() / (1024 * 1024));

    private static final Variable<Optional<String>> READ_DB_URL = new Variable<>("ALLOCATION_READ_DB_URL", "",
            raw -> raw.isBlank() ? Optional.empty() : Optional.of(postgresUrl(raw)), Shown.PASSWORD_MASKED,
            s -> s.readDbUrl().orElse(""));

    private static final Variable<Duration> CHART_INTERVAL = new Variable<>("ALLOCATION_CHART_INTERVAL_SECONDS", "10",
            whole(1, 3600).andThen(Duration::ofSeconds), Shown.PLAIN, s -> s.chartInterval().toSeconds());
    private static final Variable<Duration> HISTORY_RETENTION_DAYS = new Variable<>("ALLOCATION_HISTORY_RETENTION_DAYS",
            "90", whole(1, 36_500).andThen(Duration::ofDays), Shown.PLAIN, s -> s.historyRetention().toDays());

    /** Every variable, in the order {@link #toString} shows them. */
    private static final List<Variable<?>> VARIABLES = List.of(HTTP_PORT, DB_URL, DB_USER, DB_PASSWORD, DB_POOL_SIZE,
            REDIS_URL, REDIS_MIN_REPLICAS, SMTP_HOST, SMTP_PORT, NOTIFY_FROM, NOTIFY_TO, OUT_OF_STOCK_EMAIL_WINDOW,
            RELAY_ENABLED, CONSUMER_ENABLED, DB_CONNECT_TIMEOUT, DB_START_TIMEOUT, DB_SOCKET_TIMEOUT,
            DB_STATEMENT_TIMEOUT, DB_LOCK_TIMEOUT,
            REDIS_CONNECT_TIMEOUT, REDIS_SOCKET_TIMEOUT, SMTP_TIMEOUT, STREAM_MAX_DELIVERIES, OUTBOX_MAX_ATTEMPTS,
            API_TOKEN, API_TOKENS_FILE, LOG_FORMAT, ACCESS_LOG, HTTP_HEADER_TIMEOUT, DB_MIN_FREE_MB, READ_DB_URL,
            CHART_INTERVAL,
            HISTORY_RETENTION_DAYS);

    /** A variable that only means something when another is set: set without it, it would be ignored. */
    private record Needs(Variable<?> setting, Variable<?> on, String why) {
    }

    private static final String ONLY_EMBEDDED = "the embedded H2 database takes no user or password; give the URL"
            + " of the database they are for (instances each on their own embedded database would sell the same"
            + " stock twice)";
    private static final String NO_REDIS = "without Redis it would be ignored";
    private static final String NO_SMTP = "without a mail server it would be ignored";

    /** What each variable needs besides itself, checked once for all. */
    private static final List<Needs> NEEDS = List.of(new Needs(DB_USER, DB_URL, ONLY_EMBEDDED),
            new Needs(DB_PASSWORD, DB_URL, ONLY_EMBEDDED),
            new Needs(DB_START_TIMEOUT, DB_URL, "the embedded H2 database is opened, never waited for"),
            new Needs(REDIS_CONNECT_TIMEOUT, REDIS_URL, NO_REDIS),
            new Needs(REDIS_SOCKET_TIMEOUT, REDIS_URL, NO_REDIS), new Needs(STREAM_MAX_DELIVERIES, REDIS_URL, NO_REDIS),
            new Needs(REDIS_MIN_REPLICAS, REDIS_URL, NO_REDIS),
            new Needs(SMTP_PORT, SMTP_HOST, NO_SMTP), new Needs(SMTP_TIMEOUT, SMTP_HOST, NO_SMTP));

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
     * @param dbStart how long start-up keeps trying to reach a database it cannot reach
     * @param dbSocket a database read with no answer (a partition); above the statement timeout
     * @param dbStatement one SQL statement (PostgreSQL {@code statement_timeout})
     * @param dbLock waiting for a row lock (PostgreSQL {@code lock_timeout})
     * @param redisConnect opening a Redis connection
     * @param redisSocket a Redis command with no answer
     * @param smtp connecting to, reading from and writing to the mail server, each
     */
    public record Timeouts(Duration dbConnect, Duration dbStart, Duration dbSocket, Duration dbStatement,
            Duration dbLock, Duration redisConnect, Duration redisSocket, Duration smtp) {
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

    /** The name of every environment variable the service reads, in the order {@link #toString} shows them. */
    public static List<String> names() {
        return VARIABLES.stream().map(Variable::name).toList();
    }

    /** The settings of an environment with no {@code ALLOCATION_*} variable: everything embedded. */
    public static Settings defaults() {
        return fromEnvironment(Map.of());
    }

    public static Settings fromEnvironment(Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Set<String> known = new TreeSet<>(VARIABLES.stream().map(Variable::name).toList());
        env.keySet().stream().filter(name -> name.startsWith("ALLOCATION_") && !known.contains(name)).sorted()
                .forEach(name -> problems.add(name + " is not a setting this service knows (known: "
                        + String.join(", ", known) + ")"));
        env.keySet().stream().filter(name -> !name.startsWith("ALLOCATION_")).sorted()
                .forEach(name -> meant(name, known).ifPresent(meant -> problems.add(name + " is not a setting, but looks"
                        + " like " + meant + " misspelt, which is then unset; correct its name, or remove it from"
                        + " this service's environment")));
        Map<Variable<?>, Object> values = new HashMap<>();
        for (Variable<?> variable : VARIABLES) {
            String raw = env.get(variable.name());
            if (raw != null && raw.isBlank()) {
                // present is used or refused: an empty value is a template or a script gone wrong, never "unset"
                problems.add(variable.name() + " is set but " + (raw.isEmpty() ? "empty" : "blank")
                        + "; unset it or give a value");
                continue;
            }
            try {
                values.put(variable, variable.parser().apply(raw == null ? variable.fallback() : raw));
            } catch (IllegalArgumentException e) {
                problems.add(variable.name() + " " + e.getMessage());
            }
        }
        for (Needs needs : NEEDS) {
            if (values.containsKey(needs.setting()) && env.containsKey(needs.setting().name())
                    && !env.containsKey(needs.on().name())) {
                problems.add(needs.setting().name() + " is set but " + needs.on().name() + " is not: " + needs.why());
            }
        }
        Duration socket = get(values, DB_SOCKET_TIMEOUT);
        Duration statement = get(values, DB_STATEMENT_TIMEOUT);
        if (socket != null && statement != null && socket.compareTo(statement) <= 0) {
            problems.add(DB_SOCKET_TIMEOUT.name() + " must be greater than " + DB_STATEMENT_TIMEOUT.name() + " ("
                    + socket.toMillis() + " <= " + statement.toMillis() + ")");
        }
        String dbUrl = get(values, DB_URL);
        if (env.containsKey(DB_MIN_FREE_MB.name()) && dbUrl != null && !dbUrl.startsWith("jdbc:h2:")) {
            problems.add(DB_MIN_FREE_MB.name() + " is set but the database is not an embedded H2 one: it would be"
                    + " ignored (PostgreSQL refuses writes on a full disk by itself)");
        }
        Optional<String> readDbUrl = get(values, READ_DB_URL);
        if (readDbUrl != null && readDbUrl.isPresent() && dbUrl != null && !dbUrl.startsWith("jdbc:postgresql:")) {
            problems.add(READ_DB_URL.name() + " is set but " + DB_URL.name() + " is not a PostgreSQL URL: the views"
                    + " would read another database than the one written to");
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettings(problems);
        }
        String url = dbUrl;
        String user = get(values, DB_USER);
        String smtpHost = get(values, SMTP_HOST);
        Optional<RedisUrl> redis = get(values, REDIS_URL);
        int minReplicas = get(values, REDIS_MIN_REPLICAS);
        if (minReplicas == MIN_REPLICAS_AUTO) {
            minReplicas = redis.isPresent() && redis.get().sentinel() ? 1 : 0;
        }
        return new Settings(get(values, HTTP_PORT), url,
                user.isEmpty() ? url.startsWith("jdbc:h2:") ? "sa" : "postgres" : user, get(values, DB_PASSWORD),
                get(values, DB_POOL_SIZE), redis, minReplicas,
                smtpHost.isEmpty() ? Optional.empty() : Optional.of(new Smtp(smtpHost, get(values, SMTP_PORT))),
                get(values, NOTIFY_FROM), get(values, NOTIFY_TO), get(values, OUT_OF_STOCK_EMAIL_WINDOW),
                get(values, RELAY_ENABLED), get(values, CONSUMER_ENABLED),
                new Timeouts(get(values, DB_CONNECT_TIMEOUT), get(values, DB_START_TIMEOUT), socket, statement,
                        get(values, DB_LOCK_TIMEOUT), get(values, REDIS_CONNECT_TIMEOUT),
                        get(values, REDIS_SOCKET_TIMEOUT), get(values, SMTP_TIMEOUT)),
                get(values, STREAM_MAX_DELIVERIES), get(values, OUTBOX_MAX_ATTEMPTS), get(values, API_TOKEN),
                get(values, API_TOKENS_FILE),
                get(values, LOG_FORMAT), get(values, ACCESS_LOG), get(values, HTTP_HEADER_TIMEOUT),
                get(values, DB_MIN_FREE_MB), readDbUrl, get(values, CHART_INTERVAL),
                get(values, HISTORY_RETENTION_DAYS));
    }

    /**
     * The variable a name outside the prefix was most likely meant to be: one at most two edits away
     * (a letter added, dropped, changed, or two neighbours swapped), letter case aside. Such a name is
     * no other program's (every known name is 17 characters or more, all of them "ALLOCATION_..."); a
     * bare {@code DB_URL}, {@code PORT} or {@code REDIS_URL} is, and is left alone.
     */
    private static Optional<String> meant(String name, Set<String> known) {
        String upper = name.toUpperCase(Locale.ROOT);
        return known.stream().min(Comparator.comparingInt(candidate -> edits(upper, candidate)))
                .filter(closest -> edits(upper, closest) <= 2);
    }

    /** The edit distance between two texts, a swap of neighbours counting as one edit (optimal string alignment). */
    private static int edits(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i < d.length; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j < d[0].length; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i < d.length; i++) {
            for (int j = 1; j < d[i].length; j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** This variable's value as read; null when it was malformed (and a problem reported). */
    @SuppressWarnings("unchecked") // values holds each variable's own parser's result
    private static <T> T get(Map<Variable<?>, Object> values, Variable<T> variable) {
        return (T) values.get(variable);
    }

    /** Every variable by the name of its field, its value shown as {@link Variable#shown} says: secrets masked. */
    @Override
    public String toString() {
        return VARIABLES.stream().map(v -> v.label() + "=" + v.show(this))
                .collect(Collectors.joining(", ", "Settings[", "]"));
    }

    /**
     * This text with every secret of these settings (the database password, also one written in the
     * JDBC URL; the Redis URL's password; the API token) replaced by {@code ***}: for messages built
     * from other libraries' exceptions, which may quote a URL.
     */
    public String redact(String text) {
        String redacted = redactedJdbcUrl(text);
        for (Variable<?> variable : VARIABLES) {
            for (String secret : variable.secrets(this)) {
                if (!secret.isEmpty()) {
                    redacted = redacted.replace(secret, "***");
                }
            }
        }
        return redacted;
    }

    /** The passwords written in a JDBC URL. */
    private static List<String> passwords(String jdbcUrl) {
        List<String> passwords = new ArrayList<>();
        Matcher inUrl = JDBC_PASSWORD.matcher(jdbcUrl);
        while (inUrl.find()) {
            passwords.add(inUrl.group(1) != null ? inUrl.group(1) : inUrl.group(2));
        }
        return passwords;
    }

    /** A password in a JDBC URL: a {@code password=} parameter (1), or in {@code //user:password@} (2). */
    private static final Pattern JDBC_PASSWORD = Pattern.compile("(?i)password=([^&;\\s]*)|//[^/@:\\s]*:([^@/\\s]*)@");

    /** A JDBC URL (or any text holding one) with its passwords replaced by {@code ***}. */
    public static String redactedJdbcUrl(String url) {
        return JDBC_PASSWORD.matcher(url).replaceAll(match -> match.group(1) != null
                ? Matcher.quoteReplacement(match.group().substring(0, match.start(1) - match.start()) + "***")
                : Matcher.quoteReplacement(match.group().substring(0, match.start(2) - match.start()) + "***@"));
    }

    private static Variable<Duration> millis(String name, String fallback, Function<Timeouts, Duration> in) {
        return new Variable<>(name, fallback, whole(1, 3_600_000).andThen(Duration::ofMillis), Shown.PLAIN,
                s -> in.apply(s.timeouts()).toMillis());
    }

    private static Function<String, Integer> whole(int min, int max) {
        return raw -> {
            try {
                int value = Integer.parseInt(raw.strip());
                if (value >= min && value <= max) {
                    return value;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("must be a whole number from " + min + " to " + max + ", was '" + raw
                    + "'");
        };
    }

    private static String jdbcUrl(String raw) {
        String url = raw.strip();
        if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("jdbc:h2:")) {
            throw new IllegalArgumentException("must be a jdbc:postgresql: or jdbc:h2: URL, was '"
                    + redactedJdbcUrl(url) + "'");
        }
        return url;
    }

    private static String postgresUrl(String raw) {
        String url = raw.strip();
        if (!url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("must be a jdbc:postgresql: URL, was '" + redactedJdbcUrl(url) + "'");
        }
        return url;
    }

    private static String address(String raw) {
        String value = raw.strip();
        if (!value.matches("[^@\\s]+@[^@\\s]+")) {
            throw new IllegalArgumentException("must be an email address, was '" + value + "'");
        }
        return value;
    }

    private static boolean flag(String raw) {
        return switch (raw.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("must be true or false, was '" + raw.strip() + "'");
        };
    }

    /** A file's path (not checked here: the service reads it at start-up, and stops if it cannot). */
    private static Optional<Path> file(String raw) {
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Path.of(raw.strip()));
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("must be a file's path, was '" + raw + "': " + e.getReason());
        }
    }

    private static Optional<String> token(String raw) {
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        if (raw.length() < 16 || !raw.matches("[\\x21-\\x7E]+")) {
            // the value itself is never echoed: it is a secret
            throw new IllegalArgumentException("must be at least 16 printable characters without spaces");
        }
        return Optional.of(raw);
    }
}

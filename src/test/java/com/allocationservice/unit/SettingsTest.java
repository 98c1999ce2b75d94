package com.allocationservice.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.config.RedisUrl;
import com.allocationservice.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class SettingsTest {

    @Test
    void an_empty_environment_gives_the_embedded_defaults() {
        Settings s = Settings.fromEnvironment(Map.of());

        assertThat(s.httpPort()).isEqualTo(8080);
        assertThat(s.dbUrl()).isEqualTo(Settings.EMBEDDED_DB_URL);
        assertThat(s.embeddedDatabase()).isTrue();
        assertThat(s.dbUser()).isEqualTo("sa");
        assertThat(s.dbPassword()).isEmpty();
        assertThat(s.dbPoolSize()).isEqualTo(8);
        assertThat(s.redisUrl()).isEmpty();
        assertThat(s.smtp()).isEmpty();
        assertThat(s.notifyFrom()).isEqualTo(Settings.DEFAULT_NOTIFY_FROM);
        assertThat(s.notifyTo()).isEqualTo(Settings.DEFAULT_NOTIFY_TO);
        assertThat(s.outOfStockEmailWindow()).isEqualTo(Duration.ofSeconds(900));
        assertThat(s.relayEnabled()).isTrue();
        assertThat(s.consumerEnabled()).isTrue();
        assertThat(s.logFormat()).isEqualTo(Settings.LogFormat.TEXT);
        assertThat(s.accessLog()).isFalse();
        assertThat(Settings.defaults()).isEqualTo(s);
    }

    @Test
    void variables_outside_the_allocation_prefix_are_ignored() {
        assertThat(Settings.fromEnvironment(Map.of("PATH", "/bin", "HOME", "/root")))
                .isEqualTo(Settings.defaults());
    }

    @Test
    void every_variable_is_read() {
        Settings s = Settings.fromEnvironment(Map.ofEntries(
                Map.entry("ALLOCATION_HTTP_PORT", " 9090 "),
                Map.entry("ALLOCATION_DB_URL", "jdbc:postgresql://db:5432/alloc"),
                Map.entry("ALLOCATION_DB_USER", "alloc"),
                Map.entry("ALLOCATION_DB_PASSWORD", "s3cret"),
                Map.entry("ALLOCATION_DB_POOL_SIZE", "32"),
                Map.entry("ALLOCATION_REDIS_URL", "redis://cache:6380/2"),
                Map.entry("ALLOCATION_SMTP_HOST", "mail"),
                Map.entry("ALLOCATION_SMTP_PORT", "2525"),
                Map.entry("ALLOCATION_NOTIFY_FROM", "from@shop.test"),
                Map.entry("ALLOCATION_NOTIFY_TO", "to@shop.test"),
                Map.entry("ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS", "60"),
                Map.entry("ALLOCATION_RELAY_ENABLED", "false"),
                Map.entry("ALLOCATION_CONSUMER_ENABLED", "false"),
                Map.entry("ALLOCATION_LOG_FORMAT", "json"),
                Map.entry("ALLOCATION_ACCESS_LOG", "true")));

        assertThat(s.httpPort()).isEqualTo(9090);
        assertThat(s.dbUrl()).isEqualTo("jdbc:postgresql://db:5432/alloc");
        assertThat(s.embeddedDatabase()).isFalse();
        assertThat(s.dbUser()).isEqualTo("alloc");
        assertThat(s.dbPassword()).isEqualTo("s3cret");
        assertThat(s.dbPoolSize()).isEqualTo(32);
        assertThat(s.redisUrl().orElseThrow()).isEqualTo(new RedisUrl("redis://cache:6380/2", false,
                List.of(new RedisUrl.Host("cache", 6380)), Optional.empty(), null, null, 2));
        assertThat(s.redisMinReplicas()).isZero();
        assertThat(s.smtp()).contains(new Settings.Smtp("mail", 2525));
        assertThat(s.notifyFrom()).isEqualTo("from@shop.test");
        assertThat(s.notifyTo()).isEqualTo("to@shop.test");
        assertThat(s.outOfStockEmailWindow()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.relayEnabled()).isFalse();
        assertThat(s.consumerEnabled()).isFalse();
        assertThat(s.logFormat()).isEqualTo(Settings.LogFormat.JSON);
        assertThat(s.accessLog()).isTrue();
    }

    @Test
    void a_postgres_url_defaults_the_user_to_postgres_and_smtp_host_alone_uses_port_25() {
        Settings s = Settings.fromEnvironment(Map.of(
                "ALLOCATION_DB_URL", "jdbc:postgresql://127.0.0.1/test",
                "ALLOCATION_SMTP_HOST", "localhost",
                "ALLOCATION_REDIS_URL", "rediss://secure.example:6379"));

        assertThat(s.dbUser()).isEqualTo("postgres");
        assertThat(s.smtp()).isEqualTo(Optional.of(new Settings.Smtp("localhost", 25)));
        assertThat(s.redisUrl().orElseThrow().tls()).isTrue();
        assertThat(s.redisUrl().orElseThrow().hosts()).containsExactly(new RedisUrl.Host("secure.example", 6379));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "ALLOCATION_HTTP_PORT | eighty",
        "ALLOCATION_HTTP_PORT | 65536",
        "ALLOCATION_HTTP_PORT | -1",
        "ALLOCATION_HTTP_PORT | 80.5",
        "ALLOCATION_HTTP_PORT | 99999999999",
        "ALLOCATION_DB_POOL_SIZE | 0",
        "ALLOCATION_DB_POOL_SIZE | many",
        "ALLOCATION_DB_URL | postgres://db/alloc",
        "ALLOCATION_DB_URL | jdbc:mysql://db/alloc",
        "ALLOCATION_REDIS_URL | http://cache:6379",
        "ALLOCATION_REDIS_URL | cache:6379",
        "ALLOCATION_REDIS_URL | redis://",
        "ALLOCATION_REDIS_MIN_REPLICAS | -1",
        "ALLOCATION_REDIS_MIN_REPLICAS | one",
        "ALLOCATION_SMTP_PORT | 0",
        "ALLOCATION_SMTP_PORT | smtp",
        "ALLOCATION_NOTIFY_FROM | nobody",
        "ALLOCATION_NOTIFY_TO | a@b@c",
        "ALLOCATION_NOTIFY_TO | two words@x.test",
        "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS | -5",
        "ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS | 15m",
        "ALLOCATION_RELAY_ENABLED | yes",
        "ALLOCATION_RELAY_ENABLED | TRUE1",
        "ALLOCATION_CONSUMER_ENABLED | 1",
        "ALLOCATION_LOG_FORMAT | JSON",
        "ALLOCATION_LOG_FORMAT | xml",
        "ALLOCATION_ACCESS_LOG | on",
        "ALLOCATION_DB_CONNECT_TIMEOUT_MS | 0",
        "ALLOCATION_DB_START_TIMEOUT_MS | 30s",
        "ALLOCATION_DB_SOCKET_TIMEOUT_MS | 5s",
        "ALLOCATION_DB_STATEMENT_TIMEOUT_MS | -1",
        "ALLOCATION_DB_LOCK_TIMEOUT_MS | 3600001",
        "ALLOCATION_REDIS_CONNECT_TIMEOUT_MS | fast",
        "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS | 1.5",
        "ALLOCATION_SMTP_TIMEOUT_MS | 0",
        "ALLOCATION_STREAM_MAX_DELIVERIES | 0",
        "ALLOCATION_OUTBOX_MAX_ATTEMPTS | ten",
    })
    void a_malformed_value_is_rejected_naming_the_variable_and_the_value(String name, String value) {
        Map<String, String> env = name.equals("ALLOCATION_SMTP_PORT")
                ? Map.of(name, value, "ALLOCATION_SMTP_HOST", "mail")
                : Map.of(name, value);

        assertThatThrownBy(() -> Settings.fromEnvironment(env))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining(name)
                .hasMessageContaining("'" + value.strip() + "'");
    }

    @Test
    void timeouts_delivery_caps_and_the_token_have_defaults_and_are_read() {
        Settings defaults = Settings.defaults();
        assertThat(defaults.timeouts()).isEqualTo(new Settings.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(2),
                Duration.ofSeconds(5), Duration.ofSeconds(10)));
        assertThat(defaults.streamMaxDeliveries()).isEqualTo(5);
        assertThat(defaults.outboxMaxAttempts()).isEqualTo(10);
        assertThat(defaults.apiToken()).isEmpty();
        assertThat(defaults.httpHeaderTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(defaults.historyRetention()).isEqualTo(Duration.ofDays(90));

        Settings s = Settings.fromEnvironment(Map.ofEntries(
                Map.entry("ALLOCATION_DB_URL", "jdbc:postgresql://db/allocation"),
                Map.entry("ALLOCATION_DB_CONNECT_TIMEOUT_MS", "1000"),
                Map.entry("ALLOCATION_DB_START_TIMEOUT_MS", "1500"),
                Map.entry("ALLOCATION_DB_SOCKET_TIMEOUT_MS", "4000"),
                Map.entry("ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "3000"),
                Map.entry("ALLOCATION_DB_LOCK_TIMEOUT_MS", "2000"),
                Map.entry("ALLOCATION_REDIS_CONNECT_TIMEOUT_MS", "500"),
                Map.entry("ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "700"),
                Map.entry("ALLOCATION_SMTP_TIMEOUT_MS", "900"),
                Map.entry("ALLOCATION_STREAM_MAX_DELIVERIES", "3"),
                Map.entry("ALLOCATION_OUTBOX_MAX_ATTEMPTS", "7"),
                Map.entry("ALLOCATION_API_TOKEN", "correct-horse-battery-staple"),
                Map.entry("ALLOCATION_REDIS_URL", "redis://cache:6379"),
                Map.entry("ALLOCATION_SMTP_HOST", "mail")));
        assertThat(s.timeouts()).isEqualTo(new Settings.Timeouts(Duration.ofMillis(1000), Duration.ofMillis(1500),
                Duration.ofMillis(4000), Duration.ofMillis(3000), Duration.ofMillis(2000), Duration.ofMillis(500),
                Duration.ofMillis(700), Duration.ofMillis(900)));
        assertThat(s.streamMaxDeliveries()).isEqualTo(3);
        assertThat(s.outboxMaxAttempts()).isEqualTo(7);
        assertThat(s.apiToken()).contains("correct-horse-battery-staple");
    }

    @Test
    void the_charts_sample_every_ten_seconds_unless_told_otherwise_from_one_second_to_an_hour() {
        assertThat(Settings.defaults().chartInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_CHART_INTERVAL_SECONDS", "1")).chartInterval())
                .isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_CHART_INTERVAL_SECONDS", "0")))
                .hasMessageContaining("ALLOCATION_CHART_INTERVAL_SECONDS must be a whole number from 1 to 3600, was '0'");
    }

    @Test
    void a_socket_timeout_not_above_the_statement_timeout_is_rejected() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(
                "ALLOCATION_DB_SOCKET_TIMEOUT_MS", "2000", "ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "2000")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_DB_SOCKET_TIMEOUT_MS must be greater than");
    }

    @Test
    void the_tokens_file_is_a_path_shown_as_it_is_and_may_come_with_the_single_token() {
        assertThat(Settings.defaults().apiTokensFile()).isEmpty();

        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKENS_FILE", " /etc/allocation/tokens ",
                "ALLOCATION_API_TOKEN", "token-abcdefghijklmnop"));

        assertThat(s.apiTokensFile()).contains(Path.of("/etc/allocation/tokens"));
        assertThat(s.apiToken()).contains("token-abcdefghijklmnop");
        assertThat(s.toString()).contains("apiTokensFile=/etc/allocation/tokens").doesNotContain("token-abcdefghijklmnop");
        assertThat(Settings.names()).contains("ALLOCATION_API_TOKENS_FILE");
    }

    @Test
    void an_empty_or_impossible_tokens_file_path_is_rejected() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKENS_FILE", "")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_API_TOKENS_FILE is set but empty");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKENS_FILE", "tokens\u0000.txt")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_API_TOKENS_FILE must be a file's path");
    }

    @Test
    void a_weak_token_is_rejected_without_echoing_it() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKEN", "short secret")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_API_TOKEN")
                .hasMessageNotContaining("short secret");
    }

    @Test
    void secrets_never_appear_in_the_settings_text_or_errors() {
        Settings s = Settings.fromEnvironment(Map.of(
                "ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_DB_PASSWORD", "db-pass-1234",
                "ALLOCATION_REDIS_URL", "rediss://app:redis-pass-5678@cache:6380/1",
                "ALLOCATION_API_TOKEN", "token-abcdefghijklmnop"));
        assertThat(s.toString()).doesNotContain("db-pass-1234", "redis-pass-5678", "token-abcdefghijklmnop")
                .contains("rediss://app:***@cache:6380/1");
        assertThat(s.redisUrl().orElseThrow().password()).isEqualTo("redis-pass-5678");
        assertThat(s.redisUrl().orElseThrow().user()).isEqualTo("app");

        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "ftp://u:hunter2@x")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_REDIS_URL")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void a_password_written_in_the_database_url_is_masked_too() {
        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL",
                "jdbc:postgresql://db.example:5432/allocation?user=app&password=pg-pass-4321&ssl=true",
                "ALLOCATION_REDIS_URL", "redis://:redis%2Fpass@cache:6379", "ALLOCATION_API_TOKEN", "token-abcdefghijklmnop"));

        assertThat(s.toString()).doesNotContain("pg-pass-4321")
                .contains("jdbc:postgresql://db.example:5432/allocation?user=app&password=***&ssl=true");
        assertThat(s.redact("could not reach jdbc:postgresql://db.example:5432/allocation?password=pg-pass-4321:"
                + " auth redis/pass, redis%2Fpass, token token-abcdefghijklmnop; port 5432 and 6379 stay"))
                .doesNotContain("pg-pass-4321", "redis/pass", "redis%2Fpass", "token-abcdefghijklmnop")
                .contains("port 5432 and 6379 stay");
        assertThat(Settings.redactedJdbcUrl("jdbc:postgresql://app:pg-pass-4321@db.example:5432/allocation"))
                .isEqualTo("jdbc:postgresql://app:***@db.example:5432/allocation");
        assertThat(Settings.redactedJdbcUrl("jdbc:h2:file:./data/x;USER=sa;PASSWORD=h2-pass-99;MODE=PostgreSQL"))
                .isEqualTo("jdbc:h2:file:./data/x;USER=sa;PASSWORD=***;MODE=PostgreSQL");

        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "postgres://app:pg-pass-4321@db/x")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_DB_URL")
                .hasMessageNotContaining("pg-pass-4321");
    }

    @Test
    void an_smtp_port_without_a_host_is_rejected() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_SMTP_PORT", "2525")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_SMTP_PORT is set but ALLOCATION_SMTP_HOST is not");
    }

    @ParameterizedTest(name = "{0} without {1}")
    @CsvSource(delimiter = '|', value = {
        "ALLOCATION_DB_USER | ALLOCATION_DB_URL | app",
        "ALLOCATION_DB_PASSWORD | ALLOCATION_DB_URL | pw",
        "ALLOCATION_DB_START_TIMEOUT_MS | ALLOCATION_DB_URL | 5000",
        "ALLOCATION_REDIS_CONNECT_TIMEOUT_MS | ALLOCATION_REDIS_URL | 1000",
        "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS | ALLOCATION_REDIS_URL | 1000",
        "ALLOCATION_STREAM_MAX_DELIVERIES | ALLOCATION_REDIS_URL | 3",
        "ALLOCATION_REDIS_MIN_REPLICAS | ALLOCATION_REDIS_URL | 1",
        "ALLOCATION_SMTP_PORT | ALLOCATION_SMTP_HOST | 2525",
        "ALLOCATION_SMTP_TIMEOUT_MS | ALLOCATION_SMTP_HOST | 1000",
    })
    void a_variable_that_would_be_ignored_without_another_is_refused(String name, String needed, String value) {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(name, value)))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining(name + " is set but " + needed + " is not: ");
    }

    @Test
    void a_database_user_or_password_without_a_database_url_is_refused_saying_the_embedded_one_takes_none() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_USER", "app",
                "ALLOCATION_DB_PASSWORD", "pw")))
                .hasMessage("Invalid configuration:\n"
                        + "  ALLOCATION_DB_USER is set but ALLOCATION_DB_URL is not: the embedded H2 database takes no"
                        + " user or password; give the URL of the database they are for (instances each on their"
                        + " own embedded database would sell the same stock twice)\n"
                        + "  ALLOCATION_DB_PASSWORD is set but ALLOCATION_DB_URL is not: the embedded H2 database"
                        + " takes no user or password; give the URL of the database they are for (instances each on"
                        + " their own embedded database would sell the same stock twice)");
        Settings h2 = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:h2:mem:x", "ALLOCATION_DB_USER", "app"));
        assertThat(h2.dbUser()).isEqualTo("app");
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "redis://cache:6379",
                "ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "1000")).timeouts().redisSocket()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void an_unknown_allocation_variable_is_rejected_by_name() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_HTTP_PROT", "8080")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_HTTP_PROT is not a setting")
                .hasMessageContaining("ALLOCATION_HTTP_PORT");
    }

    @ParameterizedTest(name = "{0} meant {1}")
    @CsvSource(delimiter = '|', value = {
        "ALLOCATON_DB_URL | ALLOCATION_DB_URL",                // a letter dropped
        "ALOCATON_DB_URL | ALLOCATION_DB_URL",                 // two dropped
        "allocation_api_token | ALLOCATION_API_TOKEN",         // letter case
        "Allocation_Redis_Url | ALLOCATION_REDIS_URL",
        "ALLOCATION-DB-URL | ALLOCATION_DB_URL",               // two changed
        "ALLOCATIONHTTP_PORT | ALLOCATION_HTTP_PORT",          // one dropped, the prefix's underscore
        "XALLOCATION_DB_USERX | ALLOCATION_DB_USER",           // two added
        "ALLOCATOIN_DB_UR | ALLOCATION_DB_URL",                // neighbours swapped (one edit) and one dropped
        "LALOCATION_API_TOKENX | ALLOCATION_API_TOKEN",        // swapped at the very start, and one added
        "ALLOCATON_DB_ULR | ALLOCATION_DB_URL",                // one dropped, and swapped at the very end
    })
    void a_name_outside_the_prefix_two_edits_from_a_setting_is_refused_naming_the_setting(String name, String meant) {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(name, "x")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessage("Invalid configuration:\n  " + name + " is not a setting, but looks like " + meant
                        + " misspelt, which is then unset; correct its name, or remove it from this service's environment");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ALOCATN_DB_URL", "XYZALLOCATION_DB_URL", "ALLOCATON_DB_URLXY", "ALLOCATOIN_DB_U",
        "ALLOC_DB_URL", "ALLOCATIONS_DATABASE_URL", "DB_URL", "DATABASE_URL",
        "PORT", "HTTP_PORT", "REDIS_URL", "API_TOKEN", "SMTP_HOST", "LOG_FORMAT", "JAVA_TOOL_OPTIONS", "A", ""})
    void a_name_three_edits_from_every_setting_or_without_the_prefix_is_another_programs(String name) {
        assertThat(Settings.fromEnvironment(Map.of(name, "x"))).isEqualTo(Settings.defaults());
    }

    @Test
    void a_misspelt_name_inside_the_prefix_is_reported_once_as_unknown() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URLS", "jdbc:h2:mem:x",
                "ALLOCATON_DB_USER", "app")))
                .satisfies(e -> assertThat(e.getMessage().lines().skip(1).toList()).containsExactly(
                        "  ALLOCATION_DB_URLS is not a setting this service knows (known: "
                                + String.join(", ", Settings.names().stream().sorted().toList()) + ")",
                        "  ALLOCATON_DB_USER is not a setting, but looks like ALLOCATION_DB_USER misspelt, which is"
                                + " then unset; correct its name, or remove it from this service's environment"));
    }

    @Test
    void every_problem_is_reported_at_once() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(
                "ALLOCATION_HTTP_PORT", "http",
                "ALLOCATION_DB_URL", "mysql://x",
                "ALLOCATION_REDIS_URL", "nope",
                "ALLOCATION_RELAY_ENABLED", "maybe",
                "ALLOCATION_TYPO", "1")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .satisfies(e -> assertThat(e.getMessage().lines()
                        .filter(l -> l.startsWith("  ")).count()).isEqualTo(5))
                .hasMessageContaining("ALLOCATION_HTTP_PORT")
                .hasMessageContaining("ALLOCATION_DB_URL")
                .hasMessageContaining("ALLOCATION_REDIS_URL")
                .hasMessageContaining("ALLOCATION_RELAY_ENABLED")
                .hasMessageContaining("ALLOCATION_TYPO");
    }

    @Test
    void the_bounds_of_a_number_are_accepted_and_one_beyond_refused() {
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_HTTP_PORT", "0")).httpPort()).isZero();
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_HTTP_PORT", "65535")).httpPort()).isEqualTo(65535);
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_DB_POOL_SIZE", "1")).dbPoolSize()).isEqualTo(1);
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_POOL_SIZE", "1001")))
                .hasMessageContaining("ALLOCATION_DB_POOL_SIZE must be a whole number from 1 to 1000, was '1001'");
    }

    @Test
    void a_token_of_sixteen_characters_is_enough_and_fifteen_is_not() {
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKEN", "a".repeat(16))).apiToken()).contains("a".repeat(16));
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKEN", "a".repeat(15))))
                .hasMessageContaining("ALLOCATION_API_TOKEN must be at least 16");
    }

    @Test
    void the_settings_text_shows_whether_a_password_and_token_are_set_without_them() {
        assertThat(Settings.defaults().toString()).contains("dbPassword=, ", "apiToken=, ", "redisUrl=, ");
        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_DB_PASSWORD", "pw", "ALLOCATION_API_TOKEN", "t".repeat(16),
                "ALLOCATION_REDIS_URL", "redis://cache:6379"));
        assertThat(s.toString()).contains("dbPassword=***, ", "apiToken=***, ", "redisUrl=redis://cache:6379, ");
    }

    @Test
    void a_redis_password_without_a_user_is_masked_keeping_the_colon() {
        assertThat(RedisUrl.parse("redis://:pw@cache:6379")).hasToString("redis://:***@cache:6379");
        assertThat(RedisUrl.parse("redis://pw@cache:6379")).hasToString("redis://***@cache:6379");
        assertThat(RedisUrl.parse("redis://cache:6379")).hasToString("redis://cache:6379");
        assertThat(RedisUrl.parse("redis://pw@cache:6379").password()).isEqualTo("pw");
        assertThat(RedisUrl.parse("redis://:pw@cache:6379").user()).isNull();
    }

    @Test
    void a_sentinel_url_names_the_sentinels_the_master_and_the_data_nodes_credentials() {
        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL",
                "redis-sentinel://app:s%40cret+1@10.0.0.1:26379,sentinel-b:26380,[::1]:26381/3#allocation"));

        RedisUrl url = s.redisUrl().orElseThrow();
        assertThat(url.sentinel()).isTrue();
        assertThat(url.tls()).isFalse();
        assertThat(url.hosts()).containsExactly(new RedisUrl.Host("10.0.0.1", 26379),
                new RedisUrl.Host("sentinel-b", 26380), new RedisUrl.Host("::1", 26381));
        assertThat(url.master()).contains("allocation");
        assertThat(url.user()).isEqualTo("app");
        assertThat(url.password()).isEqualTo("s@cret+1");
        assertThat(url.database()).isEqualTo(3);
        assertThat(s.redisMinReplicas()).isEqualTo(1);
        assertThat(s.toString()).contains(
                "redisUrl=redis-sentinel://app:***@10.0.0.1:26379,sentinel-b:26380,[::1]:26381/3#allocation, "
                + "redisMinReplicas=1, ").doesNotContain("cret");
        assertThat(s.redact("AUTH s@cret+1 / s%40cret+1 refused")).isEqualTo("AUTH *** / *** refused");
        assertThat(RedisUrl.parse("rediss-sentinel://pw@s1:26379#m").tls()).isTrue();
        assertThat(RedisUrl.parse("rediss-sentinel://pw@s1:26379#m").password()).isEqualTo("pw");
    }

    @Test
    void the_replicas_to_wait_for_default_to_one_with_sentinels_and_none_without_and_may_be_set() {
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "redis://cache:6379")).redisMinReplicas())
                .isZero();
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "redis-sentinel://s:26379#m"))
                .redisMinReplicas()).isEqualTo(1);
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "redis-sentinel://s:26379#m",
                "ALLOCATION_REDIS_MIN_REPLICAS", "0")).redisMinReplicas()).isZero();
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "redis://cache:6379",
                "ALLOCATION_REDIS_MIN_REPLICAS", "2")).redisMinReplicas()).isEqualTo(2);
        assertThat(Settings.defaults().redisMinReplicas()).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "redis-sentinel://:hunter2@s1:26379,s2:26379 | no #masterName",
        "redis-sentinel://:hunter2@s1:26379# | the master name after '#'",
        "redis-sentinel://:hunter2@s1:26379,,s2:26379#m | every host needs a port, as host:port, was ''",
        "redis-sentinel://:hunter2@s1:26379,s2#m | every host needs a port, as host:port, was 's2'",
        "redis-sentinel://:hunter2@s1:26379,s2:0#m | the port of s2 must be a whole number from 1 to 65535, was '0'",
        "redis-sentinel://:hunter2@s1:26379,s2:70000#m | the port of s2 must be a whole number from 1 to 65535",
        "redis-sentinel://:hunter2@s1:263x9#m | the port of s1 must be a whole number",
        "redis-sentinel://:hunter2@bad host:26379#m | 'bad host' is not a host name or address",
        "redis-sentinel://:hunter2@s1:26379/x#m | the database after '/' must be a whole number from 0, was 'x'",
        "redis-sentinel://:hunter2@s1:26379#m/1 | the master name after '#'",
        "redis://:hunter2@s1:6379,s2:6379 | several hosts are Sentinels",
        "redis://:hunter2@s1:6379#m | #m names a Sentinel master",
        "sentinel://:hunter2@s1:26379#m | the scheme must be redis, rediss, redis-sentinel or rediss-sentinel",
    })
    void a_malformed_sentinel_url_is_refused_saying_why_with_the_password_masked(String url, String why) {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", url)))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessageContaining("ALLOCATION_REDIS_URL must look like " + RedisUrl.FORMS + " (")
                .hasMessageContaining(why)
                .hasMessageContaining("was '" + url.substring(0, url.indexOf("//") + 2) + "***@")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void a_password_written_in_the_database_url_is_redacted_wherever_it_is_quoted() {
        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://app:url-pass-77@db/x"));
        assertThat(s.redact("authentication failed, password url-pass-77 refused")).isEqualTo("authentication failed, password *** refused");
        Settings q = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x?password=q-pass-88"));
        assertThat(q.redact("refused q-pass-88")).isEqualTo("refused ***");
    }

    /** PIT's surviving mutant of the redaction's {@code at > start} to {@code at >= start} is equivalent: '/' and '@' never share a place. */
    @Test
    void a_malformed_redis_url_is_quoted_with_its_credentials_masked() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "ftp://u:hunter2@x")))
                .hasMessageContaining("was 'ftp://***@x'");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "//u:hunter2@x")))
                .hasMessageContaining("was '//***@x'");
    }

    @Test
    void the_free_space_reserve_is_auto_or_megabytes_zero_turns_it_off_and_it_is_refused_on_postgresql() {
        assertThat(Settings.defaults().dbMinFreeBytes()).isEqualTo(Settings.MIN_FREE_AUTO);
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_DB_MIN_FREE_MB", "auto")).dbMinFreeBytes())
                .isEqualTo(Settings.MIN_FREE_AUTO);
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_DB_MIN_FREE_MB", "3")).dbMinFreeBytes())
                .isEqualTo(3L * 1024 * 1024);
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_DB_MIN_FREE_MB", "0")).dbMinFreeBytes()).isZero();
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_MIN_FREE_MB", "-1")))
                .hasMessageContaining("ALLOCATION_DB_MIN_FREE_MB");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_DB_MIN_FREE_MB", "10")))
                .hasMessageContaining("ALLOCATION_DB_MIN_FREE_MB is set but the database is not an embedded H2 one");
    }

    @Test
    void the_read_side_url_is_an_optional_postgresql_url_beside_a_postgresql_database_with_its_password_masked() {
        assertThat(Settings.defaults().readDbUrl()).isEmpty();
        String standbys = "jdbc:postgresql://h1:5432,h2:5432/db?targetServerType=preferSecondary&password=rd-pass-5";
        Settings s = Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://h1:5432,h2:5432/db",
                "ALLOCATION_READ_DB_URL", " " + standbys + " "));
        assertThat(s.readDbUrl()).contains(standbys);
        assertThat(s.toString()).contains("readDbUrl=jdbc:postgresql://h1:5432,h2:5432/db?targetServerType=preferSecondary&password=***")
                .doesNotContain("rd-pass-5");
        assertThat(s.redact("refused rd-pass-5")).isEqualTo("refused ***");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_READ_DB_URL", "jdbc:h2:mem:x")))
                .hasMessageContaining("ALLOCATION_READ_DB_URL must be a jdbc:postgresql: URL, was 'jdbc:h2:mem:x'");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_READ_DB_URL", "jdbc:postgresql://db/x")))
                .hasMessageContaining("ALLOCATION_READ_DB_URL is set but ALLOCATION_DB_URL is not a PostgreSQL URL");
    }

    @Test
    void the_settings_text_shows_every_variable_by_its_field_name_with_secrets_masked() {
        Settings s = Settings.fromEnvironment(Map.ofEntries(
                Map.entry("ALLOCATION_DB_URL", "jdbc:postgresql://db/x?password=pw1"),
                Map.entry("ALLOCATION_DB_PASSWORD", "pw2"),
                Map.entry("ALLOCATION_REDIS_URL", "redis://u:pw3@cache:6379/1"),
                Map.entry("ALLOCATION_SMTP_HOST", "mail"),
                Map.entry("ALLOCATION_SMTP_PORT", "2525"),
                Map.entry("ALLOCATION_OUT_OF_STOCK_EMAIL_WINDOW_SECONDS", "61"),
                Map.entry("ALLOCATION_DB_CONNECT_TIMEOUT_MS", "1001"),
                Map.entry("ALLOCATION_DB_START_TIMEOUT_MS", "1009"),
                Map.entry("ALLOCATION_DB_SOCKET_TIMEOUT_MS", "30002"),
                Map.entry("ALLOCATION_DB_STATEMENT_TIMEOUT_MS", "1003"),
                Map.entry("ALLOCATION_DB_LOCK_TIMEOUT_MS", "1004"),
                Map.entry("ALLOCATION_REDIS_CONNECT_TIMEOUT_MS", "1005"),
                Map.entry("ALLOCATION_REDIS_SOCKET_TIMEOUT_MS", "1006"),
                Map.entry("ALLOCATION_SMTP_TIMEOUT_MS", "1007"),
                Map.entry("ALLOCATION_API_TOKEN", "t".repeat(16)),
                Map.entry("ALLOCATION_HTTP_HEADER_TIMEOUT_MS", "1008"),
                Map.entry("ALLOCATION_HISTORY_RETENTION_DAYS", "31")));

        assertThat(s.toString()).isEqualTo("Settings[httpPort=8080, dbUrl=jdbc:postgresql://db/x?password=***, "
                + "dbUser=postgres, dbPassword=***, dbPoolSize=8, redisUrl=redis://u:***@cache:6379/1, redisMinReplicas=0, "
                + "smtpHost=mail, "
                + "smtpPort=2525, notifyFrom=allocations@example.com, notifyTo=stock@made.com, "
                + "outOfStockEmailWindowSeconds=61, relayEnabled=true, consumerEnabled=true, dbConnectTimeoutMs=1001, "
                + "dbStartTimeoutMs=1009, dbSocketTimeoutMs=30002, dbStatementTimeoutMs=1003, dbLockTimeoutMs=1004, "
                + "redisConnectTimeoutMs=1005, redisSocketTimeoutMs=1006, smtpTimeoutMs=1007, streamMaxDeliveries=5, "
                + "outboxMaxAttempts=10, apiToken=***, apiTokensFile=, logFormat=TEXT, accessLog=false, httpHeaderTimeoutMs=1008, "
                + "dbMinFreeMb=auto, readDbUrl=, chartIntervalSeconds=10, historyRetentionDays=31]");
        assertThat(Settings.defaults().toString()).contains(", smtpHost=, smtpPort=, ");
    }

    /** Every variable in the table, so a new one is covered without a line here. */
    static List<String> everyVariable() {
        assertThat(Settings.names()).contains("ALLOCATION_API_TOKEN", "ALLOCATION_DB_URL", "ALLOCATION_DB_USER",
                "ALLOCATION_REDIS_URL");
        return Settings.names();
    }

    @ParameterizedTest
    @MethodSource("everyVariable")
    void an_empty_variable_is_refused_by_name_not_taken_as_unset(String name) {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(name, "")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessage("Invalid configuration:\n  " + name + " is set but empty; unset it or give a value");
    }

    @ParameterizedTest
    @MethodSource("everyVariable")
    void a_blank_variable_is_refused_by_name_secrets_too(String name) {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of(name, " \t ")))
                .isInstanceOf(Settings.InvalidSettings.class)
                .hasMessage("Invalid configuration:\n  " + name + " is set but blank; unset it or give a value");
    }

    @Test
    void an_empty_token_database_url_or_redis_url_never_falls_back_to_open_embedded_or_none() {
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKEN", "")))
                .hasMessageContaining("ALLOCATION_API_TOKEN is set but empty; unset it or give a value");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "",
                "ALLOCATION_DB_USER", "app", "ALLOCATION_DB_PASSWORD", "pw")))
                .hasMessageContaining("ALLOCATION_DB_URL is set but empty; unset it or give a value");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_REDIS_URL", "")))
                .hasMessageContaining("ALLOCATION_REDIS_URL is set but empty; unset it or give a value");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_DB_USER", " ")))
                .hasMessageContaining("ALLOCATION_DB_USER is set but blank; unset it or give a value");
    }

    @Test
    void a_secret_is_not_stripped_and_a_short_one_is_refused() {
        assertThat(Settings.fromEnvironment(Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://db/x",
                "ALLOCATION_DB_PASSWORD", " pw ")).dbPassword()).isEqualTo(" pw ");
        assertThatThrownBy(() -> Settings.fromEnvironment(Map.of("ALLOCATION_API_TOKEN", " short ")))
                .hasMessageContaining("ALLOCATION_API_TOKEN must be at least 16");
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.allocationservice.config.RedisClients;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;

/**
 * {@link RedisClients} against Redis servers of the test's own that demand a password, an ACL user,
 * or TLS: the credentials in the URL are used, a wrong one fails with a message that says so without
 * repeating it, and TLS is verified (a server whose certificate this JVM does not trust is refused).
 * That a trusted TLS server works end to end, with the trust store given to the jar as an operator
 * would, is in {@code e2e.RedisSecurityEndToEndTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisClientsTest {

    private static final String PASSWORD = "default-pass-7Hq2";
    private static final String ALICE_PASSWORD = "alice-pass-9Xw4";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private RedisTestServer protectedServer;
    private RedisTestServer tlsServer;

    @BeforeAll
    void start(@TempDir Path dir) {
        protectedServer = RedisTestServer.start(List.of("--requirepass", PASSWORD,
                "--user", "alice", "on", ">" + ALICE_PASSWORD, "~alice:*", "&*", "+@all"));
        TestCertificates certificates = TestCertificates.create(dir, "IP:127.0.0.1", "DNS:localhost");
        tlsServer = RedisTestServer.startTls(certificates.serverCertificate(), certificates.serverKey(), List.of());
    }

    @AfterAll
    void stop() {
        if (protectedServer != null) {
            protectedServer.close();
        }
        if (tlsServer != null) {
            tlsServer.close();
        }
    }

    @Test
    void the_password_in_the_url_authenticates() {
        try (RedisClient redis = client("redis://:" + PASSWORD + "@127.0.0.1:" + protectedServer.port())) {
            redis.set("key", "value");

            assertThat(redis.get("key")).isEqualTo("value");
        }
    }

    @Test
    void an_acl_user_and_password_in_the_url_authenticate_as_that_user() {
        try (RedisClient redis = client("redis://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + protectedServer.port() + "/2")) {
            redis.set("alice:key", "alice's");

            assertThat(redis.get("alice:key")).isEqualTo("alice's");
            assertThat(chain(catchThrowable(() -> redis.set("key", "not alice's")))).as("alice may use only alice:*")
                    .contains("NOPERM");
        }
    }

    @Test
    void a_wrong_password_fails_saying_so_without_repeating_it() {
        try (RedisClient redis = client("redis://alice:wrong-pass-3Kd8@127.0.0.1:" + protectedServer.port())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(chain(failure)).containsIgnoringCase("WRONGPASS")
                    .doesNotContain("wrong-pass-3Kd8", ALICE_PASSWORD, PASSWORD);
        }
    }

    @Test
    void no_password_fails_saying_one_is_needed() {
        try (RedisClient redis = client("redis://127.0.0.1:" + protectedServer.port())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(chain(failure)).containsIgnoringCase("NOAUTH");
        }
    }

    @Test
    void a_tls_server_whose_certificate_the_jvm_does_not_trust_is_refused() {
        assertThat(tlsServer.url()).startsWith("rediss://");
        try (RedisClient redis = client(tlsServer.url())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(causes(failure)).anyMatch(SSLHandshakeException.class::isInstance);
        }
    }

    private static RedisClient client(String url) {
        return RedisClients.create(URI.create(url), TIMEOUT, TIMEOUT);
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> causes = new ArrayList<>();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            causes.add(t);
        }
        return causes;
    }

    /** Every message and type in the chain, as a log line with its causes would show them. */
    private static String chain(Throwable failure) {
        return String.join(" <- ", causes(failure).stream().map(Throwable::toString).toList());
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.allocationservice.config.RedisClients;
import com.allocationservice.config.RedisUrl;
import com.allocationservice.support.Ports;
import com.allocationservice.support.RedisSentinelTestSet;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
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
import redis.clients.jedis.UnifiedJedis;

/**
 * {@link RedisClients} against Redis servers of the test's own that demand a password, an ACL user,
 * or TLS: the credentials in the URL are used, a wrong one fails with a message that says so without
 * repeating it, and TLS is verified: the certificate against the JVM's trust store, given as an
 * operator gives it ({@code -Djavax.net.ssl.trustStore}, to a JVM of its own: {@link Ping}), and its
 * host name against the URL's. The jar over TLS is in {@code e2e.RedisSecurityEndToEndTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisClientsTest {

    private static final String PASSWORD = "default-pass-7Hq2";
    private static final String ALICE_PASSWORD = "alice-pass-9Xw4";
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private RedisTestServer protectedServer;
    private RedisTestServer tlsServer;
    private RedisTestServer otherHostTlsServer;
    private TestCertificates certificates;
    private TestCertificates otherHost;

    @BeforeAll
    void start(@TempDir Path dir) {
        protectedServer = RedisTestServer.start(List.of("--requirepass", PASSWORD,
                "--user", "alice", "on", ">" + ALICE_PASSWORD, "~alice:*", "&*", "+@all"));
        certificates = TestCertificates.create(dir, "IP:127.0.0.1", "DNS:localhost");
        tlsServer = RedisTestServer.startTls(certificates.serverCertificate(), certificates.serverKey(),
                List.of("--requirepass", PASSWORD));
        Path other = dir.resolve("other");
        otherHost = TestCertificates.create(createDirectory(other), "DNS:redis.example.com");
        otherHostTlsServer = RedisTestServer.startTls(otherHost.serverCertificate(), otherHost.serverKey(), List.of());
        // the other host's certificate is signed by a CA of its own: trust it alongside ours
        trust(otherHost.caCertificate(), certificates.trustStore());
    }

    @AfterAll
    void stop() {
        if (protectedServer != null) {
            protectedServer.close();
        }
        if (tlsServer != null) {
            tlsServer.close();
        }
        if (otherHostTlsServer != null) {
            otherHostTlsServer.close();
        }
    }

    @Test
    void the_password_in_the_url_authenticates() {
        try (UnifiedJedis redis = client("redis://:" + PASSWORD + "@127.0.0.1:" + protectedServer.port())) {
            redis.set("key", "value");

            assertThat(redis.get("key")).isEqualTo("value");
        }
    }

    @Test
    void an_acl_user_and_password_in_the_url_authenticate_as_that_user() {
        try (UnifiedJedis redis = client("redis://alice:" + ALICE_PASSWORD + "@127.0.0.1:" + protectedServer.port() + "/2")) {
            redis.set("alice:key", "alice's");

            assertThat(redis.get("alice:key")).isEqualTo("alice's");
            assertThat(chain(catchThrowable(() -> redis.set("key", "not alice's")))).as("alice may use only alice:*")
                    .contains("NOPERM");
        }
    }

    @Test
    void a_wrong_password_fails_saying_so_without_repeating_it() {
        try (UnifiedJedis redis = client("redis://alice:wrong-pass-3Kd8@127.0.0.1:" + protectedServer.port())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(chain(failure)).containsIgnoringCase("WRONGPASS")
                    .doesNotContain("wrong-pass-3Kd8", ALICE_PASSWORD, PASSWORD);
        }
    }

    @Test
    void no_password_fails_saying_one_is_needed() {
        try (UnifiedJedis redis = client("redis://127.0.0.1:" + protectedServer.port())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(chain(failure)).containsIgnoringCase("NOAUTH");
        }
    }

    @Test
    void a_tls_server_whose_certificate_the_jvm_does_not_trust_is_refused() {
        assertThat(tlsServer.url()).startsWith("rediss://");
        try (UnifiedJedis redis = client(tlsServer.url())) {
            Throwable failure = catchThrowable(redis::ping);

            assertThat(failure).isNotNull();
            assertThat(causes(failure)).anyMatch(SSLHandshakeException.class::isInstance);
        }
    }

    @Test
    void a_tls_server_with_a_password_works_with_the_ca_in_the_jvm_trust_store() {
        String url = tlsServer.url().replace("rediss://", "rediss://:" + PASSWORD + "@");

        assertThat(Ping.run(List.of(certificates.jvmTrustOptions().split(" ")), "ping", url)).isEqualTo("PONG");
    }

    @Test
    void a_tls_server_whose_certificate_names_another_host_is_refused() {
        String answer = Ping.run(List.of(certificates.jvmTrustOptions().split(" ")), "ping", otherHostTlsServer.url());

        assertThat(answer).contains("SSLHandshakeException").containsIgnoringCase("127.0.0.1");
    }

    @Test
    void a_tls_sentinel_url_reaches_the_primary_over_tls_with_both_certificates_verified() {
        try (TlsSentinel sentinel = new TlsSentinel(certificates, tlsServer.port())) {
            String url = "rediss-sentinel://:" + PASSWORD + "@127.0.0.1:" + sentinel.port + "#m";

            // the client logs the primary it found on standard output, before the answer
            assertThat(Ping.run(List.of(certificates.jvmTrustOptions().split(" ")), "ping", url)).endsWith("\nPONG")
                    .contains("Created connection pool to master at 127.0.0.1:" + tlsServer.port());
        }
    }

    @Test
    void a_tls_sentinel_whose_certificate_names_another_host_is_refused() {
        try (TlsSentinel sentinel = new TlsSentinel(otherHost, tlsServer.port())) {
            String url = "rediss-sentinel://:" + PASSWORD + "@127.0.0.1:" + sentinel.port + "#m";

            assertThat(Ping.run(List.of(certificates.jvmTrustOptions().split(" ")), "ping", url))
                    .contains("SSLHandshakeException").containsIgnoringCase("127.0.0.1");
        }
    }

    @Test
    void a_primary_whose_certificate_names_another_host_is_refused_when_found_through_a_tls_sentinel() {
        try (TlsSentinel sentinel = new TlsSentinel(certificates, otherHostTlsServer.port())) {
            String url = "rediss-sentinel://127.0.0.1:" + sentinel.port + "#m";

            assertThat(Ping.run(List.of(certificates.jvmTrustOptions().split(" ")), "ping", url))
                    .contains("SSLHandshakeException").containsIgnoringCase("127.0.0.1");
        }
    }

    /** A Sentinel speaking TLS only, with these certificates, told the primary named m is the TLS server on this port. */
    private static final class TlsSentinel implements AutoCloseable {
        final int port = Ports.free();
        final Process process;

        TlsSentinel(TestCertificates certificates, int primaryPort) {
            process = RedisSentinelTestSet.sentinel(port, List.of("port 0", "tls-port " + port,
                    "tls-cert-file " + certificates.serverCertificate(), "tls-key-file " + certificates.serverKey(),
                    "tls-ca-cert-file " + certificates.caCertificate(), "tls-auth-clients no", "tls-replication yes",
                    "sentinel monitor m 127.0.0.1 " + primaryPort + " 1", "sentinel auth-pass m " + PASSWORD));
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A JVM of its own, on the test class path, given JVM options as an operator gives them: {@code ping
     * <url>} prints PONG, or the failure, through {@link RedisClients}.
     */
    public static final class Ping {

        public static void main(String[] args) {
            try (UnifiedJedis redis = client(args[1])) {
                System.out.print(redis.ping());
            } catch (RuntimeException e) {
                System.out.print(chain(e));
            }
        }

        static String run(List<String> jvmOptions, String... args) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Ping.class.getName()));
            command.addAll(List.of(args));
            try {
                Process process = new ProcessBuilder(command).start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(process.waitFor()).as(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                        .isZero();
                return output;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private void trust(Path caCertificate, Path trustStore) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            char[] password = certificates.trustStorePassword().toCharArray();
            try (InputStream in = Files.newInputStream(trustStore)) {
                store.load(in, password);
            }
            try (InputStream in = Files.newInputStream(caCertificate)) {
                store.setCertificateEntry("other", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            try (OutputStream out = Files.newOutputStream(trustStore)) {
                store.store(out, password);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path createDirectory(Path dir) {
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static UnifiedJedis client(String url) {
        return RedisClients.create(RedisUrl.parse(url), TIMEOUT, TIMEOUT);
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

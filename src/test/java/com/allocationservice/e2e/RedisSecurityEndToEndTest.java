package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.OpenApiContract;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestCertificates;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.ClientKillParams;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The jar as a production deployment runs it: a Redis that wants a password and speaks only TLS
 * (its CA given to the JVM as a trust store), a database password and an API token. Messages flow
 * both ways over TLS; and whatever fails (Redis refusing the password, Redis gone, the database
 * missing at start-up, a malformed setting), no secret ever appears in the service's output.
 */
class RedisSecurityEndToEndTest {

    private static final String DB_PASSWORD = "db-secret-Qm3v8";
    private static final String REDIS_PASSWORD = "redis-secret-Lp7w2";
    private static final String TOKEN = "api-secret-token-Zr5k1x";
    private static final List<String> SECRETS = List.of(DB_PASSWORD, REDIS_PASSWORD, TOKEN);
    private static final Duration WITHIN = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path workDir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void over_tls_with_a_password_messages_flow_both_ways_and_no_failure_prints_a_secret() throws Exception {
        TestCertificates certificates = TestCertificates.create(Files.createDirectory(workDir.resolve("tls")),
                "IP:127.0.0.1", "DNS:localhost");
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
                RedisTestServer redisServer = RedisTestServer.startTls(certificates.serverCertificate(),
                        certificates.serverKey(), List.of("--requirepass", REDIS_PASSWORD));
                Jedis redis = new Jedis(new HostAndPort("127.0.0.1", redisServer.port()), DefaultJedisClientConfig.builder()
                        .ssl(true).sslSocketFactory(certificates.socketFactory()).password(REDIS_PASSWORD).build());
                ServiceProcess service = ServiceProcess.start(workDir, Map.of(
                        "ALLOCATION_DB_URL", db.url() + (db.url().contains("?") ? "&" : "?") + "password=" + DB_PASSWORD,
                        "ALLOCATION_DB_USER", db.user(), "ALLOCATION_DB_PASSWORD", DB_PASSWORD,
                        "ALLOCATION_REDIS_URL", "rediss://:" + REDIS_PASSWORD + "@127.0.0.1:" + redisServer.port(),
                        "ALLOCATION_API_TOKEN", TOKEN,
                        "JAVA_TOOL_OPTIONS", certificates.jvmTrustOptions()))) {
            await("the service subscribes over TLS").atMost(WITHIN)
                    .until(() -> redis.pubsubNumSub("change_batch_quantity").getOrDefault("change_batch_quantity", 0L) > 0);

            // out: an allocation is published to the stream over TLS
            assertThat(send(service, "POST", "/add_batch", "{\"ref\": \"b1\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}")
                    .statusCode()).isEqualTo(201);
            assertThat(send(service, "POST", "/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 2}")
                    .statusCode()).isEqualTo(202);
            await("line_allocated is on the stream").atMost(WITHIN).until(() -> redis
                    .xrange("line_allocated", (StreamEntryID) null, (StreamEntryID) null).stream()
                    .map(StreamEntry::getFields).anyMatch(fields -> fields.get("data").contains("\"o1\"")));

            // in: a stream entry changes the batch
            redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of("data", "{\"batchref\": \"b1\", \"qty\": 3}"));
            await("the quantity change is applied").atMost(WITHIN).until(() ->
                    JSON.readTree(send(service, "GET", "/products/LAMP/stock", null).body())
                            .path("batches").path(0).path("purchased").asInt() == 3);

            // failures: Redis refuses the password, then Redis is gone, while requests keep coming
            redis.configSet("requirepass", "another-password-1");
            redis.clientKill(new ClientKillParams().skipMe(ClientKillParams.SkipMe.YES));
            await("the consumer reports the refused password").atMost(WITHIN)
                    .until(() -> service.log().contains("WRONGPASS"));
            redisServer.stop();
            assertThat(send(service, "POST", "/allocate", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 1}")
                    .statusCode()).isEqualTo(202);
            int before = service.log().length();
            await("the service reports Redis unreachable").atMost(WITHIN)
                    .until(() -> service.log().substring(before).toLowerCase().contains("connect"));
            assertThat(send(service, "GET", "/allocations/o1", null).statusCode()).isEqualTo(200);
            service.stop();

            String output = service.log();
            assertThat(output).contains("Allocation service listening", "Stopped");
            assertThat(output).doesNotContain(SECRETS);
        }
    }

    @Test
    void start_up_failures_name_the_problem_without_printing_a_secret() throws Exception {
        Map<String, String> secrets = Map.of("ALLOCATION_DB_PASSWORD", DB_PASSWORD,
                "ALLOCATION_REDIS_URL", "redis://app:" + REDIS_PASSWORD + "@127.0.0.1:1", "ALLOCATION_API_TOKEN", TOKEN);
        String missingDatabase = TestDatabase.postgresServerUrl().replaceAll("/[^/?]*(\\?.*)?$", "/no_such_database_here")
                + "?password=" + DB_PASSWORD;

        for (Map<String, String> settings : List.of(
                Map.of("ALLOCATION_DB_URL", missingDatabase),
                Map.of("ALLOCATION_DB_URL", "jdbc:postgresql://127.0.0.1:1/allocation?password=" + DB_PASSWORD,
                        "ALLOCATION_DB_CONNECT_TIMEOUT_MS", "1000", "ALLOCATION_DB_START_TIMEOUT_MS", "1000"),
                Map.of("ALLOCATION_DB_URL", "postgres://app:" + DB_PASSWORD + "@127.0.0.1/allocation",
                        "ALLOCATION_REDIS_URL", "http://app:" + REDIS_PASSWORD + "@127.0.0.1:1"))) {
            Map<String, String> env = new HashMap<>(secrets);
            env.put("ALLOCATION_HTTP_PORT", "0");
            env.putAll(settings);

            String output = runUntilExit(env);

            assertThat(output).as(output).containsAnyOf("Cannot start the allocation service", "Invalid configuration");
            assertThat(output).doesNotContain(SECRETS);
        }
    }

    private HttpResponse<String> send(ServiceProcess service, String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + TOKEN)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        try {
            HttpRequest built = request.build();
            HttpResponse<String> response = http.send(built, HttpResponse.BodyHandlers.ofString());
            OpenApiContract.check(built.method(), built.uri(), response);
            return response;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String runUntilExit(Map<String, String> settings) {
        ServiceProcess.Exit exit = ServiceProcess.runUntilExit(workDir, settings);
        assertThat(exit.code()).as(exit.output()).isNotZero();
        return exit.output();
    }
}

package com.allocationservice.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.support.Closing;
import com.allocationservice.support.OtlpReceiver;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The jar against PostgreSQL and Redis with traces exported over OTLP/HTTP to a receiver in the test:
 * an allocation sent with a {@code traceparent} is one trace, from the HTTP span through the commit
 * group's spans and its SQL round trips to the Redis message, which carries a {@code traceparent} of
 * that trace; a {@code change_batch_quantity} stream entry with a {@code traceparent} is handled in its
 * trace. With tracing off, nothing is exported and the messages carry no {@code traceparent}.
 */
class TracingEndToEndTest {

    private static final Duration WITHIN_SECONDS = Duration.ofSeconds(15);
    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path workDir;

    private TestDatabase db;
    private RedisTestServer redisServer;
    private RedisClient redis;
    private OtlpReceiver receiver;
    private ServiceProcess service;

    @BeforeEach
    void start_postgresql_redis_and_a_trace_receiver() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES, 2);
        redisServer = RedisTestServer.start();
        redis = RedisClient.create(URI.create(redisServer.url()));
        receiver = OtlpReceiver.start();
    }

    @AfterEach
    void stop() {
        Closing.all(service, redis, redisServer, receiver, db);
    }

    @Test
    void an_allocation_with_a_traceparent_is_one_trace_from_the_request_to_the_redis_message() {
        startService(true);
        addBatch("warehouse");
        String traceId = randomHex(16);
        String callerSpanId = randomHex(8);
        ServiceProcess.Answer answer = service.post("/allocate",
                "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 3}",
                Map.of("traceparent", "00-" + traceId + "-" + callerSpanId + "-01"));
        assertThat(answer.status()).as(answer.body()).isEqualTo(202);

        OtlpReceiver.Span request = awaitSpan(traceId, "POST /allocate");
        assertThat(request.parentSpanId()).as("the request continues the caller's span").isEqualTo(callerSpanId);
        assertThat(request.attributes()).containsEntry("http.route", "/allocate")
                .containsEntry("http.response.status_code", "202");
        OtlpReceiver.Span waiting = awaitSpan(traceId, "commit group wait");
        assertThat(waiting.parentSpanId()).isEqualTo(request.spanId());
        OtlpReceiver.Span group = awaitSpan(traceId, "commit group");
        assertThat(group.parentSpanId()).isEqualTo(waiting.spanId());
        assertThat(group.attributes()).containsEntry("allocation.group.size", "1");
        // the compare-and-set, the batch, the line (which carries its history entry, V18) and the outbox rows
        // in one round trip: "write"
        for (String sql : List.of("load products", "write", "commit")) {
            assertThat(awaitSpan(traceId, sql).parentSpanId()).as(sql).isEqualTo(group.spanId());
        }

        StreamEntry message = awaitStreamEntry("line_allocated", "order-1");
        String traceparent = message.getFields().get("traceparent");
        assertThat(traceparent).as("the stream entry's traceparent").isNotNull().startsWith("00-" + traceId + "-");
        String messageSpanId = traceparent.split("-")[2];
        assertThat(receiver.spansOf(traceId)).extracting(OtlpReceiver.Span::spanId).contains(messageSpanId);
    }

    @Test
    void a_change_batch_quantity_entry_with_a_traceparent_is_handled_in_its_trace() {
        startService(true);
        addBatch("warehouse");
        String traceId = randomHex(16);
        String producerSpanId = randomHex(8);
        redis.xadd("change_batch_quantity", XAddParams.xAddParams(), Map.of(
                "data", "{\"batchref\": \"warehouse\", \"qty\": 5}",
                "traceparent", "00-" + traceId + "-" + producerSpanId + "-01"));

        OtlpReceiver.Span consumed = awaitSpan(traceId, "change_batch_quantity process");
        assertThat(consumed.parentSpanId()).isEqualTo(producerSpanId);
        OtlpReceiver.Span waiting = awaitSpan(traceId, "commit group wait");
        assertThat(waiting.parentSpanId()).isEqualTo(consumed.spanId());
        assertThat(awaitSpan(traceId, "commit group").parentSpanId()).isEqualTo(waiting.spanId());
        awaitSpan(traceId, "commit");
        assertThat(db.number("SELECT purchased_quantity FROM batches WHERE reference = 'warehouse'")).isEqualTo(5);
    }

    @Test
    void with_tracing_off_nothing_is_exported_and_messages_carry_no_traceparent() {
        startService(false);
        addBatch("warehouse");
        ServiceProcess.Answer answer = service.post("/allocate",
                "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 3}",
                Map.of("traceparent", "00-" + randomHex(16) + "-" + randomHex(8) + "-01"));
        assertThat(answer.status()).as(answer.body()).isEqualTo(202);

        StreamEntry message = awaitStreamEntry("line_allocated", "order-1");
        assertThat(message.getFields()).containsOnlyKeys("data");
        assertThat(db.number("SELECT count(*) FROM outbox WHERE traceparent IS NOT NULL")).isZero();
        assertThat(receiver.spans()).isEmpty();
    }

    @Test
    void with_no_collector_to_export_to_the_sdks_complaint_is_a_line_of_the_services_json_log() {
        int closedPort = com.allocationservice.support.Ports.free();
        startService(true, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + closedPort,
                "ALLOCATION_LOG_FORMAT", "json"));
        addBatch("warehouse");
        assertThat(service.post("/allocate", "{\"orderid\": \"order-1\", \"sku\": \"LAMP\", \"qty\": 3}").status())
                .isEqualTo(202);

        await("the exporter's failure in the log").atMost(Duration.ofSeconds(40))
                .until(() -> service.log().contains("Failed to export"));
        assertThat(service.log().lines()).allSatisfy(line -> assertThat(JSON.readTree(line).isObject()).as(line).isTrue());
    }

    private void startService(boolean traced) {
        startService(traced, Map.of());
    }

    /** The jar on the test's PostgreSQL and Redis, exporting to the receiver when traced (nothing OTEL_* otherwise). */
    private void startService(boolean traced, Map<String, String> more) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "ALLOCATION_DB_URL", db.url(),
                "ALLOCATION_DB_USER", db.user(),
                "ALLOCATION_REDIS_URL", redisServer.url()));
        if (traced) {
            settings.putAll(Map.of(
                    "OTEL_TRACES_EXPORTER", "otlp",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint(),
                    "OTEL_BSP_SCHEDULE_DELAY", "100"));
        }
        settings.putAll(more);
        service = ServiceProcess.start(workDir, settings);
    }

    private OtlpReceiver.Span awaitSpan(String traceId, String name) {
        return await("a span " + name + " in trace " + traceId).atMost(WITHIN_SECONDS)
                .until(() -> receiver.spansOf(traceId).stream().filter(s -> s.name().equals(name)).findFirst(),
                        Optional::isPresent).orElseThrow();
    }

    private StreamEntry awaitStreamEntry(String stream, String orderid) {
        return await(stream + " for " + orderid).atMost(WITHIN_SECONDS)
                .until(() -> redis.xrange(stream, "-", "+").stream()
                        .filter(e -> e.getFields().get("data").contains("\"orderid\":\"" + orderid + "\"")).findFirst(),
                        Optional::isPresent).orElseThrow();
    }

    private void addBatch(String ref) {
        assertThat(service.post("/add_batch", "{\"ref\": \"" + ref + "\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}")
                .status()).isEqualTo(201);
    }

    private static String randomHex(int bytes) {
        byte[] id = new byte[bytes];
        RANDOM.nextBytes(id);
        return HEX.formatHex(id);
    }
}

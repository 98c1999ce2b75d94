package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.EmailDestination;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.LoggingEventPublisher;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.adapters.RedisDestination;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.allocationservice.views.Views;
import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;

/**
 * {@code GET /orders/{orderid}/history} on PostgreSQL and H2, driven by real commands: over HTTP with
 * a named token, and on the Redis stream through the service's own consumer. Each entry names what
 * happened, the batch, the command that caused it and where the command came from; entries are
 * written in the transaction of the change, and pruned by the relay once past their retention.
 */
class OrderLineHistoryTest {

    private static final String CLERK = "clerk-token-0123456789";
    private static final Duration SOON = Duration.ofSeconds(20);

    private final List<AutoCloseable> opened = new ArrayList<>();
    private TestService api;
    private RedisClient redis;
    private String redisUrl;

    @AfterEach
    void close() {
        Closing.all(opened.reversed());
    }

    private void start(TestDatabase.Kind kind) throws Exception {
        RedisTestServer server = RedisTestServer.start();
        opened.add(server);
        redisUrl = server.url();
        redis = RedisClient.create(URI.create(redisUrl));
        opened.add(redis);
        Path tokens = Files.createTempFile("api-tokens", ".txt");
        opened.add(() -> Files.deleteIfExists(tokens));
        Files.writeString(tokens, "clerk allocate,purchase,read " + digest(CLERK) + "\n");
        api = TestService.start(kind, Map.of("ALLOCATION_REDIS_URL", server.url(), "ALLOCATION_CONSUMER_ENABLED", "true",
                "ALLOCATION_API_TOKENS_FILE", tokens.toString()));
        opened.add(api);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void tells_each_lines_story_with_the_batch_the_cause_and_the_source(TestDatabase.Kind kind) throws Exception {
        start(kind);
        post("/add_batch", "{\"ref\": \"W\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}", 201);
        post("/add_batch", "{\"ref\": \"S\", \"sku\": \"LAMP\", \"qty\": 4, \"eta\": \"2026-12-24\"}", 201);
        post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 6}", 202);
        post("/allocate", "{\"orderid\": \"o2\", \"sku\": \"LAMP\", \"qty\": 4}", 202);

        // W shrinks to 4: o2 (placed last) moves to S; o1 fits nowhere and waits
        post("/change_batch_quantity", "{\"ref\": \"W\", \"qty\": 4, \"seq\": 7}", 200);
        // W grows to 6 on the stream: o1 is placed there
        StreamEntryID entry = redis.xadd(RedisConsumer.STREAM, XAddParams.xAddParams(),
                Map.of("data", "{\"batchref\": \"W\", \"qty\": 6}"));
        Awaitility.await("the stream's change places o1").atMost(SOON)
                .until(() -> get("/allocations/o1").body().contains("\"W\""));
        // W shrinks to nothing (no seq): o1 waits again, until batch W2 arrives
        post("/change_batch_quantity", "{\"ref\": \"W\", \"qty\": 0}", 200);
        post("/add_batch", "{\"ref\": \"W2\", \"sku\": \"LAMP\", \"qty\": 6, \"eta\": null}", 201);
        post("/deallocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\"}", 200);

        String id = entry.toString();
        assertThat(history("o1")).containsExactly(
                List.of("LAMP", "allocated", "W", "allocate", "o1", "-", "http", "clerk"),
                List.of("LAMP", "backordered", "-", "change_batch_quantity", "W", "7", "http", "clerk"),
                List.of("LAMP", "placed", "W", "change_batch_quantity", "W", id, "stream", id),
                List.of("LAMP", "backordered", "-", "change_batch_quantity", "W", "-", "http", "clerk"),
                List.of("LAMP", "placed", "W2", "add_batch", "W2", "-", "http", "clerk"),
                List.of("LAMP", "deallocated", "-", "deallocate", "o1", "-", "http", "clerk"));
        assertThat(history("o2")).containsExactly(
                List.of("LAMP", "allocated", "W", "allocate", "o2", "-", "http", "clerk"),
                List.of("LAMP", "moved", "S", "change_batch_quantity", "W", "7", "http", "clerk"));
        JsonNode first = TestService.json(get("/orders/o1/history")).get(0);
        assertThat(Instant.parse(first.get("at").textValue())).isBetween(Instant.now().minusSeconds(60), Instant.now());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_change_from_pub_sub_names_its_message_id_and_seq(TestDatabase.Kind kind) throws Exception {
        start(kind);
        post("/add_batch", "{\"ref\": \"W\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}", 201);
        post("/add_batch", "{\"ref\": \"S\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": \"2026-12-24\"}", 201);
        post("/allocate", "{\"orderid\": \"o1\", \"sku\": \"LAMP\", \"qty\": 6}", 202);
        Awaitility.await("the consumer listens").atMost(SOON).until(() -> {
            try (Jedis jedis = new Jedis(URI.create(redisUrl))) {
                return jedis.pubsubNumSub(RedisConsumer.CHANNEL).getOrDefault(RedisConsumer.CHANNEL, 0L) > 0;
            }
        });

        redis.publish(RedisConsumer.CHANNEL, "{\"id\": \"msg-1\", \"batchref\": \"W\", \"qty\": 0, \"seq\": 3}");

        Awaitility.await("o1 moves to S").atMost(SOON).until(() -> get("/allocations/o1").body().contains("\"S\""));
        assertThat(history("o1")).containsExactly(
                List.of("LAMP", "allocated", "W", "allocate", "o1", "-", "http", "clerk"),
                List.of("LAMP", "moved", "S", "change_batch_quantity", "W", "3", "pubsub", "msg-1"));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void an_order_without_history_is_404_and_a_malformed_orderid_400(TestDatabase.Kind kind) throws Exception {
        start(kind);
        post("/add_batch", "{\"ref\": \"W\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}", 201);

        HttpResponse<String> unknown = get("/orders/nobody/history");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(TestService.message(unknown)).isEqualTo("No history for order nobody");
        // refused by the server before any route runs, as for every path (the document's description says so)
        HttpResponse<String> malformed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                api.uri("/orders/abc%00def/history")).header("Authorization", "Bearer " + CLERK).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(TestService.message(malformed)).contains("NUL");
        post("/allocate", "{\"orderid\": \"PO/1\", \"sku\": \"LAMP\", \"qty\": 1}", 202);
        assertThat(history("PO%2F1")).containsExactly(List.of("LAMP", "allocated", "W", "allocate", "PO/1", "-", "http",
                "clerk"));
    }

    /**
     * The entries are in the transaction of the change: a commit that fails leaves neither the line
     * nor its history; the same command committed leaves both. An allocation's entry rides on its
     * line's row (V18), and moves into the history rows, as it was, only with the line's next change.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_group_that_is_rolled_back_writes_no_history(TestDatabase.Kind kind) throws SQLException {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus working = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            working.handle(new CreateBatch("W", "LAMP", 10, null));
            MessageBus failing = Bootstrap.bus(JdbcUnitOfWork.factory(refusingCommits(db.dataSource())));
            Views views = new Views(db.dataSource());

            assertThatThrownBy(() -> failing.handle(new Allocate("o1", "LAMP", 2))).isInstanceOf(RuntimeException.class);
            assertThat(db.number("SELECT COUNT(*) FROM order_lines WHERE orderid = ?", "o1")).isZero();
            assertThat(views.history("o1")).isEmpty();

            working.handle(new Allocate("o1", "LAMP", 2));
            assertThat(db.number("SELECT COUNT(*) FROM order_line_history WHERE orderid = ?", "o1"))
                    .as("the allocation's entry is on the line's row").isZero();
            List<Views.HistoryEntry> allocated = views.history("o1");
            assertThat(allocated).extracting(Views.HistoryEntry::kind, Views.HistoryEntry::batchref,
                    Views.HistoryEntry::source).containsExactly(org.assertj.core.groups.Tuple.tuple("allocated", "W",
                    "internal"));

            assertThatThrownBy(() -> failing.handle(new ChangeBatchQuantity("W", 1))).isInstanceOf(RuntimeException.class);
            assertThat(views.history("o1")).isEqualTo(allocated);
            assertThat(db.number("SELECT COUNT(*) FROM order_line_history WHERE orderid = ?", "o1")).isZero();

            working.handle(new ChangeBatchQuantity("W", 1));
            assertThat(db.number("SELECT COUNT(*) FROM order_line_history WHERE orderid = ?", "o1"))
                    .as("the allocation's entry moved into the history, then the backorder's").isEqualTo(2);
            assertThat(db.number("SELECT COUNT(*) FROM order_lines WHERE orderid = ? AND allocated_at IS NULL", "o1"))
                    .isEqualTo(1);
            List<Views.HistoryEntry> backordered = views.history("o1");
            assertThat(backordered.getFirst()).isEqualTo(allocated.getFirst());
            assertThat(backordered).extracting(Views.HistoryEntry::kind).containsExactly("allocated", "backordered");
        }
    }

    /** More than one prune's batch past the retention: all of it goes, batch after batch; younger entries stay. */
    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void the_relay_prunes_history_past_its_retention(TestDatabase.Kind kind) throws SQLException {
        try (TestDatabase db = TestDatabase.create(kind)) {
            Instant now = Instant.now();
            insert(db, 2500, now.minus(Duration.ofDays(31)), "old");
            insert(db, 1, now.minus(Duration.ofDays(29)), "young");
            try (OutboxRelay relay = new OutboxRelay(db.dataSource(), new RedisDestination(new LoggingEventPublisher()),
                    new EmailDestination(new FakeNotifications(), "stock@made.com", Duration.ofMinutes(15)), 10,
                    Duration.ofMillis(50), Duration.ofDays(30))) {
                relay.start();
                Awaitility.await("every old entry pruned").atMost(SOON)
                        .until(() -> db.number("SELECT COUNT(*) FROM order_line_history WHERE orderid = ?", "old") == 0);
            }
            assertThat(db.number("SELECT COUNT(*) FROM order_line_history WHERE orderid = ?", "young")).isEqualTo(1);
        }
    }

    private static void insert(TestDatabase db, int rows, Instant at, String orderid) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(
                "INSERT INTO order_line_history (at, orderid, sku, kind, batchref, cause, cause_ref, source) "
                        + "VALUES (?, ?, 'LAMP', 'allocated', 'W', 'allocate', ?, 'http')")) {
            for (int i = 0; i < rows; i++) {
                st.setTimestamp(1, Timestamp.from(at.truncatedTo(ChronoUnit.MICROS)));
                st.setString(2, orderid);
                st.setString(3, orderid);
                st.addBatch();
            }
            st.executeBatch();
            c.commit();
        }
    }

    /** The data source, but every COMMIT fails (and closing the connection rolls back). */
    private static DataSource refusingCommits(DataSource real) {
        return (DataSource) Proxy.newProxyInstance(OrderLineHistoryTest.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(method, real, args);
                    if (method.getName().equals("getConnection")) {
                        Connection connection = (Connection) result;
                        return Proxy.newProxyInstance(OrderLineHistoryTest.class.getClassLoader(),
                                new Class<?>[] {Connection.class}, (p, m, a) -> {
                                    if (m.getName().equals("commit")) {
                                        throw new SQLException("commit refused by the test", "XX000");
                                    }
                                    return invoke(m, connection, a);
                                });
                    }
                    return result;
                });
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Each entry as [sku, kind, batchref, cause, cause_ref, cause_key, source, source_id], "-" for null. */
    private List<List<String>> history(String orderid) {
        HttpResponse<String> response = get("/orders/" + orderid + "/history");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        List<List<String>> entries = new ArrayList<>();
        for (JsonNode entry : TestService.json(response)) {
            entries.add(Arrays.stream(new String[] {"sku", "kind", "batchref", "cause", "cause_ref", "cause_key", "source",
                    "source_id"}).map(field -> entry.get(field).isNull() ? "-" : entry.get(field).textValue()).toList());
        }
        return entries;
    }

    private void post(String path, String body, int status) {
        HttpResponse<String> response = api.send(HttpRequest.newBuilder(api.uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + CLERK).build());
        assertThat(response.statusCode()).as(path + " " + body + ": " + response.body()).isEqualTo(status);
    }

    private HttpResponse<String> get(String path) {
        return api.send(HttpRequest.newBuilder(api.uri(path)).GET().header("Authorization", "Bearer " + CLERK).build());
    }

    private static String digest(String token) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8)));
    }
}

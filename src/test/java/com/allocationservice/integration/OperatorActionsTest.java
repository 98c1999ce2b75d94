package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.support.Closing;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.XAddParams;

/**
 * Dead letters and parked outbox rows handled over the API, as an operator would: the real service
 * with its consumer and relay on a private Redis, a tokens file with an operator ({@code night-shift},
 * scope operate) and a reader, on PostgreSQL and H2 where the database matters.
 */
class OperatorActionsTest {

    private static final Duration SOON = Duration.ofSeconds(20);
    private static final String OPERATOR = "night-shift-token-0123456789";
    private static final String READER = "reader-token-0123456789";

    private final List<AutoCloseable> opened = new ArrayList<>();
    private RedisTestServer redis;
    private TestService api;

    @AfterEach
    void close() {
        Closing.all(opened.reversed());
    }

    private void start(TestDatabase.Kind kind) throws Exception {
        redis = RedisTestServer.start();
        opened.add(redis);
        Path tokens = Files.createTempFile("api-tokens", ".txt");
        opened.add(() -> Files.deleteIfExists(tokens));
        Files.writeString(tokens, "night-shift operate,purchase,read " + digest(OPERATOR) + "\n"
                + "reader read " + digest(READER) + "\n");
        api = TestService.start(kind, Map.of("ALLOCATION_REDIS_URL", redis.url(), "ALLOCATION_RELAY_ENABLED", "true",
                "ALLOCATION_CONSUMER_ENABLED", "true", "ALLOCATION_API_TOKENS_FILE", tokens.toString()));
        opened.add(api);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_parked_row_is_listed_shown_and_replayed_once_into_the_outbox_where_the_relay_delivers_it(
            TestDatabase.Kind kind) throws Exception {
        start(kind);
        park(1000, "parked-1");

        JsonNode list = json(send("GET", "/parked", null, OPERATOR), 200);
        assertThat(list.path("items")).hasSize(1);
        JsonNode row = list.path("items").get(0);
        assertThat(row.path("id").asLong()).isEqualTo(1000);
        assertThat(row.path("error").asText()).isEqualTo("WRONGTYPE refused");
        assertThat(row.path("destination").asText()).isEqualTo("stream");
        assertThat(row.path("attempts").asInt()).isEqualTo(5);
        assertThat(json(send("GET", "/parked/1000", null, OPERATOR), 200).path("payload").asText()).contains("parked-1");

        HttpResponse<String> forbidden = send("POST", "/parked/1000/replay", null, READER);
        assertThat(forbidden.statusCode()).as(forbidden.body()).isEqualTo(403);
        assertThat(actions()).as("a refused action is not recorded").isEmpty();

        HttpResponse<String> replayed = send("POST", "/parked/1000/replay", null, OPERATOR);
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
        HttpResponse<String> again = send("POST", "/parked/1000/replay", null, OPERATOR);
        assertThat(again.statusCode()).as("a replayed row is no longer parked: %s", again.body()).isEqualTo(404);

        await("the relay delivers the replayed row").atMost(SOON)
                .until(() -> orderids("line_allocated").contains("parked-1"));
        assertThat(orderids("line_allocated")).containsOnlyOnce("parked-1");
        assertThat(json(send("GET", "/parked", null, OPERATOR), 200).path("items")).isEmpty();
        assertThat(actions()).singleElement().satisfies(action -> {
            assertThat(action.path("who").asText()).isEqualTo("night-shift");
            assertThat(action.path("action").asText()).isEqualTo("replay");
            assertThat(action.path("kind").asText()).isEqualTo("parked");
            assertThat(action.path("target_id").asText()).isEqualTo("1000");
            assertThat(action.path("at").asText()).isNotBlank();
        });
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_parked_row_is_discarded_only_with_a_reason_and_the_rest_replayed_together(TestDatabase.Kind kind)
            throws Exception {
        start(kind);
        park(2001, "parked-a");
        park(2002, "parked-b");
        park(2003, "parked-c");

        for (String body : List.of("{}", "{\"reason\": \"\"}", "{\"reason\": \"   \"}", "{\"reason\": null}",
                "{\"reason\": \"" + "x".repeat(256) + "\"}", "{\"why\": \"no\"}", "not json")) {
            HttpResponse<String> refused = send("POST", "/parked/2001/discard", body, OPERATOR);
            assertThat(refused.statusCode()).as("%s: %s", body, refused.body()).isEqualTo(400);
        }
        assertThat(send("POST", "/parked/2001/discard", null, OPERATOR).statusCode()).isEqualTo(400);
        assertThat(parkedIds()).containsExactly(2001L, 2002L, 2003L);
        assertThat(actions()).isEmpty();

        HttpResponse<String> discarded = send("POST", "/parked/2001/discard",
                "{\"reason\": \"sent by hand to the shop\"}", OPERATOR);
        assertThat(discarded.statusCode()).as(discarded.body()).isEqualTo(200);
        assertThat(send("POST", "/parked/2001/discard", "{\"reason\": \"again\"}", OPERATOR).statusCode()).isEqualTo(404);
        JsonNode all = json(send("POST", "/parked/replay", null, OPERATOR), 200);
        assertThat(all.path("replayed").asInt()).isEqualTo(2);

        assertThat(parkedIds()).isEmpty();
        await("the relay delivers both").atMost(SOON)
                .until(() -> orderids("line_allocated").containsAll(List.of("parked-b", "parked-c")));
        assertThat(orderids("line_allocated")).doesNotContain("parked-a");
        List<JsonNode> actions = actions();
        assertThat(actions).hasSize(2);
        assertThat(actions.get(0).path("action").asText()).as("latest first").isEqualTo("replay_all");
        assertThat(actions.get(0).path("affected").asInt()).isEqualTo(2);
        assertThat(actions.get(1).path("action").asText()).isEqualTo("discard");
        assertThat(actions.get(1).path("reason").asText()).isEqualTo("sent by hand to the shop");
        assertThat(actions).allSatisfy(action -> assertThat(action.path("who").asText()).isEqualTo("night-shift"));
        JsonNode page = json(send("GET", "/operator-actions?limit=1", null, OPERATOR), 200);
        assertThat(page.path("items")).hasSize(1);
        JsonNode next = json(send("GET", "/operator-actions?limit=1&cursor=" + page.path("next").asText(), null,
                OPERATOR), 200);
        assertThat(next.path("items").get(0).path("action").asText()).isEqualTo("discard");
    }

    @Test
    void a_dead_letter_is_listed_shown_replayed_and_applied_once_even_when_it_reaches_the_stream_twice()
            throws Exception {
        start(TestDatabase.Kind.POSTGRES);
        // the same message (its id m-1) sent twice before its batch existed: two dead letters
        for (int i = 0; i < 2; i++) {
            addEntry("{\"id\": \"m-1\", \"batchref\": \"b-late\", \"qty\": 5}");
        }
        await("both are dead letters").atMost(SOON).until(() -> deadLetters().size() == 2);
        List<JsonNode> letters = deadLetters();
        for (JsonNode letter : letters) {
            assertThat(letter.path("error").asText()).contains("Unknown batch b-late");
            assertThat(letter.path("source").asText()).isEqualTo("stream");
            assertThat(letter.path("age_seconds").asLong()).isNotNegative();
        }
        String first = letters.get(0).path("id").asText();
        String second = letters.get(1).path("id").asText();
        JsonNode shown = json(send("GET", "/dead-letters/" + first, null, OPERATOR), 200);
        assertThat(shown.path("data").asText()).isEqualTo("{\"id\": \"m-1\", \"batchref\": \"b-late\", \"qty\": 5}");
        assertThat(send("POST", "/add_batch", "{\"ref\": \"b-late\", \"sku\": \"LAMP\", \"qty\": 10, \"eta\": null}",
                OPERATOR).statusCode()).isEqualTo(201);
        assertThat(send("POST", "/dead-letters/" + first + "/replay", null, READER).statusCode()).isEqualTo(403);

        HttpResponse<String> replayed = send("POST", "/dead-letters/" + first + "/replay", null, OPERATOR);
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(200);
        await("the replay is applied").atMost(SOON).until(() -> purchased("b-late") == 5);
        assertThat(send("POST", "/dead-letters/" + first + "/replay", null, OPERATOR).statusCode())
                .as("a replayed letter is gone").isEqualTo(404);
        addEntry("{\"batchref\": \"b-late\", \"qty\": 7}");
        await("a newer change is applied").atMost(SOON).until(() -> purchased("b-late") == 7);
        long seenBefore = consumed();

        // the second copy of m-1, replayed after a newer change: the inbox knows m-1, nothing changes
        HttpResponse<String> copy = send("POST", "/dead-letters/" + second + "/replay", null, OPERATOR);
        assertThat(copy.statusCode()).as(copy.body()).isEqualTo(200);
        await("the consumer takes the copy").atMost(SOON).until(() -> consumed() > seenBefore);
        assertThat(purchased("b-late")).as("m-1 is applied once: the newer change stands").isEqualTo(7);
        assertThat(metric("allocation_messages_in_duplicates_total")).isEqualTo(1);
        assertThat(deadLetters()).isEmpty();

        addEntry("not json");
        await().atMost(SOON).until(() -> deadLetters().size() == 1);
        String bad = deadLetters().getFirst().path("id").asText();
        assertThat(send("POST", "/dead-letters/" + bad + "/discard", "{\"reason\": \"\"}", OPERATOR).statusCode())
                .isEqualTo(400);
        assertThat(send("POST", "/dead-letters/" + bad + "/discard", "{\"reason\": \"garbage from a test tool\"}",
                OPERATOR).statusCode()).isEqualTo(200);
        assertThat(deadLetters()).isEmpty();
        assertThat(send("GET", "/dead-letters/" + bad, null, OPERATOR).statusCode()).isEqualTo(404);

        List<JsonNode> actions = actions();
        assertThat(actions).extracting(a -> a.path("action").asText() + " " + a.path("kind").asText() + " "
                + a.path("target_id").asText() + " " + a.path("who").asText()).containsExactly(
                "discard dead_letter " + bad + " night-shift",
                "replay dead_letter " + second + " night-shift",
                "replay dead_letter " + first + " night-shift");
        assertThat(actions.getFirst().path("reason").asText()).isEqualTo("garbage from a test tool");
    }

    @Test
    void without_redis_the_dead_letters_answer_503_and_without_tokens_an_action_is_anonymous() {
        api = TestService.start(TestDatabase.Kind.H2);
        opened.add(api);

        for (String[] request : List.of(new String[] {"GET", "/dead-letters"}, new String[] {"GET", "/dead-letters/1-0"},
                new String[] {"POST", "/dead-letters/1-0/replay"}, new String[] {"POST", "/dead-letters/replay"})) {
            HttpResponse<String> response = send(request[0], request[1], null, null);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
            assertThat(TestService.message(response)).contains("No Redis configured");
        }
        assertThat(send("GET", "/dead-letters/not-an-id", null, null).statusCode()).isIn(400, 503);
        assertThat(send("GET", "/parked/x", null, null).statusCode()).isEqualTo(400);
        assertThat(send("GET", "/parked?limit=0", null, null).statusCode()).isEqualTo(400);
        assertThat(json(send("POST", "/parked/replay", null, null), 200).path("replayed").asInt()).isZero();
        assertThat(json(send("GET", "/operator-actions", null, null), 200).path("items").get(0).path("who").asText())
                .isEqualTo("anonymous");
    }

    /** An outbox row set aside after its last attempt, as the relay leaves it: a line_allocated for the stream. */
    private void park(long id, String orderid) throws Exception {
        try (Connection c = api.db().dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("INSERT INTO outbox_parked (id, message_id, destination, type, sku, product_version,"
                    + " occurred_at, payload, attempts, error, parked_at) VALUES (" + id + ", '"
                    + java.util.UUID.randomUUID() + "', 'stream', 'line_allocated', 'LAMP', 1, CURRENT_TIMESTAMP, '{\"orderid\": \""
                    + orderid + "\", \"sku\": \"LAMP\", \"qty\": 1, \"batchref\": \"b1\"}', 5, 'WRONGTYPE refused',"
                    + " CURRENT_TIMESTAMP)");
            c.commit();
        }
    }

    private List<Long> parkedIds() {
        return api.db().query("SELECT id FROM outbox_parked ORDER BY id", rs -> rs.getLong(1));
    }

    private List<String> orderids(String stream) {
        return RedisMessages.stream(redis.url(), stream).stream().map(m -> m.path("orderid").asText()).toList();
    }

    private void addEntry(String data) {
        try (RedisClient client = RedisClient.create(URI.create(redis.url()))) {
            client.xadd(RedisConsumer.STREAM, XAddParams.xAddParams(), Map.of("data", data));
        }
    }

    private long purchased(String batchref) {
        return api.db().number("SELECT purchased_quantity FROM batches WHERE reference = ?", batchref);
    }

    /** Stream entries the consumer finished with: applied, skipped as duplicates or superseded, or dead-lettered. */
    private long consumed() {
        return metric("allocation_messages_in_handled_total") + metric("allocation_messages_in_duplicates_total")
                + metric("allocation_messages_in_superseded_total") + metric("allocation_messages_in_dead_lettered_total");
    }

    private long metric(String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.E]+)$").matcher(api.get("/metrics").body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private List<JsonNode> deadLetters() {
        List<JsonNode> all = new ArrayList<>();
        json(send("GET", "/dead-letters", null, OPERATOR), 200).path("items").forEach(all::add);
        return all;
    }

    private List<JsonNode> actions() {
        List<JsonNode> all = new ArrayList<>();
        json(send("GET", "/operator-actions", null, OPERATOR), 200).path("items").forEach(all::add);
        return all;
    }

    private HttpResponse<String> send(String method, String path, String body, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(api.uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return api.send(request.build());
    }

    private static JsonNode json(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return TestService.json(response);
    }

    private static String digest(String token) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(token.getBytes(StandardCharsets.UTF_8)));
    }
}

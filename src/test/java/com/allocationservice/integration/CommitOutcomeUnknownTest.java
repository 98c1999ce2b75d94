package com.allocationservice.integration;

import static com.allocationservice.integration.TestService.body;
import static com.allocationservice.integration.TestService.json;
import static com.allocationservice.integration.TestService.message;
import static org.assertj.core.api.Assertions.assertThat;

import com.allocationservice.support.Closing;
import com.allocationservice.support.TcpProxy;
import com.allocationservice.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service reaches PostgreSQL through a {@link TcpProxy} that cuts one connection at PostgreSQL's
 * answer to a COMMIT: the change is kept, the service never hears so. The request answers a 503 that
 * says the outcome is unknown, and the same request sent again answers what docs/api.md promises for
 * a retry, changing nothing more. A cut at BEGIN (before anything is written) is a plain 503, and the
 * retry is a first try.
 */
class CommitOutcomeUnknownTest {

    private static final String UNKNOWN = "Storage is unavailable (commit outcome unknown): the change may or may"
            + " not have been made; retrying the same request is safe";
    private static final String UNAVAILABLE = "Storage is unavailable; try again later";

    private TcpProxy line;
    private TestService api;

    @BeforeEach
    void start() {
        URI server = URI.create(TestDatabase.postgresServerUrl().substring("jdbc:".length()));
        line = TcpProxy.to(server.getHost(), server.getPort());
        String direct = "//" + server.getHost() + ":" + server.getPort() + "/";
        api = TestService.start(TestDatabase.Kind.POSTGRES, db -> Map.of("ALLOCATION_DB_URL",
                db.url().replace(direct, "//127.0.0.1:" + line.port() + "/")));
    }

    @AfterEach
    void stop() {
        Closing.all(api, line);
    }

    @Test
    void add_batch_whose_commit_answer_is_lost_is_kept_and_the_same_batch_again_answers_201() {
        String request = body(Map.of("ref", "b1", "sku", "LAMP", "qty", 10, "eta", "2026-01-11"));

        HttpResponse<String> lost = cutAtCommit("/add_batch", request);

        assertUnknown(lost);
        List<String> kept = stored();
        assertThat(kept).contains("product LAMP 1", "batch b1/LAMP/10/0 2026-01-11");
        HttpResponse<String> retry = api.post("/add_batch", request);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(json(retry)).isEqualTo(json(body(Map.of("ref", "b1"))));
        assertThat(stored()).isEqualTo(kept);
        HttpResponse<String> other = api.post("/add_batch", body(Map.of("ref", "b1", "sku", "LAMP", "qty", 11,
                "eta", "2026-01-11")));
        assertThat(other.statusCode()).isEqualTo(409);
        assertThat(message(other)).isEqualTo("Batch b1 already exists");
    }

    @Test
    void allocate_whose_commit_answer_is_lost_is_kept_and_the_same_line_again_names_the_same_batch() {
        addBatch("b1", 10);
        String request = body(Map.of("orderid", "o1", "sku", "LAMP", "qty", 3));

        HttpResponse<String> lost = cutAtCommit("/allocate", request);

        assertUnknown(lost);
        List<String> kept = stored();
        assertThat(kept).contains("batch b1/LAMP/10/3 -", "line o1/LAMP/3 b1/2", "event line_allocated LAMP 2");
        HttpResponse<String> retry = api.post("/allocate", request);
        assertThat(retry.statusCode()).isEqualTo(202);
        assertThat(json(retry)).isEqualTo(json(body(Map.of("batchref", "b1"))));
        assertThat(stored()).as("placed once, one Allocated event").isEqualTo(kept);
    }

    @Test
    void change_batch_quantity_whose_commit_answer_is_lost_is_kept_and_the_same_seq_again_answers_ok() {
        addBatch("b1", 10);
        String request = body(Map.of("ref", "b1", "qty", 7, "seq", 5));

        HttpResponse<String> lost = cutAtCommit("/change_batch_quantity", request);

        assertUnknown(lost);
        List<String> kept = stored();
        assertThat(kept).contains("product LAMP 2", "batch b1/LAMP/7/0 -");
        HttpResponse<String> retry = api.post("/change_batch_quantity", request);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(message(retry)).isEqualTo("OK");
        assertThat(stored()).as("no second version bump").isEqualTo(kept);
        HttpResponse<String> older = api.post("/change_batch_quantity", body(Map.of("ref", "b1", "qty", 6, "seq", 4)));
        assertThat(message(older)).startsWith("Superseded");
        assertThat(stored()).isEqualTo(kept);
    }

    @Test
    void deallocate_whose_commit_answer_is_lost_is_kept_and_the_retry_answers_that_the_line_is_gone() {
        addBatch("b1", 10);
        assertThat(api.post("/allocate", body(Map.of("orderid", "o1", "sku", "LAMP", "qty", 3))).statusCode())
                .isEqualTo(202);
        String request = body(Map.of("orderid", "o1", "sku", "LAMP"));

        HttpResponse<String> lost = cutAtCommit("/deallocate", request);

        assertUnknown(lost);
        List<String> kept = stored();
        assertThat(kept).contains("batch b1/LAMP/10/0 -", "event line_deallocated LAMP 3")
                .noneMatch(row -> row.startsWith("line "));
        HttpResponse<String> retry = api.post("/deallocate", request);
        assertThat(retry.statusCode()).isEqualTo(404);
        assertThat(message(retry)).isEqualTo("No order line for order o1 and sku LAMP");
        assertThat(stored()).isEqualTo(kept);
    }

    @Test
    void a_cut_before_the_commit_is_a_plain_503_that_keeps_nothing_and_the_retry_is_a_first_try() {
        addBatch("b1", 10);
        List<String> before = stored();
        String request = body(Map.of("ref", "b2", "sku", "LAMP", "qty", 5));
        line.cutAtReply("BEGIN");

        HttpResponse<String> cut = api.post("/add_batch", request);

        assertThat(line.cutArmed()).as("the proxy cut at BEGIN").isFalse();
        assertThat(cut.statusCode()).isEqualTo(503);
        assertThat(message(cut)).isEqualTo(UNAVAILABLE);
        assertThat(stored()).isEqualTo(before);
        assertThat(api.post("/add_batch", request).statusCode()).isEqualTo(201);
        List<String> added = stored();
        assertThat(added).contains("product LAMP 2", "batch b2/LAMP/5/0 -");
        assertThat(api.post("/add_batch", request).statusCode()).isEqualTo(201);
        assertThat(stored()).isEqualTo(added);
    }

    private HttpResponse<String> cutAtCommit(String path, String request) {
        line.cutAtReply("COMMIT");
        HttpResponse<String> response = api.post(path, request);
        assertThat(line.cutArmed()).as("the proxy cut at COMMIT").isFalse();
        return response;
    }

    private static void assertUnknown(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(message(response)).isEqualTo(UNKNOWN);
    }

    private void addBatch(String ref, int qty) {
        assertThat(api.post("/add_batch", body(Map.of("ref", ref, "sku", "LAMP", "qty", qty))).statusCode())
                .isEqualTo(201);
    }

    /** Products, batches, lines, and the events in the outbox (the relay is off, so none leave). */
    private List<String> stored() {
        List<String> rows = new ArrayList<>(api.snapshot());
        rows.addAll(api.db().query("SELECT type, sku, product_version FROM outbox WHERE destination = 'pubsub' ORDER BY id",
                rs -> "event " + rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3)));
        return rows;
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.domain.Batch;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.ConcurrencyConflict;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OutboxTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Row(String destination, String type, String sku, long version, String messageId, JsonNode payload) {
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void an_allocation_commits_its_line_allocated_message_with_it(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            List<Set<String>> wakes = new CopyOnWriteArrayList<>();
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource(), wakes::add);
            createProduct(uows, "LAMP", 10);
            Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            try (UnitOfWork uow = uows.begin()) {
                uow.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
                uow.commit();
            }

            List<Row> rows = outbox(db);
            assertThat(rows).extracting(Row::destination).containsExactly("pubsub", "stream");
            assertThat(rows.get(1)).usingRecursiveComparison().ignoringFields("destination").isEqualTo(rows.get(0));
            assertThat(rows.get(0)).satisfies(row -> {
                assertThat(row.type()).isEqualTo("line_allocated");
                assertThat(row.version()).isEqualTo(2);
                JsonNode json = row.payload();
                assertThat(json.get("id").asText()).isEqualTo(row.messageId());
                assertThat(json.get("type").asText()).isEqualTo("line_allocated");
                assertThat(json.get("orderid").asText()).isEqualTo("o1");
                assertThat(json.get("sku").asText()).isEqualTo("LAMP");
                assertThat(json.get("qty").asInt()).isEqualTo(3);
                assertThat(json.get("batchref").asText()).isEqualTo("b-LAMP");
                assertThat(json.get("version").asLong()).isEqualTo(2);
                assertThat(json.get("occurred_at").asText()).endsWith("Z");
                assertThat(Instant.parse(json.get("occurred_at").asText())).isBetween(before, Instant.now());
            });
            assertThat(wakes).as("one wake, for the Redis rows only: no email row was written")
                    .containsExactly(Set.of("pubsub", "stream"));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_deallocation_commits_its_line_deallocated_message(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource());
            createProduct(uows, "LAMP", 10);
            try (UnitOfWork uow = uows.begin()) {
                uow.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
                uow.commit();
            }
            try (UnitOfWork uow = uows.begin()) {
                uow.products().get(Need.lineAndBackorders("LAMP", "o1")).orElseThrow().deallocate("o1");
                uow.commit();
            }

            assertThat(messages(db)).extracting(Row::type, Row::version)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("line_allocated", 2L),
                            org.assertj.core.groups.Tuple.tuple("line_deallocated", 3L));
            JsonNode json = messages(db).get(1).payload();
            assertThat(json.get("orderid").asText()).isEqualTo("o1");
            assertThat(json.get("sku").asText()).isEqualTo("LAMP");
            assertThat(json.get("qty").asInt()).isEqualTo(3);
            assertThat(json.has("batchref")).isFalse();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_rolled_back_change_leaves_no_message(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource());
            createProduct(uows, "LAMP", 10);
            try (UnitOfWork uow = uows.begin()) {
                uow.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
            }
            assertThat(outbox(db)).isEmpty();
        }
    }

    /** On H2: on PostgreSQL the second unit of work would wait for the first's lock (JdbcUnitOfWorkContractTest). */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.Kind.class, names = "H2")
    void a_change_that_loses_a_concurrency_race_leaves_no_message(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource());
            createProduct(uows, "LAMP", 10);
            try (UnitOfWork first = uows.begin(); UnitOfWork second = uows.begin()) {
                first.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3));
                second.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o2", "LAMP", 3));
                first.commit();
                assertThatThrownBy(second::commit).isInstanceOf(ConcurrencyConflict.class);
            }
            assertThat(messages(db)).extracting(r -> r.payload().get("orderid").asText()).containsExactly("o1");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void out_of_stock_commits_one_message_for_the_redis_channel_and_stream_and_one_for_email(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            List<Set<String>> wakes = new CopyOnWriteArrayList<>();
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource(), wakes::add);
            createProduct(uows, "LAMP", 1);
            try (UnitOfWork uow = uows.begin()) {
                assertThat(uow.products().get(Need.backorders("LAMP")).orElseThrow().allocate(new OrderLine("o1", "LAMP", 3))).isEmpty();
                uow.commit();
            }
            assertThat(wakes).containsExactly(Set.of("pubsub", "stream", "email"));

            List<Row> rows = outbox(db);
            assertThat(rows).extracting(Row::destination).containsExactly("pubsub", "stream", "email");
            assertThat(rows).allSatisfy(row -> {
                assertThat(row.type()).isEqualTo("out_of_stock");
                assertThat(row.messageId()).isEqualTo(rows.get(0).messageId());
                assertThat(row.payload().get("sku").asText()).isEqualTo("LAMP");
                assertThat(row.payload().get("version").asLong()).isEqualTo(1);
            });
        }
    }

    /** On H2: on PostgreSQL the second unit of work would wait for the first's lock (JdbcUnitOfWorkContractTest). */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.Kind.class, names = "H2")
    void out_of_stock_seen_on_a_product_changed_meanwhile_is_a_conflict_not_a_message(TestDatabase.Kind kind)
            throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource());
            createProduct(uows, "LAMP", 1);
            try (UnitOfWork stale = uows.begin()) {
                Product seen = stale.products().get(Need.backorders("LAMP")).orElseThrow();
                try (UnitOfWork restock = uows.begin()) {
                    restock.products().get(Need.backorders("LAMP")).orElseThrow().addBatch(new Batch("b2", "LAMP", 50, null));
                    restock.commit();
                }
                assertThat(seen.allocate(new OrderLine("o1", "LAMP", 3))).isEmpty();
                assertThatThrownBy(stale::commit).isInstanceOf(ConcurrencyConflict.class);
            }
            assertThat(outbox(db)).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void committing_twice_writes_each_event_once(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            UnitOfWork.Factory uows = JdbcUnitOfWork.factory(db.dataSource());
            createProduct(uows, "LAMP", 10);
            try (UnitOfWork uow = uows.begin()) {
                Product product = uow.products().get(Need.backorders("LAMP")).orElseThrow();
                product.allocate(new OrderLine("o1", "LAMP", 3));
                uow.commit();
                product.allocate(new OrderLine("o2", "LAMP", 3));
                uow.commit();
            }
            assertThat(messages(db)).extracting(r -> r.payload().get("orderid").asText()).containsExactly("o1", "o2");
        }
    }

    private static void createProduct(UnitOfWork.Factory uows, String sku, int qty) {
        try (UnitOfWork uow = uows.begin()) {
            Product product = Product.create(sku);
            product.addBatch(new Batch("b-" + sku, sku, qty, null));
            uow.products().add(product);
            uow.commit();
        }
    }

    /** The rows of each message's first destination (pub/sub): one per message. */
    static List<Row> messages(TestDatabase db) throws SQLException {
        return outbox(db).stream().filter(r -> r.destination().equals("pubsub")).toList();
    }

    static List<Row> outbox(TestDatabase db) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT destination, type, sku, product_version, message_id, payload "
                     + "FROM outbox ORDER BY id")) {
            List<Row> rows = new ArrayList<>();
            while (rs.next()) {
                try {
                    rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                            rs.getObject(5).toString(), JSON.readTree(rs.getString(6))));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new AssertionError(e);
                }
            }
            c.rollback();
            return rows;
        }
    }
}

package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.EmailDestination;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.adapters.RedisDestination;
import com.allocationservice.service.EventPublisher;
import com.allocationservice.support.TestDatabase;
import com.zaxxer.hikari.HikariDataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A relay round runs a constant number of statements however many rows it delivers, refuses, sets
 * aside and deletes: counted on every connection the relay opens (one per round), on both databases.
 */
class OutboxRoundStatementsTest {

    /** Statements a round may run: lock, round settings, due rows, email bookkeeping (read, update, insert), retry, park, delete. */
    private static final int MAX_STATEMENTS_PER_ROUND = 9;
    private static final int MESSAGES = 700;
    private static final String REFUSED_SKU = "SKU-0";

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_round_of_many_rows_runs_a_few_statements(TestDatabase.Kind kind) throws Exception {
        try (TestDatabase db = TestDatabase.create(kind)) {
            int refusedRows = insertMessages(db);
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO out_of_stock_emails (sku, occurred_at) SELECT sku, occurred_at - "
                        + "INTERVAL '1' DAY FROM outbox WHERE destination = 'email' AND product_version < 5");
                c.commit();
            }
            CountingDataSource counting = new CountingDataSource(db.dataSource());
            EventPublisher refusesOneSku = messages -> messages.stream()
                    .map(m -> m.json().contains("\"" + REFUSED_SKU + "\"") ? "NOPERM refused for the test" : null)
                    .toList();
            FakeNotifications mail = new FakeNotifications();
            try (OutboxRelay relay = new OutboxRelay(counting.dataSource(), new RedisDestination(refusesOneSku),
                    new EmailDestination(mail, "stock@made.com", Duration.ofMinutes(15)), 2, Duration.ofMillis(100))) {
                relay.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> relay.backlog() == 0);

                assertThat(relay.published()).isEqualTo(2L * MESSAGES - refusedRows);
                assertThat(relay.setAside()).isEqualTo(refusedRows);
                assertThat(mail.sent()).hasSize(20);
            }
            assertThat(db.query("SELECT attempts, error FROM outbox_parked", rs -> rs.getInt(1) + " " + rs.getString(2)))
                    .hasSize(refusedRows).containsOnly("2 NOPERM refused for the test");
            assertThat(db.query("SELECT count(*) FROM out_of_stock_emails WHERE occurred_at > "
                    + "CURRENT_TIMESTAMP - INTERVAL '1' HOUR", rs -> rs.getLong(1)))
                    .containsExactly(20L);
            assertThat(counting.largestRound()).isBetween(4, MAX_STATEMENTS_PER_ROUND);
        }
    }

    /**
     * The outbox drains to nothing and vacuum truncates it. A relay whose query was planned then, and
     * kept that plan, walked a later backlog with nested loops: a round of 1,000 rows took longer than
     * the statement timeout, and the relay fell ever further behind. Its query is planned at each round.
     */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.Kind.class, names = "POSTGRES")
    void a_backlog_that_builds_after_rounds_on_an_empty_outbox_drains(TestDatabase.Kind kind) throws Exception {
        // the relay on a pool of one connection, so that every round runs on the same one
        try (TestDatabase db = TestDatabase.create(kind);
             HikariDataSource relayPool = Database.pool(db.url(), db.user(), "", 1)) {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                c.setAutoCommit(true);
                st.execute("VACUUM ANALYZE outbox");
                c.setAutoCommit(false);
            }
            CountingDataSource counting = new CountingDataSource(relayPool);
            EventPublisher accepts = messages -> messages.stream().map(m -> (String) null).toList();
            try (OutboxRelay relay = new OutboxRelay(counting.dataSource(), new RedisDestination(accepts),
                    new EmailDestination(new FakeNotifications(), "stock@made.com", Duration.ofMinutes(15)), 2,
                    Duration.ofMillis(20))) {
                relay.start();
                // more rounds on the empty outbox than the driver and the server need to settle on a cached plan
                await().atMost(Duration.ofSeconds(30)).until(() -> counting.rounds() >= 30);
                int rows = 20_000;
                try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO outbox (message_id, destination, type, sku, product_version, "
                            + "occurred_at, payload) SELECT gen_random_uuid(), d, 'line_allocated', 'LAMP', g, "
                            + "CURRENT_TIMESTAMP, '{}' FROM generate_series(1, " + rows / 2 + ") g, "
                            + "(VALUES ('pubsub'), ('stream')) AS v (d)");
                    c.commit();
                }
                relay.wake();
                await().atMost(Duration.ofSeconds(60)).until(() -> relay.backlog() == 0);
                assertThat(relay.published()).isEqualTo(rows);
                assertThat(relay.failures()).as("no round failed (a statement timeout is a failure)").isZero();
            }
        }
    }

    /** Redis rows for MESSAGES messages over 50 SKUs, and an email row for the first 20; returns the rows of REFUSED_SKU. */
    private static int insertMessages(TestDatabase db) throws SQLException {
        int refused = 0;
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement st = c.prepareStatement("INSERT INTO outbox (message_id, destination, type, sku, "
                     + "product_version, occurred_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < MESSAGES; i++) {
                String sku = "SKU-" + (i % 50);
                UUID id = UUID.randomUUID();
                String payload = "{\"id\":\"" + id + "\",\"type\":\"out_of_stock\",\"sku\":\"" + sku + "\"}";
                List<String> destinations = i < 20 ? List.of("pubsub", "stream", "email") : List.of("pubsub", "stream");
                for (String destination : destinations) {
                    st.setObject(1, id);
                    st.setString(2, destination);
                    st.setString(3, "out_of_stock");
                    st.setString(4, sku);
                    st.setLong(5, i);
                    st.setTimestamp(6, Timestamp.from(Instant.now()));
                    st.setString(7, payload);
                    st.addBatch();
                    if (sku.equals(REFUSED_SKU) && !destination.equals("email")) {
                        refused++;
                    }
                }
            }
            st.executeBatch();
            c.commit();
        }
        return refused;
    }

    /** Counts the statements run on each connection it hands out, a batch counting each of its entries. */
    private static final class CountingDataSource {
        private final DataSource dataSource;
        private final List<Integer> perConnection = new CopyOnWriteArrayList<>();

        CountingDataSource(DataSource delegate) {
            this.dataSource = proxy(DataSource.class, delegate,
                    (method, result) -> result instanceof Connection c ? counted(c) : result);
        }

        DataSource dataSource() {
            return dataSource;
        }

        int rounds() {
            return perConnection.size();
        }

        int largestRound() {
            return perConnection.stream().mapToInt(Integer::intValue).max().orElse(0);
        }

        private Connection counted(Connection connection) {
            AtomicInteger statements = new AtomicInteger();
            return proxy(Connection.class, connection, (method, result) -> {
                if (method.getName().equals("close")) {
                    perConnection.add(statements.get());
                }
                if (result instanceof PreparedStatement st) {
                    return counted(PreparedStatement.class, st, statements);
                }
                if (result instanceof Statement st) {
                    return counted(Statement.class, st, statements);
                }
                return result;
            });
        }

        private static <T> T counted(Class<T> type, T statement, AtomicInteger statements) {
            AtomicInteger batched = new AtomicInteger();
            return proxy(type, statement, (method, result) -> {
                String name = method.getName();
                if (name.equals("addBatch")) {
                    batched.incrementAndGet();
                } else if (name.equals("executeBatch")) {
                    statements.addAndGet(batched.getAndSet(0));
                } else if (name.startsWith("execute")) {
                    statements.incrementAndGet();
                }
                return result;
            });
        }

        private interface After {
            Object apply(Method method, Object result);
        }

        private static <T> T proxy(Class<T> type, T target, After after) {
            InvocationHandler handler = (p, method, args) -> {
                try {
                    return after.apply(method, method.invoke(target, args));
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            };
            return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
        }
    }
}

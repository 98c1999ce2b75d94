package com.allocationservice.integration;

import com.allocationservice.domain.Outcome;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.LoggingEventPublisher;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.DomainException;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InboxTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_message_handled_twice_has_one_effect(TestDatabase.Kind kind) throws SQLException {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));
            long before = version(db, "LAMP");

            Object first = bus.handle(new ChangeBatchQuantity("b1", 5), "m-1");
            Object second = bus.handle(new ChangeBatchQuantity("b1", 7), "m-1");

            assertThat(first).as("handled").isEqualTo(Optional.of(Outcome.Done.DONE));
            assertThat(second).as("a duplicate").isEqualTo(Optional.empty());
            assertThat(purchased(db, "b1")).isEqualTo(5);
            assertThat(version(db, "LAMP")).isEqualTo(before + 1);
            assertThat(inboxSize(db)).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void a_failed_command_does_not_record_its_message(TestDatabase.Kind kind) throws SQLException {
        try (TestDatabase db = TestDatabase.create(kind)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            bus.handle(new CreateBatch("b1", "LAMP", 10, null));

            assertThatThrownBy(() -> bus.handle(new ChangeBatchQuantity("nope", 5), "m-1"))
                    .isInstanceOf(DomainException.UnknownBatch.class);
            assertThat(inboxSize(db)).isZero();

            bus.handle(new ChangeBatchQuantity("b1", 5), "m-1");
            assertThat(purchased(db, "b1")).isEqualTo(5);
        }
    }

    @Test
    void two_threads_racing_on_one_message_id_have_one_effect() throws Exception {
        try (TestDatabase db = TestDatabase.create(TestDatabase.Kind.POSTGRES)) {
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
            bus.handle(new CreateBatch("b1", "LAMP", 100, null));
            long before = version(db, "LAMP");
            int threads = 4;
            int rounds = 20;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                int duplicates = 0;
                for (int round = 0; round < rounds; round++) {
                    String id = "race-" + round;
                    int qty = 50 + round;
                    CyclicBarrier start = new CyclicBarrier(threads);
                    List<Future<Object>> results = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        results.add(pool.submit(() -> {
                            start.await();
                            return bus.handle(new ChangeBatchQuantity("b1", qty), id);
                        }));
                    }
                    for (Future<Object> result : results) {
                        if (result.get().equals(Optional.empty())) {
                            duplicates++;
                        }
                    }
                }
                assertThat(duplicates).isEqualTo(rounds * (threads - 1));
                assertThat(version(db, "LAMP")).isEqualTo(before + rounds);
                assertThat(inboxSize(db)).isEqualTo(rounds);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static long version(TestDatabase db, String sku) {
        return db.number("SELECT version FROM products WHERE sku = ?", sku);
    }

    private static long purchased(TestDatabase db, String ref) {
        return db.number("SELECT purchased_quantity FROM batches WHERE reference = ?", ref);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.Kind.class)
    void the_relay_deletes_message_ids_older_than_a_week(TestDatabase.Kind kind) throws SQLException {
        try (TestDatabase db = TestDatabase.create(kind)) {
            try (Connection c = db.dataSource().getConnection(); var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO inbox (message_id, handled_at) VALUES "
                        + "('eight-days-old', CURRENT_TIMESTAMP - INTERVAL '8' DAY), "
                        + "('six-days-old', CURRENT_TIMESTAMP - INTERVAL '6' DAY), "
                        + "('just-now', CURRENT_TIMESTAMP)");
                c.commit();
            }
            try (OutboxRelay relay = new OutboxRelay(db.dataSource(), new LoggingEventPublisher(),
                    new FakeNotifications(), "stock@made.com", Duration.ofMinutes(15), Duration.ofMillis(50))) {
                relay.start();
                Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> inboxSize(db) == 2);
            }
            assertThat(db.query("SELECT message_id FROM inbox ORDER BY message_id", rs -> rs.getString(1)))
                    .containsExactly("just-now", "six-days-old");
        }
    }

    private static long inboxSize(TestDatabase db) {
        return db.number("SELECT COUNT(*) FROM inbox WHERE message_id <> ?", "");
    }
}

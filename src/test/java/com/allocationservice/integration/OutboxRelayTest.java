package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.LoggingEventPublisher;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.adapters.RedisEventPublisher;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.RedisClients;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.Command;
import com.allocationservice.service.EventPublisher;
import com.allocationservice.service.MessageBus;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class OutboxRelayTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestDatabase db;
    private RedisTestServer redis;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES);
        redis = RedisTestServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLast.reversed()) {
            c.close();
        }
        redis.close();
        db.close();
    }

    private OutboxRelay relay(DataSource dataSource, EventPublisher publisher) {
        OutboxRelay relay = new OutboxRelay(dataSource, publisher, new FakeNotifications(), "stock@made.com",
                Duration.ofMinutes(15), Duration.ofMillis(200));
        closeLast.add(relay);
        return relay.start();
    }

    private RedisEventPublisher redisPublisher() {
        RedisEventPublisher publisher = new RedisEventPublisher(
                RedisClients.create(redis.url(), Settings.defaults().timeouts()));
        closeLast.add(publisher);
        return publisher;
    }

    private MessageBus bus(OutboxRelay relay) {
        return Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource(), relay::wake));
    }

    @Test
    void publishes_each_event_on_its_channel_and_appends_it_to_its_stream() throws Exception {
        try (var subscriber = RedisMessages.Subscriber.subscribe(redis.url(), "line_allocated", "line_deallocated",
                "out_of_stock")) {
            OutboxRelay relay = relay(db.dataSource(), redisPublisher());
            MessageBus bus = bus(relay);
            bus.handle(new Command.CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Command.Allocate("o1", "LAMP", 10));
            bus.handle(new Command.Allocate("o2", "LAMP", 1));
            bus.handle(new Command.Deallocate("o1", "LAMP"));

            await().atMost(WAIT).until(() -> subscriber.received().size() == 3);
            List<RedisMessages.Subscriber.Received> received = subscriber.received();
            assertThat(received).extracting(RedisMessages.Subscriber.Received::channel)
                    .containsExactly("line_allocated", "out_of_stock", "line_deallocated");
            JsonNode allocated = received.get(0).json();
            assertThat(allocated.get("type").asText()).isEqualTo("line_allocated");
            assertThat(allocated.get("orderid").asText()).isEqualTo("o1");
            assertThat(allocated.get("sku").asText()).isEqualTo("LAMP");
            assertThat(allocated.get("qty").asInt()).isEqualTo(10);
            assertThat(allocated.get("batchref").asText()).isEqualTo("b1");
            assertThat(allocated.get("version").asLong()).isEqualTo(2);
            assertThat(allocated.get("id").asText()).isNotBlank();
            assertThat(received.get(1).json().get("sku").asText()).isEqualTo("LAMP");
            assertThat(received.get(2).json().get("orderid").asText()).isEqualTo("o1");

            assertThat(RedisMessages.stream(redis.url(), "line_allocated")).containsExactly(allocated);
            assertThat(RedisMessages.stream(redis.url(), "out_of_stock")).containsExactly(received.get(1).json());
            assertThat(RedisMessages.stream(redis.url(), "line_deallocated")).containsExactly(received.get(2).json());
            await().atMost(WAIT).until(() -> relay.backlog() == 0);
            assertThat(relay.published()).as("pub/sub and stream rows").isEqualTo(6);
            assertThat(relay.emailsSent()).isEqualTo(1);
        }
    }

    @Test
    void keeps_the_order_of_each_skus_messages_under_concurrent_allocations() throws Exception {
        OutboxRelay relay = relay(db.dataSource(), redisPublisher());
        MessageBus bus = bus(relay);
        List<String> skus = List.of("LAMP", "TABLE", "CHAIR");
        for (String sku : skus) {
            bus.handle(new Command.CreateBatch("b-" + sku, sku, 1_000, null));
        }
        int lines = 150;
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < lines; i++) {
                String sku = skus.get(i % skus.size());
                String orderid = "o" + i;
                done.add(pool.submit(() -> bus.handle(new Command.Allocate(orderid, sku, 1))));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }

        await().atMost(WAIT).until(() -> RedisMessages.stream(redis.url(), "line_allocated").size() == lines);
        Map<String, Long> lastVersion = new HashMap<>();
        for (JsonNode message : RedisMessages.stream(redis.url(), "line_allocated")) {
            String sku = message.get("sku").asText();
            long version = message.get("version").asLong();
            assertThat(version).as("version of %s after %s", sku, lastVersion.get(sku))
                    .isGreaterThan(lastVersion.getOrDefault(sku, 0L));
            lastVersion.put(sku, version);
        }
    }

    @Test
    void keeps_messages_while_redis_is_down_and_publishes_them_when_it_is_back() throws Exception {
        OutboxRelay relay = relay(db.dataSource(), redisPublisher());
        MessageBus bus = bus(relay);
        bus.handle(new Command.CreateBatch("b1", "LAMP", 1_000, null));
        bus.handle(new Command.Allocate("before", "LAMP", 1));
        await().atMost(WAIT).until(() -> RedisMessages.stream(redis.url(), "line_allocated").size() == 1);

        redis.stop();
        int lines = 40;
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < lines; i++) {
                String orderid = "o" + i;
                done.add(pool.submit(() -> bus.handle(new Command.Allocate(orderid, "LAMP", 1))));
                if (i == lines / 2) {
                    await().atMost(WAIT).until(() -> relay.failures() > 0);
                }
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        assertThat(relay.backlog()).as("a pub/sub and a stream row per message").isEqualTo(2 * lines);
        redis.restart(); // an empty Redis: what was published before the outage went with it

        await().atMost(WAIT).until(() -> relay.backlog() == 0);
        List<String> orderids = RedisMessages.stream(redis.url(), "line_allocated").stream()
                .map(m -> m.get("orderid").asText()).toList();
        assertThat(orderids).containsExactlyInAnyOrderElementsOf(
                IntStream.range(0, lines).mapToObj(i -> "o" + i).toList());
    }

    @Test
    void two_relays_on_one_database_publish_each_message_once() throws Exception {
        try (HikariDataSource otherProcess = Database.open(db.url(), db.user(), "", 4)) {
            OutboxRelay first = relay(db.dataSource(), redisPublisher());
            OutboxRelay second = relay(otherProcess, redisPublisher());
            MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource(), destinations -> {
                first.wake(destinations);
                second.wake(destinations);
            }));
            List<String> skus = List.of("LAMP", "TABLE", "CHAIR", "SOFA");
            for (String sku : skus) {
                bus.handle(new Command.CreateBatch("b-" + sku, sku, 1_000, null));
            }
            int lines = 200;
            try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < lines; i++) {
                    String orderid = "o" + i;
                    String sku = skus.get(i % skus.size());
                    done.add(pool.submit(() -> bus.handle(new Command.Allocate(orderid, sku, 1))));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            }
            await().atMost(WAIT).until(() -> first.backlog() == 0);
            List<JsonNode> stream = RedisMessages.stream(redis.url(), "line_allocated");
            assertThat(stream).hasSize(lines);
            assertThat(stream.stream().map(m -> m.get("id").asText()).distinct()).hasSize(lines);
            assertThat(first.published() + second.published()).as("pub/sub and stream rows").isEqualTo(2 * lines);
            first.close();
            second.close();
        }
    }

    @Test
    void with_no_redis_logs_each_message_at_debug_counts_them_at_info_and_marks_them_sent() {
        Logger logger = (Logger) LoggerFactory.getLogger(LoggingEventPublisher.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        Level level = logger.getLevel();
        logger.setLevel(Level.DEBUG);
        try {
            OutboxRelay relay = relay(db.dataSource(), new LoggingEventPublisher());
            MessageBus bus = bus(relay);
            bus.handle(new Command.CreateBatch("b1", "LAMP", 10, null));
            bus.handle(new Command.Allocate("o1", "LAMP", 4));
            await().atMost(WAIT).until(() -> relay.backlog() == 0);
            bus.handle(new Command.Allocate("o2", "LAMP", 3));
            bus.handle(new Command.Allocate("o3", "LAMP", 3));

            await().atMost(WAIT).until(() -> relay.backlog() == 0);
            assertThat(relay.published()).isEqualTo(6);
            assertThat(logged.list).filteredOn(event -> event.getLevel() == Level.DEBUG)
                    .extracting(ILoggingEvent::getFormattedMessage).hasSize(3)
                    .allSatisfy(line -> assertThat(line).contains("line_allocated").contains("\"batchref\":\"b1\""))
                    .anySatisfy(line -> assertThat(line).contains("\"orderid\":\"o1\""));
            assertThat(logged.list).filteredOn(event -> event.getLevel() == Level.INFO).singleElement()
                    .satisfies(event -> assertThat(event.getFormattedMessage()).contains("1 message(s)"));
        } finally {
            logger.setLevel(level);
            logger.detachAppender(logged);
        }
    }

    @Test
    void with_no_redis_counts_the_messages_at_most_once_per_interval() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(LoggingEventPublisher.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            LoggingEventPublisher publisher = new LoggingEventPublisher(Duration.ofMillis(300));
            var message = new EventPublisher.Outgoing("m", EventPublisher.Via.PUBSUB, "line_allocated", "{}");
            var copy = new EventPublisher.Outgoing("m", EventPublisher.Via.STREAM, "line_allocated", "{}");
            assertThat(publisher.publish(List.of(message, copy))).containsExactly(null, null);
            publisher.publish(List.of(message, copy, message, copy));
            publisher.publish(List.of(message, copy));
            Thread.sleep(400);
            publisher.publish(List.of(message, copy));

            assertThat(logged.list).filteredOn(event -> event.getLevel() == Level.INFO)
                    .extracting(ILoggingEvent::getFormattedMessage)
                    .satisfiesExactly(first -> assertThat(first).contains(" 1 message(s)"),
                            later -> assertThat(later).contains(" 4 message(s)"));
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void relays_even_after_its_lock_row_was_deleted() throws Exception {
        try (var connection = db.dataSource().getConnection(); var st = connection.createStatement()) {
            st.executeUpdate("DELETE FROM outbox_relay_lock");
            connection.commit();
        }
        OutboxRelay relay = relay(db.dataSource(), new LoggingEventPublisher());
        MessageBus bus = bus(relay);
        bus.handle(new Command.CreateBatch("b1", "LAMP", 10, null));
        bus.handle(new Command.Allocate("o1", "LAMP", 10));

        await().atMost(WAIT).until(() -> relay.backlog() == 0);
        assertThat(relay.published()).isEqualTo(2);
    }

    /**
     * The port's two ways of failing, in process: the first call cannot reach the destination (it
     * throws), the second refuses its first message. Every row must stay until a later round hands
     * it over, and then go exactly once.
     */
    @Test
    void rows_whose_publish_failed_or_was_refused_stay_and_are_published_once_later() {
        MessageBus bus = Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource()));
        bus.handle(new Command.CreateBatch("b1", "LAMP", 10, null));
        for (int i = 0; i < 3; i++) {
            bus.handle(new Command.Allocate("o" + i, "LAMP", 1));
        }
        List<String> rows = db.query("SELECT message_id || ' ' || destination FROM outbox ORDER BY id",
                rs -> rs.getString(1));
        assertThat(rows).hasSize(6);
        AtomicInteger calls = new AtomicInteger();
        List<String> published = new CopyOnWriteArrayList<>();
        EventPublisher flaky = messages -> {
            int call = calls.incrementAndGet();
            if (call == 1) {
                throw new IllegalStateException("destination unreachable (first call)");
            }
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < messages.size(); i++) {
                EventPublisher.Outgoing message = messages.get(i);
                if (call == 2 && i == 0) {
                    errors.add("refused (second call, first message)");
                } else {
                    errors.add(null);
                    published.add(message.id() + " " + message.via().name().toLowerCase());
                }
            }
            return errors;
        };

        OutboxRelay relay = relay(db.dataSource(), flaky);

        await("the outbox empties").atMost(WAIT).until(() -> relay.backlog() == 0);
        assertThat(published).as("every row, once, after its failed attempts").containsExactlyInAnyOrderElementsOf(rows);
        assertThat(calls.get()).as("a round after each failure").isGreaterThanOrEqualTo(3);
        assertThat(relay.published()).isEqualTo(rows.size());
        assertThat(relay.failures()).as("the unreachable round and the refused row").isGreaterThanOrEqualTo(2);
    }
}

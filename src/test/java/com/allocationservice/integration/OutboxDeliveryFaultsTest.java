package com.allocationservice.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.allocationservice.adapters.EmailDestination;
import com.allocationservice.adapters.EmailNotifications;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.adapters.RedisDestination;
import com.allocationservice.adapters.RedisEventPublisher;
import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.config.RedisClients;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.Command;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.Notifications;
import com.allocationservice.support.RedisMessages;
import com.allocationservice.support.RedisTestServer;
import com.allocationservice.support.TestDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.UnifiedJedis;

/**
 * The relay's destinations fail apart: a hanging SMTP server, a Redis that refuses XADD, a row
 * refused every time, and broken email bookkeeping each leave the other deliveries alone.
 */
class OutboxDeliveryFaultsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The replay an operator runs, as the README gives it. */
    static final String REPLAY_ALL = """
            INSERT INTO outbox (message_id, destination, type, sku, product_version, occurred_at, payload)
            SELECT message_id, destination, type, sku, product_version, occurred_at, payload
            FROM outbox_parked ORDER BY id;
            DELETE FROM outbox_parked;
            """;

    private TestDatabase db;
    private RedisTestServer redis;
    private UnifiedJedis admin;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void start() {
        db = TestDatabase.create(TestDatabase.Kind.POSTGRES);
        redis = RedisTestServer.start();
        admin = client(redis.url());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLast.reversed()) {
            c.close();
        }
        admin.close();
        redis.close();
        db.close();
    }

    private UnifiedJedis client(String url) {
        return RedisClients.create(url, Settings.defaults().timeouts());
    }

    private OutboxRelay relay(String redisUrl, Notifications notifications, int maxAttempts) {
        RedisEventPublisher publisher = new RedisEventPublisher(client(redisUrl));
        closeLast.add(publisher);
        OutboxRelay relay = new OutboxRelay(db.dataSource(), new RedisDestination(publisher),
                new EmailDestination(notifications, "stock@made.com", Duration.ofMinutes(15)), maxAttempts,
                Duration.ofMillis(200));
        closeLast.add(relay);
        return relay.start();
    }

    private MessageBus bus(OutboxRelay relay) {
        return Bootstrap.bus(JdbcUnitOfWork.factory(db.dataSource(), relay::wake));
    }

    private List<String> orderids(String stream) {
        return RedisMessages.stream(redis.url(), stream).stream().map(m -> m.get("orderid").asText()).toList();
    }

    @Test
    void a_hanging_smtp_server_does_not_hold_up_redis_messages() throws Exception {
        try (HangingServer smtp = new HangingServer()) {
            OutboxRelay relay = relay(redis.url(),
                    new EmailNotifications("127.0.0.1", smtp.port(), "allocations@made.com", Duration.ofSeconds(60)),
                    10);
            MessageBus bus = bus(relay);
            bus.handle(new Command.CreateBatch("b-lamp", "LAMP", 1, null));
            bus.handle(new Command.CreateBatch("b-table", "TABLE", 100, null));
            bus.handle(new Command.Allocate("too-many", "LAMP", 5));
            await("the out-of-stock email is stuck on the hanging server").atMost(WAIT)
                    .until(() -> smtp.accepted() > 0);

            for (int i = 0; i < 10; i++) {
                bus.handle(new Command.Allocate("o" + i, "TABLE", 1));
            }
            await("every Redis message, well before the SMTP timeout").atMost(Duration.ofSeconds(5))
                    .until(() -> orderids("line_allocated").size() == 10);
            assertThat(orderids("line_allocated")).containsExactlyElementsOf(
                    IntStream.range(0, 10).mapToObj(i -> "o" + i).toList());
            assertThat(RedisMessages.stream(redis.url(), "out_of_stock")).hasSize(1);
            assertThat(relay.emailsSent()).isZero();
            assertThat(db.number("SELECT count(*) FROM outbox WHERE destination = 'email'")).isEqualTo(1);
        }
    }

    @Test
    void a_redis_refusing_xadd_gets_each_pubsub_message_once_and_the_stream_in_order_once_allowed()
            throws Exception {
        admin.sendCommand(Protocol.Command.ACL, "SETUSER", "relay", "on", ">pw", "~*", "&*", "+@all", "-xadd");
        String relayUrl = redis.url().replace("redis://", "redis://relay:pw@");
        try (var subscriber = RedisMessages.Subscriber.subscribe(redis.url(), "line_allocated")) {
            OutboxRelay relay = relay(relayUrl, new FakeNotifications(), 10);
            MessageBus bus = bus(relay);
            bus.handle(new Command.CreateBatch("b1", "LAMP", 100, null));
            int lines = 20;
            List<String> sent = IntStream.range(0, lines).mapToObj(i -> "o" + i).toList();
            for (String orderid : sent) {
                bus.handle(new Command.Allocate(orderid, "LAMP", 1));
            }

            await("pub/sub delivered").atMost(WAIT).until(() -> subscriber.received().size() >= lines);
            await("the stream appends refused and retried").atMost(WAIT)
                    .until(() -> db.number("SELECT coalesce(max(attempts), 0) FROM outbox WHERE destination = 'stream'") >= 2);
            assertThat(subscriber.received()).extracting(r -> r.json().get("orderid").asText())
                    .as("each pub/sub message once, none republished").containsExactlyElementsOf(sent);
            assertThat(db.number("SELECT count(*) FROM outbox WHERE destination = 'pubsub'")).isZero();
            assertThat(db.number("SELECT count(*) FROM outbox WHERE destination = 'stream'")).isEqualTo(lines);
            assertThat(admin.exists("line_allocated")).isFalse();

            admin.sendCommand(Protocol.Command.ACL, "SETUSER", "relay", "+xadd");
            await("the stream gets every message").atMost(WAIT).until(() -> relay.backlog() == 0);
            assertThat(orderids("line_allocated")).containsExactlyElementsOf(sent);
            assertThat(subscriber.received()).hasSize(lines);
        }
    }

    @Test
    void a_row_refused_every_time_is_set_aside_holding_back_only_its_own_sku_and_can_be_replayed() throws Exception {
        admin.set("out_of_stock", "not a stream"); // XADD out_of_stock now fails with WRONGTYPE
        int maxAttempts = 4; // retried after 1, 2 and 4 seconds, then set aside
        OutboxRelay relay = relay(redis.url(), new FakeNotifications(), maxAttempts);
        MessageBus bus = bus(relay);
        bus.handle(new Command.CreateBatch("b-lamp", "LAMP", 1, null));
        bus.handle(new Command.CreateBatch("b-table", "TABLE", 100, null));
        bus.handle(new Command.Allocate("too-many", "LAMP", 5));
        await("the out_of_stock append refused once").atMost(WAIT).until(() -> relay.failures() > 0);
        bus.handle(new Command.Allocate("lamp-1", "LAMP", 1));
        for (int i = 0; i < 5; i++) {
            bus.handle(new Command.Allocate("table-" + i, "TABLE", 1));
        }

        await("another SKU's messages flow").atMost(Duration.ofSeconds(3))
                .until(() -> orderids("line_allocated").stream().filter(id -> id.startsWith("table-")).count() == 5);
        assertThat(orderids("line_allocated")).as("LAMP's allocation waits behind its refused out_of_stock")
                .containsExactly("table-0", "table-1", "table-2", "table-3", "table-4");
        assertThat(relay.parked()).isZero();

        await("set aside after the last attempt").atMost(WAIT).until(() -> relay.parked() == 1);
        record Parked(String destination, String type, String sku, int attempts, String error) {
        }
        assertThat(db.query("SELECT destination, type, sku, attempts, error FROM outbox_parked",
                rs -> new Parked(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5))))
                .singleElement().satisfies(p -> {
                    assertThat(p.destination()).isEqualTo("stream");
                    assertThat(p.type()).isEqualTo("out_of_stock");
                    assertThat(p.sku()).isEqualTo("LAMP");
                    assertThat(p.attempts()).isEqualTo(maxAttempts);
                    assertThat(p.error()).contains("WRONGTYPE");
                });
        assertThat(relay.setAside()).isEqualTo(1);
        assertThat(relay.failures()).isGreaterThanOrEqualTo(maxAttempts);
        await("LAMP's later message goes once the refused one is set aside").atMost(WAIT)
                .until(() -> orderids("line_allocated").contains("lamp-1"));
        await().atMost(WAIT).until(() -> relay.backlog() == 0);

        admin.del("out_of_stock");
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            for (String statement : REPLAY_ALL.split(";")) {
                if (!statement.isBlank()) {
                    st.executeUpdate(statement);
                }
            }
            c.commit();
        }
        relay.wake();
        await("the replayed row is delivered").atMost(WAIT)
                .until(() -> RedisMessages.stream(redis.url(), "out_of_stock").size() == 1);
        JsonNode outOfStock = RedisMessages.stream(redis.url(), "out_of_stock").getFirst();
        assertThat(outOfStock.get("sku").asText()).isEqualTo("LAMP");
        assertThat(relay.parked()).isZero();
        await().atMost(WAIT).until(() -> relay.backlog() == 0);
    }

    @Test
    void a_failure_in_the_email_bookkeeping_does_not_undo_redis_deliveries() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("ALTER TABLE out_of_stock_emails RENAME TO out_of_stock_emails_gone");
            c.commit();
        }
        try (var subscriber = RedisMessages.Subscriber.subscribe(redis.url(), "out_of_stock")) {
            OutboxRelay relay = relay(redis.url(), new FakeNotifications(), 10);
            MessageBus bus = bus(relay);
            bus.handle(new Command.CreateBatch("b1", "LAMP", 1, null));
            bus.handle(new Command.Allocate("too-many", "LAMP", 5));

            await("email rounds fail again and again").atMost(WAIT).until(() -> relay.failures() >= 3);
            assertThat(subscriber.received()).hasSize(1);
            assertThat(RedisMessages.stream(redis.url(), "out_of_stock")).hasSize(1);
            assertThat(db.number("SELECT count(*) FROM outbox WHERE destination <> 'email'"))
                    .as("the Redis rows stay delivered").isZero();
            assertThat(db.number("SELECT count(*) FROM outbox WHERE destination = 'email'")).isEqualTo(1);
        }
    }

    /** An SMTP server that accepts connections and never says a word. */
    private static final class HangingServer implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> connections = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        HangingServer() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        connections.add(server.accept());
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            return connections.size();
        }

        @Override
        public void close() throws Exception {
            server.close();
            acceptor.join();
            for (Socket s : connections) {
                s.close();
            }
        }
    }
}

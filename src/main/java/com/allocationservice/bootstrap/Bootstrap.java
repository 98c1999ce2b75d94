package com.allocationservice.bootstrap;

import com.allocationservice.adapters.Database;
import com.allocationservice.adapters.EmailDestination;
import com.allocationservice.adapters.EmailNotifications;
import com.allocationservice.adapters.JdbcOperatorActions;
import com.allocationservice.adapters.JdbcUnitOfWork;
import com.allocationservice.adapters.LoggingEventPublisher;
import com.allocationservice.adapters.LoggingNotifications;
import com.allocationservice.adapters.OpenTelemetryTracing;
import com.allocationservice.adapters.OutboxRelay;
import com.allocationservice.adapters.RedisDestination;
import com.allocationservice.adapters.RedisEventPublisher;
import com.allocationservice.config.RedisClients;
import com.allocationservice.config.Settings;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.entrypoints.AccessLog;
import com.allocationservice.entrypoints.ApiTokens;
import com.allocationservice.entrypoints.HttpApi;
import com.allocationservice.entrypoints.RequestObserver;
import com.allocationservice.service.EventPublisher;
import com.allocationservice.entrypoints.RedisConsumer;
import com.allocationservice.service.Backoff;
import com.allocationservice.service.Handlers;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.Notifications;
import com.allocationservice.service.Tracing;
import com.allocationservice.service.UnitOfWork;
import com.allocationservice.views.Views;
import com.zaxxer.hikari.HikariDataSource;
import io.javalin.Javalin;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.List;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.UnifiedJedis;

/**
 * Builds the service with constructors and lambdas (the book's chapter 13, without its reflection on
 * handler signatures). Routing is an exhaustive switch over the sealed message types, so a message
 * without a handler does not compile. {@link #bus} takes any adapters (the tests' fakes);
 * {@link #start} builds the real ones from {@link Settings}.
 */
public final class Bootstrap {

    private Bootstrap() {
    }

    /** Each command to its one handler; the switch is exhaustive, so a command without a handler does not compile. */
    public static final MessageBus.Routes ROUTES = command -> switch (command) {
        case Allocate c -> Handlers.ALLOCATE;
        case CreateBatch c -> Handlers.ADD_BATCH;
        case ChangeBatchQuantity c -> Handlers.CHANGE_BATCH_QUANTITY;
        case Deallocate c -> Handlers.DEALLOCATE;
    };

    public static MessageBus bus(UnitOfWork.Factory unitOfWork) {
        return bus(unitOfWork, Tracing.OFF);
    }

    static MessageBus bus(UnitOfWork.Factory unitOfWork, Tracing tracing) {
        return new MessageBus(unitOfWork, ROUTES, MessageBus.RetryPolicy.DEFAULT, tracing);
    }

    /**
     * The running service. Closing it stops taking requests and lets in-flight ones finish, then stops
     * the background workers (message consumers, outbox relay) in reverse order of start, then closes
     * the pool.
     */
    public record Service(Javalin http, MessageBus bus, HikariDataSource dataSource, List<AutoCloseable> workers,
            StatusHistory history) implements AutoCloseable {
        public int port() {
            return http.port();
        }

        @Override
        public void close() {
            http.stop();
            for (AutoCloseable worker : workers.reversed()) {
                try {
                    worker.close();
                } catch (Exception e) {
                    LoggerFactory.getLogger(Bootstrap.class).warn("Stopping {} failed", worker, e);
                }
            }
            dataSource.close();
        }
    }

    /**
     * Builds and starts the service. Migrating the database and starting the HTTP server overlap
     * (each takes a good part of a cold start): requests that arrive before the migration finished
     * wait for it, and the relay and consumer start only after it.
     */
    public static Service start(Settings settings) {
        return start(settings, Clock.systemUTC());
    }

    /** The same, the charts' samples timed by {@code clock} (tests advance it and call {@link StatusHistory#sample}). */
    public static Service start(Settings settings, Clock clock) {
        TokensFile tokensFile = settings.apiTokensFile().map(file -> new TokensFile(file, settings.apiToken())).orElse(null);
        HikariDataSource dataSource = Database.pool(settings.dbUrl(), settings.dbUser(), settings.dbPassword(),
                settings.dbPoolSize(), settings.timeouts(), settings.dbMinFreeBytes());
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        dataSource.setMetricRegistry(meters);   // before the pool starts (on first use, by the migration)
        CompletableFuture<Void> migrated = new CompletableFuture<>();
        Thread.ofPlatform().name("migrate").start(() -> {
            try {
                migrate(dataSource, settings.timeouts().dbStart());
                migrated.complete(null);
            } catch (Throwable e) {
                migrated.completeExceptionally(e);
            }
        });
        List<AutoCloseable> workers = new ArrayList<>();
        Javalin http = null;
        try {
            // closed last, exporting the spans still buffered
            Optional<OpenTelemetrySdk> sdk = TracingSetup.start(System.getenv(), System.getProperties());
            sdk.ifPresent(workers::add);
            Optional<OpenTelemetry> tracing = sdk.map(OpenTelemetry.class::cast);
            OpenTelemetryTracing traces = tracing.map(OpenTelemetryTracing::new).orElse(null);
            // closed with the workers, before the main pool
            HikariDataSource healthProbe = Database.probe(settings.dbUrl(), settings.dbUser(), settings.dbPassword(),
                    settings.dbMinFreeBytes());
            workers.add(healthProbe);
            workers.add(RequestMetrics.bindJvm(meters));
            RedisEventPublisher publisher = settings.relayEnabled() ? redisPublisher(settings, workers, meters) : null;
            OutboxRelay relay = settings.relayEnabled() ? outboxRelay(settings, dataSource, publisher) : null;
            MessageBus bus = bus(JdbcUnitOfWork.factory(dataSource, relay == null ? destinations -> { } : relay::wake,
                    traces), traces == null ? Tracing.OFF : traces);
            Gauge.builder("allocation_command_retries", bus, MessageBus::commandRetries)
                    .description("Commands retried after an optimistic-concurrency conflict").register(meters);
            Gauge.builder("allocation_commands_waiting", bus, MessageBus::waitingCommands)
                    .description("Commands waiting for the group being committed to end").register(meters);
            FunctionCounter.builder("allocation_commit_groups", bus, MessageBus::groups)
                    .description("Groups of commands run in one transaction").register(meters);
            FunctionCounter.builder("allocation_commit_grouped_commands", bus, MessageBus::groupedCommands)
                    .description("Commands run in those groups (divided by the groups: the mean group size)")
                    .register(meters);
            DataSource reads = dataSource;
            if (settings.readDbUrl().isPresent()) {
                HikariDataSource readPool = Database.readPool(settings.readDbUrl().get(), settings.dbUser(),
                        settings.dbPassword(), settings.dbPoolSize(), settings.timeouts());
                workers.add(readPool);
                reads = readPool;
            }
            Views views = new Views(reads, healthProbe);
            // the status's and the dead letters' client, closed with the workers
            Optional<UnifiedJedis> redis = settings.redisUrl().map(url -> RedisClients.create(url, settings.timeouts()));
            redis.ifPresent(workers::add);
            OperatorStatus operatorStatus = new OperatorStatus(views, redis.orElse(null),
                    publisher == null || publisher.minReplicas() == 0 ? null : publisher);
            Supplier<Map<String, Object>> status = operatorStatus;
            StatusHistory history = new StatusHistory(clock, settings.chartInterval(), instanceName(),
                    operatorStatus::withStreamLag);
            Optional<Supplier<ApiTokens>> tokens = Optional.empty();
            if (tokensFile != null) {
                workers.add(tokensFile.watch(Duration.ofSeconds(1)));
                tokens = Optional.of(tokensFile);
                status = withTokens(status, tokensFile);
            } else if (settings.apiToken().isPresent()) {
                ApiTokens only = ApiTokens.of(List.of(ApiTokens.everyScope(TokensFile.API_TOKEN_NAME,
                        settings.apiToken().get())));
                tokens = Optional.of(() -> only);
            }
            http = HttpApi.create(new HttpApi.Dependencies(bus, views, meters::scrape, status, history::json, migrated,
                    tokens, requestObserver(settings, meters, history), new JdbcOperatorActions(dataSource), redis, tracing),
                    settings.httpHeaderTimeout());
            http.start(settings.httpPort());
            migrated.join();
            workers.add(history.start());
            if (relay != null) {
                workers.add(relay.start());
                meter(meters, relay);
            }
            if (settings.redisUrl().isPresent() && settings.consumerEnabled()) {
                workers.add(startConsumer(bus, settings, meters, tracing));
            }
            return new Service(http, bus, dataSource, List.copyOf(workers), history);
        } catch (RuntimeException e) {
            RuntimeException failure = e instanceof CompletionException && e.getCause() instanceof RuntimeException cause
                    ? cause : e;
            if (http != null) {
                http.stop();
            }
            for (AutoCloseable worker : workers.reversed()) {
                try {
                    worker.close();
                } catch (Exception suppressed) {
                    failure.addSuppressed(suppressed);
                }
            }
            migrated.exceptionally(ignored -> null).join();
            dataSource.close();
            throw failure;
        }
    }

    private static final Backoff REACH_DATABASE_AGAIN = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(2), false);

    /**
     * {@link Database#migrate}, tried again while the database cannot be reached (no connection could be
     * opened in time: SQLState class 08), for up to {@code wait} ({@code ALLOCATION_DB_START_TIMEOUT_MS}:
     * a database that is restarting, or a machine so busy that a login takes longer than the connect
     * timeout, must not stop the service). Any other failure (a wrong password, a missing database, a
     * full disk) stops the start at once.
     */
    private static void migrate(HikariDataSource dataSource, Duration wait) throws InterruptedException {
        long giveUpAt = System.nanoTime() + wait.toNanos();
        for (int attempt = 0; ; attempt++) {
            try {
                Database.migrate(dataSource);
                return;
            } catch (RuntimeException e) {
                Duration pause = REACH_DATABASE_AGAIN.delay(attempt);
                if (!unreachable(e) || System.nanoTime() + pause.toNanos() - giveUpAt > 0) {
                    throw e;
                }
                LoggerFactory.getLogger(Bootstrap.class).warn("The database cannot be reached yet ({}): trying again"
                        + " in {} ms, for up to {} ms from the start (ALLOCATION_DB_START_TIMEOUT_MS)", e.getMessage(),
                        pause.toMillis(), wait.toMillis());
                Thread.sleep(pause);
            }
        }
    }

    private static boolean unreachable(Throwable failure) {
        return Stream.iterate(failure, t -> t != null, Throwable::getCause).anyMatch(t ->
                t instanceof SQLTransientConnectionException
                        || t instanceof SQLException e && e.getSQLState() != null && e.getSQLState().startsWith("08"));
    }

    /**
     * This instance as the charts name it: the host's name and the process id (several instances
     * behind a balancer each keep their own samples).
     */
    private static String instanceName() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = Optional.ofNullable(System.getenv("HOSTNAME")).orElse("localhost");
        }
        return host + " (pid " + ProcessHandle.current().pid() + ")";
    }

    /** The status with the tokens file's: a file refused while running is shown there until it is fixed. */
    private static Supplier<Map<String, Object>> withTokens(Supplier<Map<String, Object>> status, TokensFile file) {
        return () -> {
            Map<String, Object> all = new LinkedHashMap<>(status.get());
            all.put("api_tokens", file.status());
            return all;
        };
    }

    /**
     * The charts' counts, then the request metrics (neither with the system property
     * {@code allocation.requestMetrics=false}: only the benchmark sets it, to measure their cost), then
     * the access log when asked for. The charts are told first, so that once a request shows in the
     * metrics it is counted in the charts too.
     */
    private static RequestObserver requestObserver(Settings settings, MeterRegistry meters, StatusHistory history) {
        RequestObserver observer = Boolean.parseBoolean(System.getProperty("allocation.requestMetrics", "true"))
                ? history.andThen(new RequestMetrics(meters)) : RequestObserver.NONE;
        if (settings.accessLog()) {
            AccessLog accessLog = new AccessLog();
            observer = observer == RequestObserver.NONE ? accessLog : observer.andThen(accessLog);
        }
        return observer;
    }

    /**
     * The relay's Redis publisher, when Redis is configured (closed with the workers), else null. With
     * replicas to confirm each batch it waits for them up to half the socket timeout (so the answer
     * comes before the read times out), at most a second, at least a millisecond ({@code WAIT} with 0
     * waits for ever).
     */
    private static RedisEventPublisher redisPublisher(Settings settings, List<AutoCloseable> workers,
            MeterRegistry meters) {
        if (settings.redisUrl().isEmpty()) {
            return null;
        }
        Duration wait = Duration.ofMillis(Math.clamp(settings.timeouts().redisSocket().toMillis() / 2, 1, 1000));
        RedisEventPublisher publisher = new RedisEventPublisher(
                RedisClients.create(settings.redisUrl().get(), settings.timeouts()), settings.redisMinReplicas(), wait);
        workers.add(publisher);
        if (settings.redisMinReplicas() > 0) {
            Gauge.builder("allocation_redis_replicas_confirmed", publisher, RedisEventPublisher::confirmedReplicas)
                    .description("Replicas that confirmed the relay's last batch to Redis (WAIT; -1: none yet); "
                            + "below ALLOCATION_REDIS_MIN_REPLICAS the batch stays in the outbox").register(meters);
            FunctionCounter.builder("allocation_redis_replication_waits_short", publisher,
                    RedisEventPublisher::shortWaits).description("Relay batches to Redis fewer replicas than "
                            + "ALLOCATION_REDIS_MIN_REPLICAS confirmed (kept in the outbox, retried)").register(meters);
        }
        return publisher;
    }

    /**
     * The relay, publishing to Redis (the publisher, when not null) and mailing over SMTP when
     * configured, else logging; not started. Redis and email each get a loop, a transaction and a
     * relay lock of their own.
     */
    private static OutboxRelay outboxRelay(Settings settings, HikariDataSource dataSource,
            RedisEventPublisher redis) {
        EventPublisher publisher = redis == null ? new LoggingEventPublisher() : redis;
        Notifications mailer = settings.smtp().<Notifications>map(smtp -> new EmailNotifications(smtp.host(),
                smtp.port(), settings.notifyFrom(), settings.timeouts().smtp())).orElseGet(LoggingNotifications::new);
        return new OutboxRelay(dataSource, new RedisDestination(publisher),
                new EmailDestination(mailer, settings.notifyTo(), settings.outOfStockEmailWindow()),
                settings.outboxMaxAttempts(), Duration.ofMillis(200), settings.historyRetention());
    }

    private static void meter(PrometheusMeterRegistry meters, OutboxRelay relay) {
        Gauge.builder("allocation_outbox_backlog", relay, OutboxRelay::backlog)
                .description("Outbox rows waiting to be delivered (-1: database unreachable)").register(meters);
        Gauge.builder("allocation_outbox_parked", relay, OutboxRelay::parked)
                .description("Outbox rows set aside in outbox_parked after their last attempt, waiting for an "
                        + "operator (-1: database unreachable)").register(meters);
        FunctionCounter.builder("allocation_outbox_set_aside", relay, OutboxRelay::setAside)
                .description("Outbox rows this instance moved to outbox_parked").register(meters);
        FunctionCounter.builder("allocation_outbox_published", relay, OutboxRelay::published)
                .description("Redis rows delivered from the outbox (pub/sub and stream: two per message)")
                .register(meters);
        FunctionCounter.builder("allocation_outbox_failures", relay, OutboxRelay::failures)
                .description("Relay rounds in which Redis, SMTP or the database failed, and rows a destination "
                        + "refused (all kept for retry)").register(meters);
        FunctionCounter.builder("allocation_out_of_stock_emails_sent", relay, OutboxRelay::emailsSent)
                .description("Out-of-stock emails sent").register(meters);
        FunctionCounter.builder("allocation_out_of_stock_emails_suppressed", relay, OutboxRelay::suppressedEmails)
                .description("Out-of-stock emails not sent: one went out for the SKU within the window")
                .register(meters);
    }

    private static RedisConsumer startConsumer(MessageBus bus, Settings settings, MeterRegistry meters,
            Optional<OpenTelemetry> tracing) {
        RedisConsumer consumer = RedisConsumer.start(bus, settings.redisUrl().orElseThrow(), settings.timeouts(),
                RedisConsumer.Options.defaults().withMaxDeliveries(settings.streamMaxDeliveries()), tracing);
        FunctionCounter.builder("allocation_messages_in_handled", consumer, RedisConsumer::handled)
                .description("Incoming messages whose command committed").register(meters);
        FunctionCounter.builder("allocation_messages_in_duplicates", consumer, RedisConsumer::duplicates)
                .description("Incoming messages skipped because their id was handled before").register(meters);
        FunctionCounter.builder("allocation_messages_in_superseded", consumer, RedisConsumer::superseded)
                .description("Incoming quantity changes not applied: a change sent after them already was")
                .register(meters);
        FunctionCounter.builder("allocation_messages_in_dead_lettered", consumer, RedisConsumer::deadLettered)
                .description("Malformed, refused or given-up incoming messages set aside in "
                        + RedisConsumer.DEAD_LETTER_STREAM).register(meters);
        FunctionCounter.builder("allocation_messages_in_failures", consumer, RedisConsumer::failures)
                .description("Incoming message handlings that failed and will be retried").register(meters);
        FunctionCounter.builder("allocation_messages_in_connection_failures", consumer,
                RedisConsumer::connectionFailures).description("Times the consumer lost or could not reach Redis")
                .register(meters);
        return consumer;
    }
}

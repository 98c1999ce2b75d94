package com.allocationservice.adapters;

import com.allocationservice.service.Backoff;
import com.allocationservice.service.EventPublisher;
import com.allocationservice.service.Notifications;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox after commit: one loop per destination (Redis, email), each on a platform
 * thread of its own (its round trips come back to back, as the bus's groups do), so a destination
 * that hangs or is down delays only its own rows. Each round of
 * a loop runs in one transaction: it takes the destination's relay lock ({@code FOR UPDATE SKIP
 * LOCKED}, so of several processes only one relays a destination at a time and the others skip the
 * round), reads the oldest due rows in id order, hands them to the destination, deletes what was
 * delivered, records what was refused and commits. A crash or a lost connection before the commit
 * leaves the rows to be delivered again: at least once, in order per SKU and destination.
 *
 * <p>A destination that cannot be reached keeps its rows and is retried with a growing pause, no
 * attempt counted against them. A row the destination refuses is retried on its own schedule, holding
 * back the later rows of its SKU; after {@code maxAttempts} it is set aside in {@code outbox_parked}
 * and counted, and the rows behind it go on.
 */
public final class OutboxRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    /** The pause after a failed round: a destination or database that is down is not hammered. */
    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), false);
    private static final Duration PRUNE_INTERVAL = Duration.ofHours(1);
    /**
     * While rows trickle in, a loop starts a round at most this often, so the rows of the commits in
     * between go out together, in one transaction rather than one each. A round that read a full batch
     * is followed at once.
     */
    private static final Duration GATHER = Duration.ofMillis(10);

    private final DataSource dataSource;
    private final RedisDestination redis;
    private final EmailDestination email;
    private final int maxAttempts;
    private final Duration pollInterval;
    private final Duration historyRetention;
    private final List<Loop> loops;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong setAside = new AtomicLong();

    public OutboxRelay(DataSource dataSource, RedisDestination redis, EmailDestination email, int maxAttempts,
            Duration pollInterval) {
        this(dataSource, redis, email, maxAttempts, pollInterval, JdbcLineHistory.DEFAULT_RETENTION);
    }

    /** A relay that also prunes the order lines' history older than {@code historyRetention}. */
    public OutboxRelay(DataSource dataSource, RedisDestination redis, EmailDestination email, int maxAttempts,
            Duration pollInterval, Duration historyRetention) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        this.dataSource = Objects.requireNonNull(dataSource);
        this.redis = Objects.requireNonNull(redis);
        this.email = Objects.requireNonNull(email);
        this.maxAttempts = maxAttempts;
        this.pollInterval = Objects.requireNonNull(pollInterval);
        this.historyRetention = Objects.requireNonNull(historyRetention);
        this.loops = List.of(new Loop(redis, true), new Loop(email, false));
    }

    /** A relay with ten attempts per row: the Redis destination over this publisher, email over these notifications. */
    public OutboxRelay(DataSource dataSource, EventPublisher publisher, Notifications notifications, String notifyTo,
            Duration emailWindow, Duration pollInterval) {
        this(dataSource, new RedisDestination(publisher), new EmailDestination(notifications, notifyTo, emailWindow),
                10, pollInterval);
    }

    public OutboxRelay start() {
        loops.forEach(Loop::start);
        return this;
    }

    /** Asks every destination for a round now rather than at the next poll. */
    public void wake() {
        loops.forEach(Loop::wake);
    }

    /**
     * Asks for a round now of the loops that deliver rows for these destinations (called after a commit
     * that wrote outbox rows for them): an allocation wakes Redis, not email.
     */
    public void wake(Set<String> destinations) {
        for (Loop loop : loops) {
            if (loop.destination.rows().stream().anyMatch(destinations::contains)) {
                loop.wake();
            }
        }
    }

    /** Redis rows (pub/sub and stream, two per message) delivered and deleted from the outbox. */
    public long published() {
        return loops.getFirst().delivered.get();
    }

    /** Rounds in which a destination or the database failed, and rows a destination refused; all kept for retry. */
    public long failures() {
        return failures.get();
    }

    /** Rows this relay moved to {@code outbox_parked} after their last attempt. */
    public long setAside() {
        return setAside.get();
    }

    public long emailsSent() {
        return email.sent();
    }

    /** Out-of-stock emails not sent because one for the same SKU went out within the window. */
    public long suppressedEmails() {
        return email.suppressed();
    }

    /** Rows waiting in the outbox, or -1 when the database does not answer. */
    public long backlog() {
        return count("outbox");
    }

    /** Rows set aside in {@code outbox_parked} (by any instance, not yet replayed), or -1 when the database does not answer. */
    public long parked() {
        return count("outbox_parked");
    }

    private long count(String table) {
        try (Connection c = dataSource.getConnection()) {
            try {
                return JdbcOutbox.count(c, table);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        loops.forEach(Loop::stop);
        loops.forEach(Loop::join);
    }

    @Override
    public String toString() {
        return "OutboxRelay[" + redis + ", " + email + "]";
    }

    /** Housekeeping the relay does for the inbox, hourly: ids past {@link JdbcInbox#RETENTION} go. */
    private void pruneInbox() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            int pruned = JdbcInbox.prune(c);
            c.commit();
            if (pruned > 0) {
                log.info("Deleted {} handled message ids older than {} from the inbox", pruned, JdbcInbox.RETENTION);
            }
        }
    }

    /**
     * Deletes one batch of the order lines' history past its retention, in a transaction of its own;
     * true when the batch was full and more may be due (the loop prunes again after its next round,
     * so a long backlog never holds up delivery).
     */
    private boolean pruneHistory() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            int pruned = JdbcLineHistory.prune(c, Instant.now().minus(historyRetention), JdbcLineHistory.PRUNE_BATCH);
            c.commit();
            if (pruned > 0) {
                log.info("Deleted {} order line history entries older than {} days", pruned, historyRetention.toDays());
            }
            return pruned == JdbcLineHistory.PRUNE_BATCH;
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The rounds of one destination, on a thread of their own. */
    private final class Loop {
        private final OutboxDestination destination;
        private final boolean prunes;
        private final Semaphore wake = new Semaphore(0);
        private final AtomicLong delivered = new AtomicLong();
        private volatile boolean running;
        private Thread thread;

        Loop(OutboxDestination destination, boolean prunes) {
            this.destination = destination;
            this.prunes = prunes;
        }

        synchronized void start() {
            if (thread == null) {
                running = true;
                thread = Thread.ofPlatform().daemon().name("outbox-relay-" + destination.name()).start(this::run);
            }
        }

        void wake() {
            if (wake.availablePermits() == 0) {
                wake.release();
            }
        }

        void stop() {
            running = false;
            wake();
        }

        void join() {
            Thread stopping;
            synchronized (this) {
                stopping = thread;
                thread = null;
            }
            if (stopping == null) {
                return;
            }
            try {
                if (!stopping.join(Duration.ofSeconds(10))) {
                    stopping.interrupt();
                    stopping.join(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void run() {
            int failedInARow = 0;
            Instant nextInboxPrune = Instant.MIN;
            Instant nextHistoryPrune = Instant.MIN;
            while (running) {
                boolean more = false;
                Duration pause = Duration.ZERO;
                long started = System.nanoTime();
                try {
                    more = round();
                    if (prunes && Instant.now().isAfter(nextInboxPrune)) {
                        pruneInbox();
                        nextInboxPrune = Instant.now().plus(PRUNE_INTERVAL);
                    }
                    if (prunes && Instant.now().isAfter(nextHistoryPrune)) {
                        nextHistoryPrune = pruneHistory() ? Instant.MIN : Instant.now().plus(PRUNE_INTERVAL);
                    }
                    failedInARow = 0;
                } catch (SQLException | RuntimeException e) {
                    failures.incrementAndGet();
                    pause = BACKOFF.delay(failedInARow++);
                    log.warn("Outbox relay to {} failed, its rows stay; retrying in {}: {}", destination.name(), pause,
                            e.toString());
                }
                if (!pause.isZero() && running) {
                    sleep(pause);
                } else if (!more && running) {
                    try {
                        wake.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                        long gather = GATHER.toNanos() - (System.nanoTime() - started);
                        if (gather > 0 && running) {
                            Thread.sleep(Duration.ofNanos(gather));
                        }
                        wake.drainPermits();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        /** One round in one transaction; true when a full batch was read and more may be waiting. */
        private boolean round() throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    if (!JdbcOutbox.startRound(c, destination.name())) {
                        c.rollback();
                        return false;
                    }
                    Instant now = Instant.now();
                    List<JdbcOutbox.Row> rows = JdbcOutbox.due(c, destination.rows(), now, destination.batchSize());
                    if (rows.isEmpty()) {
                        c.commit();
                        return false;
                    }
                    OutboxDestination.Outcome outcome = destination.deliver(c, rows);
                    List<JdbcOutbox.Row> parked = JdbcOutbox.refused(c, outcome.refused(), now, maxAttempts);
                    List<JdbcOutbox.Row> gone = new ArrayList<>(outcome.delivered());
                    gone.addAll(parked);
                    JdbcOutbox.delete(c, gone);
                    c.commit();
                    delivered.addAndGet(outcome.delivered().size());
                    report(outcome, parked);
                    if (outcome.unreachable() != null) {
                        throw outcome.unreachable();
                    }
                    return rows.size() == destination.batchSize();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
        }

        private void report(OutboxDestination.Outcome outcome, List<JdbcOutbox.Row> parked) {
            if (!outcome.refused().isEmpty()) {
                failures.addAndGet(outcome.refused().size());
                var first = outcome.refused().entrySet().iterator().next();
                log.warn("{} refused {} outbox rows, retried later or set aside (first: {} row {} of {}: {})",
                        destination.name(), outcome.refused().size(), first.getKey().destination(),
                        first.getKey().id(), first.getKey().sku(), first.getValue());
            }
            for (JdbcOutbox.Row row : parked) {
                setAside.incrementAndGet();
                log.error("Set aside outbox row {} ({} {} of {}, message {}) after {} refused attempts: {}; "
                        + "it is in outbox_parked", row.id(), row.destination(), row.type(), row.sku(),
                        row.messageId(), maxAttempts, outcome.refused().get(row));
            }
        }
    }
}

package com.allocationservice.adapters;

import com.allocationservice.service.EventPublisher;
import com.allocationservice.service.Notifications;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox after commit, on a virtual thread of its own: each round, in one transaction,
 * it takes the relay lock ({@code FOR UPDATE SKIP LOCKED}, so of several processes only one relays
 * at a time and the others skip the round), publishes the oldest {@code redis} rows in id order,
 * sends the oldest {@code email} rows, deletes what was delivered and commits. A crash or a lost
 * connection before the commit leaves the rows to be delivered again: at least once, in order per
 * SKU. A destination that fails keeps its rows and is retried with a growing pause; the other
 * destination carries on.
 *
 * <p>Out-of-stock emails: one per SKU per window. The out-of-stock time last emailed for a SKU is
 * kept in {@code out_of_stock_emails}; a row that happened within the window after it is deleted,
 * logged and counted instead of sent. (The book sends an email per event, from a handler that runs
 * after the commit, so a crash loses it and a burst floods the inbox.)
 */
public final class OutboxRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final int REDIS_BATCH = 500;
    private static final int EMAIL_BATCH = 20;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration INBOX_PRUNE_INTERVAL = Duration.ofHours(1);

    private final DataSource dataSource;
    private final EventPublisher publisher;
    private final Notifications notifications;
    private final String notifyTo;
    private final Duration emailWindow;
    private final Duration pollInterval;
    private final Semaphore wake = new Semaphore(0);
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong emailsSent = new AtomicLong();
    private final AtomicLong suppressedEmails = new AtomicLong();
    private final Backoff redisBackoff = new Backoff();
    private final Backoff emailBackoff = new Backoff();
    private volatile boolean running;
    private Thread thread;

    public OutboxRelay(DataSource dataSource, EventPublisher publisher, Notifications notifications, String notifyTo,
            Duration emailWindow, Duration pollInterval) {
        this.dataSource = Objects.requireNonNull(dataSource);
        this.publisher = Objects.requireNonNull(publisher);
        this.notifications = Objects.requireNonNull(notifications);
        this.notifyTo = Objects.requireNonNull(notifyTo);
        this.emailWindow = Objects.requireNonNull(emailWindow);
        this.pollInterval = Objects.requireNonNull(pollInterval);
    }

    public synchronized OutboxRelay start() {
        if (thread == null) {
            running = true;
            thread = Thread.ofVirtual().name("outbox-relay").start(this::run);
        }
        return this;
    }

    /** Asks for a round now rather than at the next poll (called after a commit that wrote the outbox). */
    public void wake() {
        if (wake.availablePermits() == 0) {
            wake.release();
        }
    }

    /** Messages handed to the publisher and deleted from the outbox. */
    public long published() {
        return published.get();
    }

    /** Rounds in which a destination or the database failed; their rows stay for the next attempt. */
    public long failures() {
        return failures.get();
    }

    public long emailsSent() {
        return emailsSent.get();
    }

    /** Out-of-stock emails not sent because one for the same SKU went out within the window. */
    public long suppressedEmails() {
        return suppressedEmails.get();
    }

    /** Rows waiting in the outbox, or -1 when the database does not answer. */
    public long backlog() {
        try (Connection c = dataSource.getConnection()) {
            try {
                return JdbcOutbox.backlog(c);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        Thread running;
        synchronized (this) {
            running = thread;
            thread = null;
        }
        if (running == null) {
            return;
        }
        this.running = false;
        wake();
        try {
            if (!running.join(Duration.ofSeconds(10))) {
                running.interrupt();
                running.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        Backoff databaseBackoff = new Backoff();
        Instant nextInboxPrune = Instant.MIN;
        while (running) {
            boolean more = false;
            try {
                more = relayOnce();
                databaseBackoff.succeeded();
                if (Instant.now().isAfter(nextInboxPrune)) {
                    pruneInbox();
                    nextInboxPrune = Instant.now().plus(INBOX_PRUNE_INTERVAL);
                }
            } catch (SQLException | RuntimeException e) {
                failures.incrementAndGet();
                Duration pause = databaseBackoff.failed();
                log.warn("Outbox relay round failed, retrying in {}: {}", pause, e.toString());
                sleep(pause);
            }
            if (!more && running) {
                try {
                    wake.tryAcquire(pollInterval.toMillis(), TimeUnit.MILLISECONDS);
                    wake.drainPermits();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
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

    /** One round in one transaction; true when a full batch went out and more may be waiting. */
    private boolean relayOnce() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                if (!JdbcOutbox.lockRelay(c)) {
                    c.rollback();
                    return false;
                }
                boolean more = relayRedis(c);
                more |= relayEmail(c);
                c.commit();
                return more;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private boolean relayRedis(Connection c) throws SQLException {
        if (!redisBackoff.due()) {
            return false;
        }
        List<JdbcOutbox.Row> rows = JdbcOutbox.oldest(c, JdbcOutbox.REDIS, REDIS_BATCH);
        if (rows.isEmpty()) {
            return false;
        }
        List<EventPublisher.Outgoing> messages = new ArrayList<>(rows.size());
        rows.forEach(r -> messages.add(new EventPublisher.Outgoing(r.messageId(), r.type(), r.payload())));
        try {
            publisher.publish(messages);
            redisBackoff.succeeded();
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            Duration pause = redisBackoff.failed();
            log.warn("Publishing {} outbox messages failed, they stay; retrying in {}: {}", rows.size(), pause,
                    e.toString());
            return false;
        }
        JdbcOutbox.delete(c, rows);
        published.addAndGet(rows.size());
        return rows.size() == REDIS_BATCH;
    }

    private boolean relayEmail(Connection c) throws SQLException {
        if (!emailBackoff.due()) {
            return false;
        }
        List<JdbcOutbox.Row> rows = JdbcOutbox.oldest(c, JdbcOutbox.EMAIL, EMAIL_BATCH);
        List<JdbcOutbox.Row> done = new ArrayList<>();
        try {
            for (JdbcOutbox.Row row : rows) {
                Instant lastEmailed = lastEmailed(c, row.sku());
                if (lastEmailed != null && row.occurredAt().isBefore(lastEmailed.plus(emailWindow))) {
                    suppressedEmails.incrementAndGet();
                    log.info("Not emailing out of stock for {} (message {}): emailed for the out-of-stock at {}",
                            row.sku(), row.messageId(), lastEmailed);
                } else {
                    notifications.send(notifyTo, "Out of stock for " + row.sku() + "\n\nAn order line for SKU "
                            + row.sku() + " could not be allocated at " + row.occurredAt()
                            + ": no batch has enough stock.");
                    rememberEmailed(c, row.sku(), row.occurredAt(), lastEmailed != null);
                    emailsSent.incrementAndGet();
                }
                done.add(row);
            }
            emailBackoff.succeeded();
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            Duration pause = emailBackoff.failed();
            log.warn("Sending an out-of-stock email failed, it stays; retrying in {}: {}", pause, e.toString());
        }
        JdbcOutbox.delete(c, done);
        return rows.size() == EMAIL_BATCH && done.size() == rows.size();
    }

    private static Instant lastEmailed(Connection c, String sku) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT occurred_at FROM out_of_stock_emails WHERE sku = ?")) {
            st.setString(1, sku);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getTimestamp(1).toInstant() : null;
            }
        }
    }

    private static void rememberEmailed(Connection c, String sku, Instant occurredAt, boolean known) throws SQLException {
        try (PreparedStatement st = c.prepareStatement(known
                ? "UPDATE out_of_stock_emails SET occurred_at = ? WHERE sku = ?"
                : "INSERT INTO out_of_stock_emails (occurred_at, sku) VALUES (?, ?)")) {
            st.setTimestamp(1, Timestamp.from(occurredAt));
            st.setString(2, sku);
            st.executeUpdate();
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Doubling pauses after failures, from 100 ms up to five seconds; used by the relay's thread only. */
    private static final class Backoff {
        private Duration pause = Duration.ZERO;
        private Instant retryAt = Instant.MIN;

        boolean due() {
            return !Instant.now().isBefore(retryAt);
        }

        Duration failed() {
            pause = pause.isZero() ? Duration.ofMillis(100) : pause.multipliedBy(2);
            if (pause.compareTo(MAX_BACKOFF) > 0) {
                pause = MAX_BACKOFF;
            }
            retryAt = Instant.now().plus(pause);
            return pause;
        }

        void succeeded() {
            pause = Duration.ZERO;
            retryAt = Instant.MIN;
        }
    }
}

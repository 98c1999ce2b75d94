package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Handles commands. Commands that wait while the previous ones are being committed run together as one
 * {@link CommandGroup} in one unit of work: one load, one write, one commit for the lot (group commit).
 * There is no timer: a group is whatever arrived while the previous group ran (up to {@link #MAX_GROUP}),
 * so a lone command runs alone at once. One group runs at a time, so each SKU's commands run in arrival
 * order and never race each other within a process; across processes the unit of work may make a group
 * wait for another process's group (the JDBC one locks the products it loads, on PostgreSQL), and the
 * version compare-and-set decides what is left: a command whose product another process changed first
 * is retried, alone of its group, with jittered backoff. Other failures reach the caller at once; so
 * does a commit whose outcome is unknown ({@link StorageUnavailable#outcomeUnknown()}): it may have been
 * kept, so it is not run again here, and the caller may send the command again (each is idempotent).
 *
 * <p>The book's bus also dispatches events to handlers. Here events leave the service only through the
 * transactional outbox that the unit of work writes with the change, so this bus has no event half:
 * see docs/design.md. (The book's bus also keeps its queue and unit of work in fields, which races
 * under a threaded server.)
 */
public final class MessageBus {

    /**
     * The most commands one group takes; the rest wait for the next. It bounds a transaction's size
     * and how long its locks are held when a burst queues thousands of commands.
     */
    public static final int MAX_GROUP = 500;

    /** The one handler of each command: bootstrap's exhaustive switch. */
    @FunctionalInterface
    public interface Routes {
        Handler<?, ?> handlerFor(Command<?> command);
    }

    /** How often a command that lost a race runs again, and how long it waits before each run. */
    public record RetryPolicy(int commandAttempts, Backoff backoff) {
        public static final RetryPolicy DEFAULT = new RetryPolicy(20,
                new Backoff(Duration.ofMillis(4), Duration.ofMillis(128), true));

        public RetryPolicy {
            if (commandAttempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
        }
    }

    private final UnitOfWork.Factory unitOfWork;
    private final Routes routes;
    private final RetryPolicy retryPolicy;
    private final Tracing tracing;
    private final ReentrantLock queueLock = new ReentrantLock();
    private final ArrayDeque<CommandGroup.Pending> waiting = new ArrayDeque<>();
    private boolean groupRunning;
    private final AtomicLong commandRetries = new AtomicLong();
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong groupedCommands = new AtomicLong();
    /**
     * The thread the groups run on, while their senders wait: a platform thread, which the kernel wakes
     * when the database answers each round trip, where a virtual thread is parked at each one, its
     * socket handed to the poller, and woken onto a carrier behind the requests that arrived meanwhile
     * (bench/PROFILE.md). One group runs at a time, so one thread; it ends after a minute idle.
     */
    private final ExecutorService groupThread = new ThreadPoolExecutor(0, 1, 1, TimeUnit.MINUTES,
            new LinkedBlockingQueue<>(), Thread.ofPlatform().daemon().name("command-groups").factory());

    public MessageBus(UnitOfWork.Factory unitOfWork, Routes routes, RetryPolicy retryPolicy) {
        this(unitOfWork, routes, retryPolicy, Tracing.OFF);
    }

    /** A bus that traces each command's wait for its group and each group's run. */
    public MessageBus(UnitOfWork.Factory unitOfWork, Routes routes, RetryPolicy retryPolicy, Tracing tracing) {
        this.unitOfWork = Objects.requireNonNull(unitOfWork);
        this.routes = Objects.requireNonNull(routes);
        this.retryPolicy = Objects.requireNonNull(retryPolicy);
        this.tracing = Objects.requireNonNull(tracing);
    }

    /** Handles the command, sent by the service itself ({@link Source#INTERNAL}); returns what its handler answered. */
    public <R extends Outcome> R handle(Command<R> command) {
        return handle(command, Source.INTERNAL);
    }

    /** Handles the command, which came from {@code source} (for the order lines' history); returns what its handler answered. */
    public <R extends Outcome> R handle(Command<R> command, Source source) {
        return switch (run(command, null, source)) {
            case CommandGroup.Answered answered -> cast(answered.outcome());
            case CommandGroup.Duplicate duplicate -> throw new IllegalStateException("no message id was given");
        };
    }

    /**
     * Handles a command that arrived as a message with an id, at most once per id: the id is recorded
     * in the command's own unit of work, so it is kept exactly when the command's effect is. Empty when
     * a message with this id was handled before: then nothing changed. (The book handles a redelivered
     * message again.)
     */
    public <R extends Outcome> Optional<R> handle(Command<R> command, String messageId) {
        return handle(command, messageId, Source.INTERNAL);
    }

    /** The same, for a command that came from {@code source}. */
    public <R extends Outcome> Optional<R> handle(Command<R> command, String messageId, Source source) {
        return switch (run(command, Objects.requireNonNull(messageId, "messageId"), source)) {
            case CommandGroup.Answered answered -> Optional.of(cast(answered.outcome()));
            case CommandGroup.Duplicate duplicate -> Optional.empty();
        };
    }

    /** Commands run again after losing a concurrency race. */
    public long commandRetries() {
        return commandRetries.get();
    }

    /** Commands waiting for the group that runs now to end, to run in the next one. */
    public int waitingCommands() {
        queueLock.lock();
        try {
            return waiting.size();
        } finally {
            queueLock.unlock();
        }
    }

    /** Groups of commands committed (or attempted) together. */
    public long groups() {
        return groups.get();
    }

    /** Commands run in those groups: divided by {@link #groups()}, the mean group size. */
    public long groupedCommands() {
        return groupedCommands.get();
    }

    /** The handler routed for {@code Command<R>} answers an R: bootstrap pairs each command with its own. */
    @SuppressWarnings("unchecked")
    private static <R extends Outcome> R cast(Outcome outcome) {
        return (R) outcome;
    }

    private CommandGroup.Answer run(Command<?> command, String messageId, Source source) {
        CommandGroup.Routed routed = CommandGroup.Routed.of(command, routes.handlerFor(command));
        for (int attempt = 1; ; attempt++) {
            CommandGroup.Pending pending = new CommandGroup.Pending(routed, messageId,
                    Objects.requireNonNull(source, "source"), tracing.startWait());
            try {
                submit(pending);
            } finally {
                pending.endWait();
            }
            switch (pending.result()) {
                case CommandGroup.Answer answer -> {
                    return answer;
                }
                case CommandGroup.Failed failed -> throw failed.failure();
                case CommandGroup.Conflicted conflicted -> {
                    if (attempt >= retryPolicy.commandAttempts()) {
                        throw conflicted.conflict();
                    }
                    commandRetries.incrementAndGet();
                    pause(retryPolicy.backoff().delay(attempt - 1));
                }
            }
        }
    }

    /**
     * Runs the command in a group and returns once it has a result. The first command to find no group
     * running starts {@link #runGroups} on {@link #groupThread}; the others wait in the queue for it.
     */
    private void submit(CommandGroup.Pending pending) {
        boolean start;
        queueLock.lock();
        try {
            waiting.add(pending);
            start = !groupRunning;
            groupRunning = true;
        } finally {
            queueLock.unlock();
        }
        if (start) {
            groupThread.execute(this::runGroups);
        }
        pending.awaitResult();
    }

    /** Runs every command waiting, in groups in arrival order, until none is left. */
    private void runGroups() {
        for (List<CommandGroup.Pending> group = nextGroup(); !group.isEmpty(); group = nextGroup()) {
            groups.incrementAndGet();
            groupedCommands.addAndGet(group.size());
            CommandGroup.Pending first = group.getFirst();
            Tracing.Span run = null;
            try {
                run = first.waiting() == null ? null : tracing.startGroup(first.waiting(),
                        group.subList(1, group.size()).stream().map(CommandGroup.Pending::waiting).toList());
                new CommandGroup(group).run(unitOfWork);
            } catch (RuntimeException | Error e) {
                // the group gives its commands every failure of their own; this is one around it (its span):
                // their answer, and the next group still runs
                RuntimeException failure = CommandGroup.failure(e);
                group.forEach(p -> p.failIfOpen(failure));
            } finally {
                if (run != null) {
                    run.end();
                }
                group.forEach(CommandGroup.Pending::finish);
            }
        }
    }

    /** The next group: up to {@link #MAX_GROUP} of the commands waiting; none when none waits (no group runs then). */
    private List<CommandGroup.Pending> nextGroup() {
        List<CommandGroup.Pending> group = new ArrayList<>();
        queueLock.lock();
        try {
            while (group.size() < MAX_GROUP && !waiting.isEmpty()) {
                group.add(waiting.poll());
            }
            groupRunning = !group.isEmpty();
        } finally {
            queueLock.unlock();
        }
        return group;
    }

    private static void pause(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while backing off", e);
        }
    }
}

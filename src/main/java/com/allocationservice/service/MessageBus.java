package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Event;
import com.allocationservice.service.ProductRepository.Need;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles commands, then every event they led to. Commands that wait while the previous ones are
 * being committed run together as one {@link CommandGroup} in one unit of work: one load, one write,
 * one commit for the lot (group commit). There is no timer: a group is whatever arrived while the
 * previous group ran (up to {@link #MAX_GROUP}), so a lone command runs alone at once. One group
 * runs at a time, so each SKU's commands run in arrival order and never race each other within a
 * process; across processes the version compare-and-set decides.
 *
 * <p>Each command keeps its own outcome: its handler sees a {@link UnitOfWork} of its own, and a
 * command that fails or loses a race changes nothing its group keeps. A command whose product another
 * process changed first is retried, alone of its group, with jittered backoff, before its
 * {@link ConcurrencyConflict} reaches the caller; other failures reach the caller at once. Events are
 * handled after the command, on the caller's thread, each in a unit of work of its own; an event
 * handler never fails the caller: it is retried a few times, then the failure is logged and counted in
 * {@link #failedEventHandlings()}. (The book's bus keeps one queue and one shared unit of work in
 * fields, which races under a threaded server, and commits each message alone.)
 */
public final class MessageBus {

    private static final Logger log = LoggerFactory.getLogger(MessageBus.class);

    /**
     * The most commands one group takes; the rest wait for the next. It bounds a transaction's size
     * and how long its locks are held when a burst queues thousands of commands.
     */
    public static final int MAX_GROUP = 500;

    /** Runs the one handler of a command, routed by bootstrap. */
    @FunctionalInterface
    public interface CommandHandler {
        Object handle(Command command, UnitOfWork uow);
    }

    /** What a command's handler will read, so that a group's products are loaded at once; routed by bootstrap. */
    @FunctionalInterface
    public interface CommandNeeds {
        CommandNeeds NONE = command -> List.of();

        List<Need> of(Command command);
    }

    @FunctionalInterface
    public interface EventHandler {
        void handle(Event event, UnitOfWork uow);
    }

    /** The handlers of an event, routed by bootstrap; possibly none. */
    @FunctionalInterface
    public interface EventRoutes {
        List<EventHandler> handlersFor(Event event);
    }

    /** What {@link #handle(Command, String)} returns for a message whose id was handled before. */
    public record Duplicate(String messageId) {
    }

    public record RetryPolicy(int commandAttempts, int eventAttempts, Duration backoff) {
        public static final RetryPolicy DEFAULT = new RetryPolicy(20, 3, Duration.ofMillis(2));

        public RetryPolicy {
            if (commandAttempts < 1 || eventAttempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
        }
    }

    private final UnitOfWork.Factory unitOfWork;
    private final CommandHandler commandHandler;
    private final CommandNeeds needs;
    private final EventRoutes eventRoutes;
    private final RetryPolicy retryPolicy;
    private final ReentrantLock queueLock = new ReentrantLock();
    private final ArrayDeque<CommandGroup.Pending> waiting = new ArrayDeque<>();
    private boolean groupRunning;
    private final AtomicLong failedEventHandlings = new AtomicLong();
    private final AtomicLong commandRetries = new AtomicLong();
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong groupedCommands = new AtomicLong();

    public MessageBus(UnitOfWork.Factory unitOfWork, CommandHandler commandHandler, EventRoutes eventRoutes,
            RetryPolicy retryPolicy) {
        this(unitOfWork, commandHandler, CommandNeeds.NONE, eventRoutes, retryPolicy);
    }

    public MessageBus(UnitOfWork.Factory unitOfWork, CommandHandler commandHandler, CommandNeeds needs,
            EventRoutes eventRoutes, RetryPolicy retryPolicy) {
        this.unitOfWork = Objects.requireNonNull(unitOfWork);
        this.commandHandler = Objects.requireNonNull(commandHandler);
        this.needs = Objects.requireNonNull(needs);
        this.eventRoutes = Objects.requireNonNull(eventRoutes);
        this.retryPolicy = Objects.requireNonNull(retryPolicy);
    }

    /** Handles the command and the events that follow from it; returns what the command's handler returned. */
    public Object handle(Command command) {
        return run(command, null);
    }

    /**
     * Handles a command that arrived as a message with an id, at most once per id: the id is recorded
     * in the command's own unit of work, so it is kept exactly when the command's effect is, and a
     * redelivered id returns {@link Duplicate} and changes nothing. (The book handles a redelivered
     * message again.)
     */
    public Object handle(Command command, String messageId) {
        return run(command, Objects.requireNonNull(messageId, "messageId"));
    }

    /** Event handlings that failed every attempt: logged, counted, never silently dropped. */
    public long failedEventHandlings() {
        return failedEventHandlings.get();
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

    private Object run(Command command, String messageId) {
        Object result;
        List<Event> events;
        for (int attempt = 1; ; attempt++) {
            CommandGroup.Pending pending = new CommandGroup.Pending(command, messageId);
            submit(pending);
            if (pending.outcome() instanceof CommandGroup.Done done) {
                result = done.result();
                events = done.events();
                break;
            }
            if (pending.outcome() instanceof CommandGroup.Failed failed) {
                throw failed.failure();
            }
            ConcurrencyConflict conflict = ((CommandGroup.Conflicted) pending.outcome()).conflict();
            if (attempt >= retryPolicy.commandAttempts()) {
                throw conflict;
            }
            commandRetries.incrementAndGet();
            pause(attempt);
        }
        Deque<Event> queue = new ArrayDeque<>(events);
        while (!queue.isEmpty()) {
            handleEvent(queue.poll(), queue);
        }
        return result;
    }

    /**
     * Runs the command in a group and returns once it has an outcome. The first command to find no group
     * running leads: it runs every command waiting, then hands the lead to the first that arrived meanwhile.
     */
    private void submit(CommandGroup.Pending pending) {
        queueLock.lock();
        try {
            if (groupRunning) {
                waiting.add(pending);
            } else {
                groupRunning = true;
                pending.lead();
            }
        } finally {
            queueLock.unlock();
        }
        if (!pending.awaitTurn()) {
            return;
        }
        List<CommandGroup.Pending> group = new ArrayList<>();
        group.add(pending);
        queueLock.lock();
        try {
            while (group.size() < MAX_GROUP && !waiting.isEmpty()) {
                group.add(waiting.poll());
            }
        } finally {
            queueLock.unlock();
        }
        groups.incrementAndGet();
        groupedCommands.addAndGet(group.size());
        try {
            new CommandGroup(group, commandHandler, needs).run(unitOfWork);
        } catch (RuntimeException | Error e) {
            handOff(group); // not covered: a group gives every command an outcome, so only an Error gets here
            throw e;
        }
        handOff(group);
    }

    /** Passes the lead to the first command that arrived meanwhile (if any), then lets the group's senders go. */
    private void handOff(List<CommandGroup.Pending> group) {
        CommandGroup.Pending next;
        queueLock.lock();
        try {
            next = waiting.poll();
            groupRunning = next != null;
        } finally {
            queueLock.unlock();
        }
        if (next != null) {
            next.lead();
        }
        group.forEach(CommandGroup.Pending::finish);
    }

    private void handleEvent(Event event, Deque<Event> queue) {
        for (EventHandler handler : eventRoutes.handlersFor(event)) {
            for (int attempt = 1; ; attempt++) {
                try (UnitOfWork uow = unitOfWork.begin()) {
                    handler.handle(event, uow);
                    queue.addAll(uow.collectNewEvents());
                    break;
                } catch (RuntimeException failure) {
                    if (attempt >= retryPolicy.eventAttempts()) {
                        failedEventHandlings.incrementAndGet();
                        log.error("Gave up handling {} after {} attempts", event, attempt, failure);
                        break;
                    }
                    log.warn("Handling {} failed (attempt {}), retrying: {}", event, attempt, failure.toString());
                    pause(attempt);
                }
            }
        }
    }

    /** Backs off for half the ceiling (backoff times 2 to the attempt, up to 64 times) plus a random part of the rest. */
    private void pause(int attempt) {
        long ceiling = retryPolicy.backoff().toNanos() << Math.min(attempt, 6);
        long half = ceiling / 2;
        long nanos = half + ThreadLocalRandom.current().nextLong(Math.max(half, 1));
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // not covered: no test interrupts a back-off
            throw new IllegalStateException("interrupted while backing off", e);
        }
    }
}

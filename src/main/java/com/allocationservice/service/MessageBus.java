package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Event;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles a command, then every event it led to, each in a unit of work of its own.
 *
 * <p>The queue lives in a local variable and units of work come from a factory, so one bus serves
 * any number of threads (the book's bus keeps its queue and one shared unit of work in fields, which
 * races under a threaded server). A command that loses an optimistic-concurrency race is retried
 * whole, with jittered backoff, before its {@link ConcurrencyConflict} reaches the caller; other
 * command failures reach the caller at once. Event handlers never fail the caller: each is retried a
 * few times, then the failure is logged and counted in {@link #failedEventHandlings()}.
 *
 * <p>Commands that name the same {@link Lanes lane} (bootstrap uses the SKU) take turns within one
 * process, so a hot SKU's commands queue for its product instead of racing for it and spending their
 * retries on conflicts; commands of different SKUs run in parallel. Across processes the version
 * compare-and-set still decides. (The book has no such thing: it relies on the database alone.)
 */
public final class MessageBus {

    private static final Logger log = LoggerFactory.getLogger(MessageBus.class);

    /** Runs the one handler of a command, routed by bootstrap. */
    @FunctionalInterface
    public interface CommandHandler {
        Object handle(Command command, UnitOfWork uow);
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

    /** The lane a command runs in; commands of one lane run one at a time. Null: no lane. */
    @FunctionalInterface
    public interface Lanes {
        Lanes NONE = command -> null;

        String laneOf(Command command);
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
    private final EventRoutes eventRoutes;
    private final RetryPolicy retryPolicy;
    private final Lanes lanes;
    private final ReentrantLock[] laneLocks = new ReentrantLock[1 << 10];
    private final AtomicLong failedEventHandlings = new AtomicLong();
    private final AtomicLong commandRetries = new AtomicLong();

    public MessageBus(UnitOfWork.Factory unitOfWork, CommandHandler commandHandler, EventRoutes eventRoutes,
            RetryPolicy retryPolicy) {
        this(unitOfWork, commandHandler, eventRoutes, retryPolicy, Lanes.NONE);
    }

    public MessageBus(UnitOfWork.Factory unitOfWork, CommandHandler commandHandler, EventRoutes eventRoutes,
            RetryPolicy retryPolicy, Lanes lanes) {
        this.lanes = Objects.requireNonNull(lanes);
        for (int i = 0; i < laneLocks.length; i++) {
            laneLocks[i] = new ReentrantLock(true);
        }
        this.unitOfWork = Objects.requireNonNull(unitOfWork);
        this.commandHandler = Objects.requireNonNull(commandHandler);
        this.eventRoutes = Objects.requireNonNull(eventRoutes);
        this.retryPolicy = Objects.requireNonNull(retryPolicy);
    }

    /** Handles the command and the events that follow from it; returns what the command's handler returned. */
    public Object handle(Command command) {
        return run(commandHandler, command);
    }

    /**
     * Handles a command that arrived as a message with an id, at most once per id: the id is recorded
     * in the command's own unit of work, so it is kept exactly when the command's effect is, and a
     * redelivered id returns {@link Duplicate} and changes nothing. (The book handles a redelivered
     * message again.)
     */
    public Object handle(Command command, String messageId) {
        Objects.requireNonNull(messageId, "messageId");
        CommandHandler once = (cmd, uow) ->
                uow.recordMessage(messageId) ? commandHandler.handle(cmd, uow) : new Duplicate(messageId);
        return run(once, command);
    }

    /** Event handlings that failed every attempt: logged, counted, never silently dropped. */
    public long failedEventHandlings() {
        return failedEventHandlings.get();
    }

    /** Commands run again after losing a concurrency race. */
    public long commandRetries() {
        return commandRetries.get();
    }

    private Object inLane(Command command, Supplier<Object> work) {
        String lane = lanes.laneOf(command);
        if (lane == null) {
            return work.get();
        }
        ReentrantLock lock = laneLocks[(lane.hashCode() * 0x9E3779B9) >>> 22];
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    private Object run(CommandHandler handler, Command command) {
        Deque<Event> queue = new ArrayDeque<>();
        Object result = inLane(command, () -> handleCommand(handler, command, queue));
        while (!queue.isEmpty()) {
            handleEvent(queue.poll(), queue);
        }
        return result;
    }

    private Object handleCommand(CommandHandler handler, Command command, Deque<Event> queue) {
        for (int attempt = 1; ; attempt++) {
            try (UnitOfWork uow = unitOfWork.begin()) {
                Object result = handler.handle(command, uow);
                queue.addAll(uow.collectNewEvents());
                return result;
            } catch (ConcurrencyConflict conflict) {
                if (attempt >= retryPolicy.commandAttempts()) {
                    throw conflict;
                }
                commandRetries.incrementAndGet();
                pause(attempt);
            }
        }
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
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while backing off", e);
        }
    }
}

package com.allocationservice.service;

import java.util.Collection;
import java.util.List;
import java.util.Set;

/**
 * One atomic piece of work, used as {@code try (var uow = unitOfWork.begin()) { ...; uow.commit(); }}
 * like the book's {@code with uow:}. Closing without committing rolls back. A unit of work belongs to
 * one thread; the bus opens a fresh one for every group of commands (the book shares one).
 */
public interface UnitOfWork extends AutoCloseable {

    ProductRepository products();

    /**
     * Saves every product handed out, each with a compare-and-set on its version, and with them, in the
     * same transaction, the events they raised, for delivery to other services (the outbox; the book
     * publishes them from event handlers after the commit, so a crash in between loses them).
     *
     * @throws ConcurrencyConflict when another unit of work changed one of them first
     */
    void commit();

    @Override
    void close();

    /**
     * A unit of work that several commands share: the bus runs a group of commands in one, each
     * handler seeing a {@link UnitOfWork} of its own over it.
     */
    interface Group extends UnitOfWork {

        /**
         * Records that the messages with these ids are being handled in this unit of work: they count
         * only if it commits. For each id, false when a committed unit of work recorded it already; an
         * id that a concurrent unit of work recorded and has not committed makes this wait for its outcome.
         */
        boolean[] recordMessages(List<String> messageIds);

        /** Takes back ids recorded in this unit of work, for commands whose changes are not kept. */
        void forgetMessages(Collection<String> messageIds);

        /**
         * Claims every product to be saved (changed, new, or with events). Returns the SKUs that another
         * unit of work changed (or created) first: commit leaves them out, so that their commands can run
         * again. The others are held until commit or close. A claim may also be left to commit, which then
         * fails with {@link ConcurrencyConflict} as a whole if it finds a product changed first.
         */
        Set<String> claimVersions();

        /**
         * Has commit write these entries of the order lines' history, in its transaction, so they are kept
         * exactly when the changes they tell of are (the book keeps no history).
         */
        void recordHistory(List<LineHistory> entries);
    }

    /** Opens units of work; the bus asks for one per group of commands. */
    @FunctionalInterface
    interface Factory {
        Group begin();
    }
}

package com.allocationservice.service;

import com.allocationservice.domain.Event;
import java.util.List;

/**
 * One atomic piece of work, used as {@code try (var uow = unitOfWork.begin()) { ...; uow.commit(); }}
 * like the book's {@code with uow:}. Closing without committing rolls back. A unit of work belongs to
 * one message on one thread; the bus opens a fresh one for every message (the book shares one).
 */
public interface UnitOfWork extends AutoCloseable {

    ProductRepository products();

    /**
     * Saves every product handed out, each with a compare-and-set on its version.
     *
     * @throws ConcurrencyConflict when another unit of work changed one of them first
     */
    void commit();

    /**
     * Records that the message with this id is being handled, as part of this unit of work: it
     * counts only if the unit of work commits. False when a committed unit of work recorded it
     * already; a concurrent one that has not committed yet makes this wait for its outcome.
     */
    boolean recordMessage(String messageId);

    /** The events raised by the products this unit of work handed out, each returned once. */
    List<Event> collectNewEvents();

    @Override
    void close();

    /** Opens units of work; the bus asks it for one per handled message. */
    @FunctionalInterface
    interface Factory {
        UnitOfWork begin();
    }
}

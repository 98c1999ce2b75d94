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

package com.allocationservice.service;

/** Another unit of work changed the same product first; the whole command may be retried. */
public final class ConcurrencyConflict extends RuntimeException {
    public ConcurrencyConflict(String message) {
        super(message);
    }

    public ConcurrencyConflict(String message, Throwable cause) {
        super(message, cause);
    }
}

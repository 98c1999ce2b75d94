package com.allocationservice.service;

/**
 * The store could not be reached or cannot take a write; nothing was changed and the request may be
 * tried again later. {@link #reason()} names a cause the client can be told (a full or read-only
 * disk), or is null when the database is simply unreachable.
 */
public final class StorageUnavailable extends RuntimeException {

    private final String reason;

    public StorageUnavailable(String message, Throwable cause) {
        this(null, message, cause);
    }

    public StorageUnavailable(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /** A short cause such as "storage full", "storage read-only" or "storage busy", or null: unreachable. */
    public String reason() {
        return reason;
    }
}

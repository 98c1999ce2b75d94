package com.allocationservice.service;

/**
 * The store could not be reached or cannot take a write, and the request may be tried again later.
 * Nothing was changed, except when {@link #outcomeUnknown()}: the connection broke while the commit
 * was under way, so the change may or may not have been kept (and the bus does not run the command
 * again). {@link #reason()} names a cause the client can be told (a full or read-only disk, an unknown
 * outcome), or is null when the database is simply unreachable.
 */
public final class StorageUnavailable extends RuntimeException {

    /** The reason of a commit whose answer never came: retrying the same request is safe, each command being idempotent. */
    public static final String OUTCOME_UNKNOWN = "commit outcome unknown";

    private final String reason;

    public StorageUnavailable(String message, Throwable cause) {
        this(null, message, cause);
    }

    public StorageUnavailable(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    /**
     * A short cause such as "storage full", "storage read-only", "storage busy" or
     * {@link #OUTCOME_UNKNOWN}, or null: unreachable.
     */
    public String reason() {
        return reason;
    }

    /** The commit was sent and no answer came: the change may have been kept. */
    public boolean outcomeUnknown() {
        return OUTCOME_UNKNOWN.equals(reason);
    }
}

package com.allocationservice.service;

/** The store could not be reached; nothing was changed and the request may be tried again later. */
public final class StorageUnavailable extends RuntimeException {
    public StorageUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}

package com.allocationservice.entrypoints;

/** Input the API cannot accept; answered with 400 and its message, before anything changes. */
public final class BadRequest extends RuntimeException {
    BadRequest(String message) {
        super(message, null, false, false);
    }
}

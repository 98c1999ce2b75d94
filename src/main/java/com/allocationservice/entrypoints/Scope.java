package com.allocationservice.entrypoints;

import io.javalin.security.RouteRole;
import java.util.Locale;
import java.util.Optional;

/**
 * What a named API token may do. Every route is registered with exactly one scope, or with
 * {@link Open#ANYONE}; a token without a route's scope is answered 403.
 */
public enum Scope implements RouteRole {
    /** The views, {@code /status} and the web page's reads. */
    READ,
    /** Allocate and deallocate: the shop. */
    ALLOCATE,
    /** Add batches and change their quantities: purchasing. */
    PURCHASE,
    /** Dead letters and parked rows. */
    OPERATE;

    /** As written in the tokens file and in messages: lower case. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Scope> of(String label) {
        for (Scope scope : values()) {
            if (scope.label().equals(label)) {
                return Optional.of(scope);
            }
        }
        return Optional.empty();
    }

    /** The role of a route that needs no token: health, metrics, the API's documentation, the page's files. */
    public enum Open implements RouteRole {
        ANYONE
    }
}

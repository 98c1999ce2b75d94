package com.allocationservice.entrypoints;

/**
 * Told of every HTTP request once it is answered (request metrics, the access log). {@code route} is
 * the matched route's template ({@code /allocations/{orderid}}), or {@link #UNMATCHED} when no route
 * matched: a label of bounded cardinality, unlike {@code path}. Runs on the request's thread: keep it
 * cheap.
 */
@FunctionalInterface
public interface RequestObserver {

    String UNMATCHED = "unmatched";

    RequestObserver NONE = (method, route, path, status, millis) -> { };

    void answered(String method, String route, String path, int status, double millis);

    default RequestObserver andThen(RequestObserver next) {
        return (method, route, path, status, millis) -> {
            answered(method, route, path, status, millis);
            next.answered(method, route, path, status, millis);
        };
    }
}

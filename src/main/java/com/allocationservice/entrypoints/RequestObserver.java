package com.allocationservice.entrypoints;

/**
 * Told of every HTTP request once it is answered (request metrics, the access log). {@code route} is
 * the matched route's template ({@code /allocations/{orderid}}), or {@link #UNMATCHED} when no route
 * matched: a label of bounded cardinality, unlike {@code path}. {@code token} is the name of the API
 * token the request carried (never the token), null without one. Runs on the request's thread: keep
 * it cheap.
 */
@FunctionalInterface
public interface RequestObserver {

    String UNMATCHED = "unmatched";

    RequestObserver NONE = (method, route, path, status, millis, token) -> { };

    void answered(String method, String route, String path, int status, double millis, String token);

    default RequestObserver andThen(RequestObserver next) {
        return (method, route, path, status, millis, token) -> {
            answered(method, route, path, status, millis, token);
            next.answered(method, route, path, status, millis, token);
        };
    }
}

package com.allocationservice.support;

import java.util.Arrays;
import java.util.List;

/**
 * Closes a test's resources in the order given, whatever went wrong before: a null (a resource the
 * set-up never got to open) is skipped, and each is closed even when an earlier one failed to close.
 * The first failure is thrown, with the later ones suppressed in it. A test whose set-up failed half
 * way thus still stops its Redis servers and drops its databases.
 */
public final class Closing {

    private Closing() {
    }

    public static void all(AutoCloseable... resources) {
        all(Arrays.asList(resources));
    }

    public static void all(List<? extends AutoCloseable> resources) {
        Throwable first = null;
        for (AutoCloseable resource : resources) {
            if (resource == null) {
                continue;
            }
            try {
                resource.close();
            } catch (Throwable failure) {
                if (failure instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (first == null) {
                    first = failure;
                } else {
                    first.addSuppressed(failure);
                }
            }
        }
        switch (first) {
            case null -> { }
            case RuntimeException e -> throw e;
            case Error e -> throw e;
            default -> throw new IllegalStateException("closing a test resource failed", first);
        }
    }
}

package com.allocationservice.service;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long to wait before trying again: {@code first} doubled with each earlier attempt, up to
 * {@code max}. Jittered, the pause is half of that plus a random part of the other half, so callers
 * that failed together (conflicting commits, instances that lost the same server) do not retry in
 * step and collide again.
 */
public record Backoff(Duration first, Duration max, boolean jittered) {

    public Backoff {
        Objects.requireNonNull(first);
        Objects.requireNonNull(max);
        if (first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("a backoff needs 0 <= first <= max, was " + first + " and " + max);
        }
    }

    /** The pause after {@code attempt} earlier attempts (0 for the first retry): first × 2^attempt, at most max. */
    public Duration delay(int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt must not be negative, was " + attempt);
        }
        long ceiling = ceiling(first.toNanos(), max.toNanos(), attempt);
        if (!jittered) {
            return Duration.ofNanos(ceiling);
        }
        long half = ceiling / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(Math.max(ceiling - half, 1)));
    }

    /** first shifted left by attempt, or max when that would pass it: compared before shifting, so it never overflows. */
    private static long ceiling(long first, long max, int attempt) {
        int shift = Math.min(attempt, Long.SIZE - 2);
        return first > max >> shift ? max : first << shift;
    }
}

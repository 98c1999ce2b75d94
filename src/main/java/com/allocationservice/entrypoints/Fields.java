package com.allocationservice.entrypoints;

import java.math.BigInteger;

/**
 * The checks on a bound body's fields that Jackson cannot make: presence, blank or overlong text, and
 * ranges. Each names the field in its refusal; a body checks its fields in a fixed order, so a body
 * with several faults is always refused for the same one.
 */
public final class Fields {

    public static final int MAX_TEXT = 255;
    private static final BigInteger MAX_INT = BigInteger.valueOf(Integer.MAX_VALUE);
    private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);

    private Fields() {
    }

    /** A required, non-blank string of at most {@value #MAX_TEXT} printable characters (code points). */
    public static String text(String field, String value) {
        if (value == null) {
            throw new BadRequest("Field '" + field + "' is required");
        }
        if (value.isBlank()) {
            throw new BadRequest("Field '" + field + "' must not be empty");
        }
        // characters as PostgreSQL's and H2's VARCHAR(255) count them: code points, not UTF-16 units
        if (value.codePointCount(0, value.length()) > MAX_TEXT) {
            throw new BadRequest("Field '" + field + "' must be at most " + MAX_TEXT + " characters");
        }
        if (value.chars().anyMatch(Character::isISOControl)) {
            throw new BadRequest("Field '" + field + "' must not contain control characters");
        }
        if (value.codePoints().anyMatch(c -> Character.isSurrogate((char) c) && Character.charCount(c) == 1)) {
            throw new BadRequest("Field '" + field + "' must be valid Unicode text, not a lone surrogate");
        }
        return value;
    }

    /** An optional string with the same limits as {@link #text}. */
    public static String optionalText(String field, String value) {
        return value == null ? null : text(field, value);
    }

    /** A required whole number from {@code min} up to the largest int. */
    public static int integer(String field, BigInteger value, int min) {
        if (value == null) {
            throw new BadRequest("Field '" + field + "' is required");
        }
        return inRange(field, value, BigInteger.valueOf(min), MAX_INT).intValueExact();
    }

    /** An optional whole number from 0 up to the largest long. */
    public static Long optionalWholeNumber(String field, BigInteger value) {
        return value == null ? null : inRange(field, value, BigInteger.ZERO, MAX_LONG).longValueExact();
    }

    private static BigInteger inRange(String field, BigInteger value, BigInteger min, BigInteger max) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new BadRequest("Field '" + field + "' must be from " + min + " to " + max + ", was " + value);
        }
        return value;
    }
}

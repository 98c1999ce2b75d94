package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.LineChange;
import java.util.Objects;

/**
 * One entry of an order line's history: what happened to the line (as its product recorded it), the
 * command that caused it, and where that command came from. The bus makes them from each kept
 * command's changes; the unit of work writes them with the change itself.
 */
public record LineHistory(LineChange change, Command<?> cause, Source source) {
    public LineHistory {
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(source, "source");
    }
}

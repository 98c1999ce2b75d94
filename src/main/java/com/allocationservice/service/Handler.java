package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.ProductRepository.Need;
import java.util.List;
import java.util.function.Function;

/**
 * One command's handler, as in the book (load the aggregate, call one domain method, commit, answer),
 * with what it reads declared beside it: the bus loads a whole group's needs in one query before any
 * handler runs, then hands each handler the needs it declared. Its unit of work hands out only those.
 */
public record Handler<C extends Command<R>, R extends Outcome>(Function<C, List<Need>> needs, Body<C, R> body) {

    @FunctionalInterface
    public interface Body<C, R> {
        /** Handles the command; {@code needs} are those declared for it, in their order. */
        R handle(C command, List<Need> needs, UnitOfWork uow);
    }
}

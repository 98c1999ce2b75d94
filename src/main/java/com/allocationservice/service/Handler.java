package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.ProductRepository.Need;
import java.util.List;

/**
 * One command's handler, as in the book: load the aggregate, call one domain method, commit, answer.
 * What it reads is declared beside it, so that the bus loads a whole group's products in one query
 * before any handler runs; the unit of work it gets hands out only what it declared.
 */
public interface Handler<C extends Command<R>, R extends Outcome> {

    /** The products {@link #handle} reads, each with what it reads of it. */
    List<Need> needs(C command);

    R handle(C command, UnitOfWork uow);
}

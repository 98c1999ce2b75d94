package com.allocationservice.support;

import com.allocationservice.bootstrap.Bootstrap;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import com.allocationservice.service.Handler;
import com.allocationservice.service.MessageBus;
import com.allocationservice.service.ProductRepository.Need;
import com.allocationservice.service.UnitOfWork;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Routes every command to one stub handler, for tests of the bus's own rules. */
public final class StubRoutes {

    private StubRoutes() {
    }

    /** A handler that needs nothing. */
    public static MessageBus.Routes to(BiFunction<Command<?>, UnitOfWork, Outcome> handle) {
        return to(command -> List.of(), handle);
    }

    /** The production handlers' needs, and {@code handle} in place of their handling (it may call {@link #production}). */
    public static MessageBus.Routes aroundProduction(BiFunction<Command<?>, UnitOfWork, Outcome> handle) {
        return to(StubRoutes::productionNeeds, handle);
    }

    /** What the production handler of the command does. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    public static Outcome production(Command<?> command, UnitOfWork uow) {
        Handler handler = Bootstrap.ROUTES.handlerFor(command);
        return (Outcome) handler.body().handle(command, productionNeeds(command), uow);
    }

    public static MessageBus.Routes to(Function<Command<?>, List<Need>> needs,
            BiFunction<Command<?>, UnitOfWork, Outcome> handle) {
        Handler<?, ?> stub = new Handler<Command<Outcome>, Outcome>(needs::apply,
                (command, declared, uow) -> handle.apply(command, uow));
        return command -> stub;
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static List<Need> productionNeeds(Command<?> command) {
        Function needs = Bootstrap.ROUTES.handlerFor(command).needs();
        return (List<Need>) needs.apply(command);
    }
}

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
        return to(command -> production(command).needs(command), handle);
    }

    /** What the production handler of the command does. */
    public static Outcome production(Command<?> command, UnitOfWork uow) {
        return (Outcome) production(command).handle(command, uow);
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    public static MessageBus.Routes to(Function<Command<?>, List<Need>> needs,
            BiFunction<Command<?>, UnitOfWork, Outcome> handle) {
        Handler stub = new Handler() {
            @Override
            public List<Need> needs(Command command) {
                return needs.apply(command);
            }

            @Override
            public Outcome handle(Command command, UnitOfWork uow) {
                return handle.apply(command, uow);
            }
        };
        return command -> stub;
    }

    @SuppressWarnings("rawtypes")
    private static Handler production(Command<?> command) {
        return Bootstrap.ROUTES.handlerFor(command);
    }
}

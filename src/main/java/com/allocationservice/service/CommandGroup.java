package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Outcome;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Commands run together in one unit of work (chapters 6 and 7, grouped): the message ids recorded in
 * one statement, every product the commands need loaded in one query, the handlers called in arrival
 * order, one compare-and-set per product, one write and one commit for all.
 *
 * <p>Each handler sees a unit of work of its own ({@link Scope}): what it changes counts only if it
 * commits and returns; if it throws, or returns without committing, the products it touched go back to
 * how they were before it ran, so the commands after it see nothing of it. A product that another unit
 * of work changed first is left out of the commit, and the commands that touched it are
 * {@link Conflicted}: the bus runs them again. Every command gets its own result. A failure of the
 * commit fails the commands it was committing, and only them; when its outcome is unknown (the change
 * may have been kept) they are {@link Failed}, never {@link Conflicted}, so none runs a second time.
 */
final class CommandGroup {

    /** What became of one command. */
    sealed interface Result permits Answer, Failed, Conflicted {
    }

    /** The command is decided: kept with its handler's answer, or a duplicate message that changed nothing. */
    sealed interface Answer extends Result permits Answered, Duplicate {
    }

    record Answered(Outcome outcome) implements Answer {
    }

    record Duplicate() implements Answer {
    }

    record Failed(RuntimeException failure) implements Result {
    }

    /** Not kept: a product it touched was changed by another unit of work first. */
    record Conflicted(ConcurrencyConflict conflict) implements Result {
    }

    /** A command bound to its handler, with what the handler declared it needs (computed once). */
    record Routed(Command<?> command, List<Need> needs, Function<UnitOfWork, Outcome> handle) {

        /** Bootstrap's routes pair each command with the handler of its own type, so the raw calls are safe. */
        @SuppressWarnings({"unchecked", "rawtypes"})
        static Routed of(Command<?> command, Handler handler) {
            List<Need> needs = List.copyOf((List<Need>) handler.needs().apply(command));
            return new Routed(command, needs, uow -> (Outcome) handler.body().handle(command, needs, uow));
        }
    }

    /** A command waiting for its group, and the thread that sent it waiting for its result. */
    static final class Pending {
        private final Routed routed;
        private final String messageId;
        private final Source source;
        private final Tracing.Span waiting;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private Result result;

        Pending(Routed routed, String messageId, Source source, Tracing.Span waiting) {
            this.routed = routed;
            this.messageId = messageId;
            this.source = source;
            this.waiting = waiting;
        }

        /** The span of the sender's wait for the result, or null when not traced. */
        Tracing.Span waiting() {
            return waiting;
        }

        void endWait() {
            if (waiting != null) {
                waiting.end();
            }
        }

        /** Fails the command with this cause, unless it has a result already. */
        void failIfOpen(RuntimeException cause) {
            if (result == null) {
                result = new Failed(cause);
            }
        }

        /** Tells the sender its result is there. */
        void finish() {
            failIfOpen(new IllegalStateException("the command's group ended without a result"));
            done.complete(null);
        }

        /** Waits for the result. */
        void awaitResult() {
            done.join();
        }

        Result result() {
            return result;
        }
    }

    private final List<Pending> pendings;

    CommandGroup(List<Pending> pendings) {
        this.pendings = pendings;
    }

    /** Gives every pending command a result. A failure of storage itself fails every command still open. */
    void run(UnitOfWork.Factory unitOfWork) {
        List<Pending> open = new ArrayList<>(pendings);
        Map<Pending, Scope> kept = new LinkedHashMap<>();
        try (UnitOfWork.Group uow = unitOfWork.begin()) {
            open.removeAll(duplicates(uow, open));
            List<Need> wanted = open.stream().flatMap(p -> p.routed.needs().stream()).toList();
            if (!wanted.isEmpty()) {
                uow.products().prefetch(wanted);
            }
            for (Pending pending : open) {
                Scope scope = new Scope(uow.products(), pending.routed.needs());
                try {
                    Outcome outcome = pending.routed.handle().apply(scope);
                    if (scope.committed) {
                        scope.keep(pending.routed.command(), pending.source);
                        kept.put(pending, scope);
                    } else {
                        scope.undo();
                    }
                    pending.result = new Answered(outcome);
                } catch (ConcurrencyConflict conflict) {
                    scope.undo();
                    pending.result = new Conflicted(conflict);
                } catch (RuntimeException failure) {
                    scope.undo();
                    pending.result = new Failed(failure);
                }
            }
            Set<String> conflicted = kept.isEmpty() ? Set.of() : uow.claimVersions();
            List<String> forget = new ArrayList<>();
            for (Pending pending : open) {
                Scope scope = kept.get(pending);
                if (scope != null && scope.touches(conflicted)) {
                    kept.remove(pending);
                    pending.result = new Conflicted(new ConcurrencyConflict("another unit of work changed "
                            + String.join(", ", scope.touchedSkus()) + " first"));
                }
                if (pending.messageId != null && !kept.containsKey(pending)) {
                    forget.add(pending.messageId);
                }
            }
            if (kept.isEmpty()) {
                return; // nothing to keep: closing rolls back, message ids included
            }
            if (!forget.isEmpty()) {
                uow.forgetMessages(forget);
            }
            List<LineHistory> history = kept.values().stream().flatMap(s -> s.history.stream()).toList();
            if (!history.isEmpty()) {
                uow.recordHistory(history);
            }
            uow.commit();
        } catch (RuntimeException | Error e) {
            // an Error (a bug, or the JVM out of memory) too: the commands handled before it are not kept
            RuntimeException failure = failure(e);
            for (Pending pending : open) {
                if (pending.result == null || kept.containsKey(pending)) {
                    pending.result = failure instanceof ConcurrencyConflict conflict
                            ? new Conflicted(conflict) : new Failed(failure);
                }
            }
        }
    }

    /** A group's failure as its commands are told it: a {@link RuntimeException} as it is, any other wrapped. */
    static RuntimeException failure(Throwable e) {
        return e instanceof RuntimeException r ? r : new IllegalStateException("the command's group failed: " + e, e);
    }

    /**
     * Records the group's message ids; the commands of ids handled before are {@link Duplicate}. A second
     * command with an id already in this group is run again later, once the first is decided.
     */
    private static List<Pending> duplicates(UnitOfWork.Group uow, List<Pending> open) {
        List<Pending> withIds = new ArrayList<>();
        List<Pending> done = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Pending pending : open) {
            if (pending.messageId == null) {
                continue;
            }
            if (ids.add(pending.messageId)) {
                withIds.add(pending);
            } else {
                pending.result = new Conflicted(new ConcurrencyConflict("message " + pending.messageId
                        + " is being handled already"));
                done.add(pending);
            }
        }
        if (!withIds.isEmpty()) {
            boolean[] fresh = uow.recordMessages(withIds.stream().map(p -> p.messageId).toList());
            for (int i = 0; i < fresh.length; i++) {
                if (!fresh[i]) {
                    withIds.get(i).result = new Duplicate();
                    done.add(withIds.get(i));
                }
            }
        }
        return done;
    }

    /**
     * One command's view of the group's unit of work: it hands out the group's products, remembers how
     * each was before the command first touched it, and keeps new products aside until the command commits.
     */
    private static final class Scope implements UnitOfWork {
        private final ProductRepository shared;
        private final List<Need> declared;
        private final Map<Product, Product.Snapshot> before = new IdentityHashMap<>();
        private final Map<String, Product> added = new LinkedHashMap<>();
        private boolean committed;
        /** What the command did to order lines, once kept. */
        private List<LineHistory> history = List.of();

        private final ProductRepository view = new ProductRepository() {
            @Override
            public void add(Product product) {
                added.put(product.sku(), product);
            }

            @Override
            public Optional<Product> get(Need need) {
                if (!declared.contains(need)) {
                    // the group loaded what the command declared: anything else would come incomplete
                    throw new IllegalStateException("the handler of a command that declares " + declared
                            + " asked for " + need);
                }
                Optional<Product> product = shared.get(need);
                product.ifPresent(p -> before.computeIfAbsent(p, Product::snapshot));
                return product;
            }

            @Override
            public void prefetch(Collection<Need> needs) {
                throw new UnsupportedOperationException("the group prefetches what its commands need");
            }
        };

        Scope(ProductRepository shared, List<Need> declared) {
            this.shared = shared;
            this.declared = declared;
        }

        @Override
        public ProductRepository products() {
            return view;
        }

        @Override
        public void commit() {
            committed = true;
        }

        /**
         * The command committed: the products it created join the group's, and what it did to their lines
         * (the changes each product recorded since the command first touched it) becomes history.
         */
        void keep(Command<?> cause, Source source) {
            added.values().forEach(shared::add);
            List<LineHistory> entries = new ArrayList<>();
            before.forEach((product, snapshot) -> product.lineChangesSince(snapshot.lineChanges())
                    .forEach(change -> entries.add(new LineHistory(change, cause, source))));
            added.values().forEach(product -> product.lineChanges()
                    .forEach(change -> entries.add(new LineHistory(change, cause, source))));
            history = entries;
        }

        void undo() {
            before.forEach(Product::restore);
        }

        Set<String> touchedSkus() {
            Set<String> skus = new HashSet<>(added.keySet());
            before.keySet().forEach(p -> skus.add(p.sku()));
            return skus;
        }

        boolean touches(Set<String> skus) {
            return touchedSkus().stream().anyMatch(skus::contains);
        }

        @Override
        public void close() {
        }
    }
}

package com.allocationservice.service;

import com.allocationservice.domain.Command;
import com.allocationservice.domain.Event;
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

/**
 * Commands run together in one unit of work (chapters 6 and 7, grouped): the message ids recorded in
 * one statement, every product the commands need loaded in one query, the handlers called in arrival
 * order, one compare-and-set per product, one write and one commit for all.
 *
 * <p>Each handler sees a unit of work of its own ({@link Scope}): what it changes counts only if it
 * commits and returns; if it throws, or returns without committing, the products it touched go back to
 * how they were before it ran, so the commands after it see nothing of it. A product that another unit
 * of work changed first is left out of the commit, and the commands that touched it are
 * {@link Conflicted}: the bus runs them again. Every command gets its own outcome.
 */
final class CommandGroup {

    /** What became of one command. */
    sealed interface Outcome permits Done, Failed, Conflicted {
    }

    /** Committed; {@code events} are those its handler raised. */
    record Done(Object result, List<Event> events) implements Outcome {
    }

    record Failed(RuntimeException failure) implements Outcome {
    }

    /** Not kept: a product it touched was changed by another unit of work first. */
    record Conflicted(ConcurrencyConflict conflict) implements Outcome {
    }

    /** A command waiting for its group, and the thread that sent it waiting for its outcome. */
    static final class Pending {
        private final Command command;
        private final String messageId;
        private final CompletableFuture<Boolean> turn = new CompletableFuture<>();
        private Outcome outcome;

        Pending(Command command, String messageId) {
            this.command = command;
            this.messageId = messageId;
        }

        /** Tells the sender to run the group: {@link #awaitTurn()} returns true. */
        void lead() {
            turn.complete(true);
        }

        /** Tells the sender its outcome is there (a leader knows already). */
        void finish() {
            if (outcome == null) {
                outcome = new Failed(new IllegalStateException("the command's group ended without an outcome"));
            }
            turn.complete(false);
        }

        /** Waits to lead a group (true) or for the outcome (false). */
        boolean awaitTurn() {
            return turn.join();
        }

        Outcome outcome() {
            return outcome;
        }
    }

    private final List<Pending> pendings;
    private final MessageBus.CommandHandler handler;
    private final MessageBus.CommandNeeds needs;

    CommandGroup(List<Pending> pendings, MessageBus.CommandHandler handler, MessageBus.CommandNeeds needs) {
        this.pendings = pendings;
        this.handler = handler;
        this.needs = needs;
    }

    /** Gives every pending command an outcome. A failure of storage itself fails every command still open. */
    void run(UnitOfWork.Factory unitOfWork) {
        List<Pending> open = new ArrayList<>(pendings);
        Map<Pending, Scope> ran = new LinkedHashMap<>();
        try (UnitOfWork.Group uow = unitOfWork.begin()) {
            open.removeAll(duplicates(uow, open));
            List<Need> wanted = new ArrayList<>();
            open.forEach(p -> wanted.addAll(needs.of(p.command)));
            if (!wanted.isEmpty()) {
                uow.products().prefetch(wanted);
            }
            for (Pending pending : open) {
                Scope scope = new Scope(uow.products(), needs.of(pending.command));
                try {
                    Object result = handler.handle(pending.command, scope);
                    if (scope.committed) {
                        scope.keep();
                        ran.put(pending, scope);
                    } else {
                        scope.undo();
                    }
                    pending.outcome = new Done(result, scope.events());
                } catch (ConcurrencyConflict conflict) {
                    scope.undo();
                    pending.outcome = new Conflicted(conflict);
                } catch (RuntimeException failure) {
                    scope.undo();
                    pending.outcome = new Failed(failure);
                }
            }
            Set<String> conflicted = ran.isEmpty() ? Set.of() : uow.claimVersions();
            List<String> forget = new ArrayList<>();
            for (Pending pending : open) {
                Scope scope = ran.get(pending);
                if (scope != null && scope.touches(conflicted)) {
                    ran.remove(pending);
                    pending.outcome = new Conflicted(new ConcurrencyConflict("another unit of work changed "
                            + String.join(", ", scope.touchedSkus()) + " first"));
                }
                if (pending.messageId != null && !ran.containsKey(pending)) {
                    forget.add(pending.messageId);
                }
            }
            if (ran.isEmpty()) {
                return; // nothing to keep: closing rolls back, message ids included
            }
            if (!forget.isEmpty()) {
                uow.forgetMessages(forget);
            }
            uow.commit();
            uow.collectNewEvents();
        } catch (RuntimeException failure) {
            for (Pending pending : open) {
                if (pending.outcome == null || ran.containsKey(pending)) {
                    pending.outcome = failure instanceof ConcurrencyConflict conflict
                            ? new Conflicted(conflict) : new Failed(failure);
                }
            }
        }
    }

    /**
     * Records the group's message ids; the commands of ids handled before are done as {@link MessageBus.Duplicate}.
     * A second command with an id already in this group is run again later, once the first is decided.
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
                pending.outcome = new Conflicted(new ConcurrencyConflict("message " + pending.messageId
                        + " is being handled already"));
                done.add(pending);
            }
        }
        if (!withIds.isEmpty()) {
            boolean[] fresh = uow.recordMessages(withIds.stream().map(p -> p.messageId).toList());
            for (int i = 0; i < fresh.length; i++) {
                if (!fresh[i]) {
                    withIds.get(i).outcome = new Done(new MessageBus.Duplicate(withIds.get(i).messageId), List.of());
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
        private final List<Event> events = new ArrayList<>();
        private boolean committed;

        private final ProductRepository view = new ProductRepository() {
            @Override
            public void add(Product product) {
                added.put(product.sku(), product);
            }

            @Override
            public Optional<Product> get(Need need) {
                if (!declared.isEmpty() && !declared.contains(need)) {
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

        /** What the command declared it needs ({@link MessageBus.CommandNeeds}); empty: not declared, not checked. */
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

        /** The command committed: its changes stand, and its events are those its products gained since it first touched them. */
        void keep() {
            // equivalent mutant (removing this line): a product created in this scope has no line yet, so no event
            added.values().forEach(p -> events.addAll(p.pendingEvents()));
            before.forEach((product, then) -> {
                List<Event> now = product.pendingEvents();
                events.addAll(now.subList(Math.min(then.events().size(), now.size()), now.size()));
            });
            added.values().forEach(shared::add);
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

        /** The events the command raised, once it is kept. */
        List<Event> events() {
            return List.copyOf(events);
        }

        @Override
        public List<Event> collectNewEvents() {
            return List.of();
        }

        @Override
        public void close() {
        }
    }
}

package com.allocationservice.unit;

import com.allocationservice.domain.Event;
import com.allocationservice.service.UnitOfWork;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One in-memory store shared by every unit of work it begins; counts commits. Message ids recorded
 * in a unit of work count only once it commits.
 */
public final class FakeUnitOfWork implements UnitOfWork, UnitOfWork.Factory {

    private final FakeProductRepository products = new FakeProductRepository();
    private final Set<String> handledMessages = new HashSet<>();
    private final Set<String> pendingMessages = new HashSet<>();
    private int commits;

    @Override
    public UnitOfWork begin() {
        return this;
    }

    @Override
    public FakeProductRepository products() {
        return products;
    }

    @Override
    public void commit() {
        commits++;
        handledMessages.addAll(pendingMessages);
        pendingMessages.clear();
    }

    @Override
    public boolean recordMessage(String messageId) {
        return !handledMessages.contains(messageId) && pendingMessages.add(messageId);
    }

    public Set<String> handledMessages() {
        return Set.copyOf(handledMessages);
    }

    public int commits() {
        return commits;
    }

    @Override
    public List<Event> collectNewEvents() {
        return products.seen().stream().flatMap(p -> p.takeEvents().stream()).toList();
    }

    @Override
    public void close() {
        pendingMessages.clear();
    }
}

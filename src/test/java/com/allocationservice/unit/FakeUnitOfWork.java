package com.allocationservice.unit;

import com.allocationservice.domain.Event;
import com.allocationservice.service.UnitOfWork;
import java.util.List;

/** One in-memory store shared by every unit of work it begins; counts commits. */
public final class FakeUnitOfWork implements UnitOfWork, UnitOfWork.Factory {

    private final FakeProductRepository products = new FakeProductRepository();
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
    }
}

package com.allocationservice.service;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.ChangeKey;
import com.allocationservice.domain.Command;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import java.util.List;
import java.util.Optional;

/**
 * The handlers, as in the book: load the aggregate, call one domain method, commit. What each loads is
 * also told ahead by {@link #needs}, so that the bus can load a whole group's products at once.
 */
public final class Handlers {

    private Handlers() {
    }

    /** What the command's handler reads: the bus prefetches these for a group of commands. */
    public static List<Need> needs(Command command) {
        return switch (command) {
            case Allocate c -> List.of(Need.line(c.sku(), c.orderid()));
            case Deallocate c -> List.of(Need.lineAndBackorders(c.sku(), c.orderid()));
            case ChangeBatchQuantity c -> List.of(Need.batch(c.ref()));
            case CreateBatch c -> List.of(Need.batch(c.ref()), Need.backorders(c.sku()));
        };
    }

    public static void addBatch(CreateBatch command, UnitOfWork uow) {
        ProductRepository products = uow.products();
        if (products.get(Need.batch(command.ref())).isPresent()) {
            throw new DomainException.DuplicateBatch(command.ref());
        }
        Product product = products.get(Need.backorders(command.sku())).orElseGet(() -> {
            Product created = Product.create(command.sku());
            products.add(created);
            return created;
        });
        product.addBatch(new Batch(command.ref(), command.sku(), command.qty(), command.eta()));
        uow.commit();
    }

    /** The reference of the batch the line is on, or empty when it is out of stock. */
    public static Optional<String> allocate(Allocate command, UnitOfWork uow) {
        OrderLine line = new OrderLine(command.orderid(), command.sku(), command.qty());
        Product product = uow.products().get(Need.line(command.sku(), command.orderid()))
                .orElseThrow(() -> new DomainException.InvalidSku(command.sku()));
        Optional<String> batchref = product.allocate(line);
        uow.commit();
        return batchref;
    }

    public static void deallocate(Deallocate command, UnitOfWork uow) {
        Product product = uow.products().get(Need.lineAndBackorders(command.sku(), command.orderid()))
                .orElseThrow(() -> new DomainException.UnknownLine(command.orderid(), command.sku()));
        product.deallocate(command.orderid());
        uow.commit();
    }

    /**
     * A quantity change that was not applied because one sent after it already was: not an error, the
     * newer quantity stands.
     */
    public record Superseded(String batchref, ChangeKey key, ChangeKey applied) {
    }

    /**
     * Empty when the change was applied; {@link Superseded} when its key is not after the batch's.
     * The batch's key is written with the batch under the product's version compare-and-set, so the
     * check and the write are one atomic step across instances: a handler that loses the race is
     * retried by the bus, reloads, and sees the newer key. Finding a change superseded needs no such
     * guard: a batch's key only ever grows, so a key found too old on a stale read is too old now.
     */
    public static Optional<Superseded> changeBatchQuantity(ChangeBatchQuantity command, UnitOfWork uow) {
        Product product = uow.products().get(Need.batch(command.ref()))
                .orElseThrow(() -> new DomainException.UnknownBatch(command.ref()));
        boolean applied = product.changeBatchQuantity(command.ref(), command.qty(), command.key());
        uow.commit();
        return applied ? Optional.empty() : Optional.of(new Superseded(command.ref(), command.key(),
                product.batch(command.ref()).flatMap(Batch::lastChange).orElse(null)));
    }
}

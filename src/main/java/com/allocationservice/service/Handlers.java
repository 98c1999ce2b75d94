package com.allocationservice.service;

import com.allocationservice.domain.Batch;
import com.allocationservice.domain.Command.Allocate;
import com.allocationservice.domain.Command.ChangeBatchQuantity;
import com.allocationservice.domain.Command.CreateBatch;
import com.allocationservice.domain.Command.Deallocate;
import com.allocationservice.domain.DomainException;
import com.allocationservice.domain.OrderLine;
import com.allocationservice.domain.Outcome;
import com.allocationservice.domain.Outcome.Done;
import com.allocationservice.domain.Product;
import com.allocationservice.service.ProductRepository.Need;
import java.util.List;
import java.util.Optional;

/** The handler of each command (the book's {@code handlers.py}); bootstrap routes each command to its own. */
public final class Handlers {

    private Handlers() {
    }

    /**
     * The same batch added again (same reference, SKU, quantity and ETA: a retried request) is done and
     * changes nothing; another batch with a reference taken, for any SKU, is refused.
     */
    public static final Handler<CreateBatch, Done> ADD_BATCH = new Handler<>(
            command -> List.of(Need.batch(command.ref()), Need.backorders(command.sku())),
            (command, needs, uow) -> {
                ProductRepository products = uow.products();
                Optional<Product> holder = products.get(needs.get(0));
                if (holder.isPresent() && !holder.get().sku().equals(command.sku())) {
                    throw new DomainException.DuplicateBatch(command.ref());
                }
                Product product = holder.or(() -> products.get(needs.get(1))).orElseGet(() -> {
                    Product created = Product.create(command.sku());
                    products.add(created);
                    return created;
                });
                product.addBatch(new Batch(command.ref(), command.sku(), command.qty(), command.eta()));
                uow.commit();
                return Done.DONE;
            });

    public static final Handler<Allocate, Outcome.Allocation> ALLOCATE = new Handler<>(
            command -> List.of(Need.line(command.sku(), command.orderid())),
            (command, needs, uow) -> {
                Product product = uow.products().get(needs.getFirst())
                        .orElseThrow(() -> new DomainException.InvalidSku(command.sku()));
                Outcome.Allocation outcome = product.allocate(new OrderLine(command.orderid(), command.sku(), command.qty()))
                        .<Outcome.Allocation>map(Outcome.Allocated::new)
                        .orElseGet(() -> new Outcome.OutOfStock(command.sku()));
                uow.commit();
                return outcome;
            });

    public static final Handler<Deallocate, Done> DEALLOCATE = new Handler<>(
            command -> List.of(Need.lineAndBackorders(command.sku(), command.orderid())),
            (command, needs, uow) -> {
                Product product = uow.products().get(needs.getFirst())
                        .orElseThrow(() -> new DomainException.UnknownLine(command.orderid(), command.sku()));
                product.deallocate(command.orderid());
                uow.commit();
                return Done.DONE;
            });

    /**
     * A change whose key is not after the batch's is {@link Outcome.Superseded}. The batch's key is
     * written with the batch under the product's version compare-and-set, so the check and the write
     * are one atomic step across instances; finding a change superseded needs no such guard, since a
     * batch's key only ever grows.
     */
    public static final Handler<ChangeBatchQuantity, Outcome.QuantityChange> CHANGE_BATCH_QUANTITY = new Handler<>(
            command -> List.of(Need.batch(command.ref())),
            (command, needs, uow) -> {
                Product product = uow.products().get(needs.getFirst())
                        .orElseThrow(() -> new DomainException.UnknownBatch(command.ref()));
                boolean applied = product.changeBatchQuantity(command.ref(), command.qty(), command.key());
                uow.commit();
                return applied ? Done.DONE : new Outcome.Superseded(command.ref(), command.key(),
                        product.batch(command.ref()).flatMap(Batch::lastChange).orElse(null));
            });
}

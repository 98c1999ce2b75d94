-- Ceiling (b): the book's SQL shape for one allocation (what SQLAlchemy sends for
-- services.allocate in chapters 7 and 12), a fixed reference. Tables from book_schema.sql.
-- Transaction 1 (the book's session runs REPEATABLE READ; pgbench --max-tries retries its
-- serialization failures, as the book's caller would have to):
\set n random(0, :nskus - 1)
\set oid random(1, 4000000000000000000)
BEGIN ISOLATION LEVEL REPEATABLE READ;
-- uow.products.get(sku)
SELECT products.sku, products.version_number FROM products WHERE products.sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') LIMIT 1 \gset
-- product.batches (lazy load). ORDER BY only so pgbench's \aset keeps the warehouse batch's id.
SELECT batches.id, batches.reference, batches.sku, batches._purchased_quantity, batches.eta FROM batches WHERE batches.sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') ORDER BY batches.eta DESC NULLS LAST \aset
-- batch._allocations of the chosen batch (available_quantity sums every line already on it)
SELECT order_lines.id, order_lines.sku, order_lines.qty, order_lines.orderid FROM order_lines, allocations WHERE allocations.batch_id = :id AND order_lines.id = allocations.orderline_id;
-- product.version_number += 1
UPDATE products SET version_number = :version_number + 1 WHERE products.sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0');
INSERT INTO order_lines (sku, qty, orderid) VALUES ('BENCH-SKU-' || lpad(:n::text, 3, '0'), 1, 'pgb-' || :oid) RETURNING id AS line_id \gset
INSERT INTO allocations (orderline_id, batch_id) VALUES (:line_id, :id);
COMMIT;
-- Transaction 2: the Allocated event's handler adds the read-model row (chapter 12).
BEGIN;
INSERT INTO allocations_view (orderid, sku, batchref) VALUES ('pgb-' || :oid, 'BENCH-SKU-' || lpad(:n::text, 3, '0'), :reference);
COMMIT;

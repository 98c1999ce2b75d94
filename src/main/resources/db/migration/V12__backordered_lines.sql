-- The overview of all stock (GET /products) sums each SKU's backordered lines (batchref NULL) on every
-- page. This index holds only them, so that sum reads next to nothing however many lines are on a
-- batch, and allocating a line onto a batch does not touch it. ${backorderedIndex} is, on PostgreSQL, a
-- partial index (sku, qty) WHERE batchref IS NULL; H2 has no partial indexes, there it leads with
-- batchref (batchref, sku, qty), so the backorders are one range of it.
CREATE INDEX order_lines_backordered ON order_lines ${backorderedIndex};

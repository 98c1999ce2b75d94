-- The overview of all stock (GET /products) sorts the SKUs needing attention by what each has left in
-- the warehouse: a sum over the batches without an ETA, of every SKU, on every page of that part. With
-- this index that sum is read from the index alone, in SKU order (about 50 ms for 100,000 SKUs on a
-- loaded 2-core machine, against 130 to 370 ms from the table). Its price: allocating from a warehouse
-- batch changes allocated_quantity, which is now indexed, so that update can no longer be a PostgreSQL
-- heap-only (HOT) update. Dropping this index keeps the overview correct, only slower.
-- ${warehouseIndex} is, on PostgreSQL, a partial index (sku, purchased_quantity, allocated_quantity)
-- WHERE eta IS NULL; H2 has no partial indexes, there it leads with eta.
CREATE INDEX batches_warehouse ON batches ${warehouseIndex};

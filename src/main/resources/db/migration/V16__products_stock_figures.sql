-- The overview of all stock (GET /products) lists the SKUs needing attention first: the most
-- backordered quantity first, then the least available in the warehouse. Each product row carries
-- those two figures, written by the commands in the same statement as the version compare-and-set
-- (ProductWrites), so that the overview reads one narrow row per SKU instead of summing every SKU's
-- batches and backordered lines.
--   warehouse:   available (purchased - allocated) on the SKU's batches without an ETA
--   backordered: the quantity of its lines waiting for stock (batchref NULL)
-- Deliberately not indexed: an index on them would make every compare-and-set's update of a product
-- a non-HOT update (a new entry in every index of products, the primary key the loads lock through),
-- which cost allocation 12 to 18 % on bench/run's spread load (measured, docs/benchmark.md).
ALTER TABLE products ADD COLUMN warehouse BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE products ADD COLUMN backordered BIGINT DEFAULT 0 NOT NULL;
UPDATE products SET
    warehouse = COALESCE((SELECT SUM(b.purchased_quantity - b.allocated_quantity) FROM batches b
                          WHERE b.sku = products.sku AND b.eta IS NULL), 0),
    backordered = COALESCE((SELECT SUM(l.qty) FROM order_lines l
                            WHERE l.sku = products.sku AND l.batchref IS NULL), 0);

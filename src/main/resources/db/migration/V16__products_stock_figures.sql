-- The overview of all stock (GET /products) lists the SKUs needing attention first: the most
-- backordered quantity first, then the least available in the warehouse. Each product row carries
-- those two figures, written by the commands in the same statement as the version compare-and-set
-- (ProductWrites), so that the overview's pages of SKUs needing attention are one walk of this index
-- from the cursor, however many SKUs there are, instead of a pass over every SKU's batches.
--   warehouse:   available (purchased - allocated) on the SKU's batches without an ETA
--   backordered: the quantity of its lines waiting for stock (batchref NULL)
-- minus_backordered is the index's first key, so that one ascending index serves the overview's order
-- and its keyset cursor. ${stored} is STORED on PostgreSQL and empty on H2 (see V7).
ALTER TABLE products ADD COLUMN warehouse BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE products ADD COLUMN backordered BIGINT DEFAULT 0 NOT NULL;
UPDATE products SET
    warehouse = COALESCE((SELECT SUM(b.purchased_quantity - b.allocated_quantity) FROM batches b
                          WHERE b.sku = products.sku AND b.eta IS NULL), 0),
    backordered = COALESCE((SELECT SUM(l.qty) FROM order_lines l
                            WHERE l.sku = products.sku AND l.batchref IS NULL), 0);
ALTER TABLE products ADD COLUMN minus_backordered BIGINT GENERATED ALWAYS AS (-backordered) ${stored};
CREATE INDEX products_attention ON products (minus_backordered, warehouse, sku);

-- Whether a batch has anything left to give, kept by the database itself. Commands load a SKU's
-- batches with stock through this index, so depleted batches, however many pile up, cost nothing.
-- ${stored} is STORED on PostgreSQL (which requires it) and empty on H2 (which stores it anyway).
ALTER TABLE batches ADD COLUMN has_stock BOOLEAN
    GENERATED ALWAYS AS (purchased_quantity > allocated_quantity) ${stored};
CREATE INDEX batches_with_stock ON batches (sku, has_stock);

-- Which SKUs need attention at the overview's default threshold (GET /products, below=10): those with
-- backordered lines or less than 10 available in the warehouse, kept by the database from the figures
-- of V16 and indexed, so that the overview's pages of SKUs needing attention read only those rows
-- instead of passing over every product row. Only this flag is indexed, not the figures: a product's
-- update stays a HOT update (no new index entry) unless the flag flips, which happens when a SKU runs
-- low or is restocked, not on every allocation as with an index on the figures (V16's note). A larger
-- `below` still passes over every product row. ${stored} as in V7; ${attentionIndex} is a partial
-- index on PostgreSQL, a plain one on H2.
ALTER TABLE products ADD COLUMN needs_attention BOOLEAN
    GENERATED ALWAYS AS (backordered > 0 OR warehouse < 10) ${stored};
CREATE INDEX products_needing_attention ON products ${attentionIndex};

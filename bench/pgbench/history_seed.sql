-- Flat-cost scenario: 1,000,000 earlier allocations in the service's schema, after service_seed.sql
-- (or LoadGen seed): :per_sku lines on each of the :nskus SKUs under load (100 x 1,000 = 100,000),
-- and :hist_skus more SKUs (900) that carry :per_sku lines each (900,000), all consistent:
-- batches.allocated_quantity = sum of its lines, placed_version <= products.version.
-- psql -v nskus=100 -v hist_skus=900 -v per_sku=1000 -v qty=1000000000
INSERT INTO products (sku, version)
SELECT 'BENCH-HIST-' || lpad(i::text, 4, '0'), 1 FROM generate_series(0, :hist_skus - 1) i;
INSERT INTO batches (reference, sku, purchased_quantity, allocated_quantity, eta)
SELECT 'BENCH-HIST-' || lpad(i::text, 4, '0') || '-W', 'BENCH-HIST-' || lpad(i::text, 4, '0'), :qty, 0, NULL
FROM generate_series(0, :hist_skus - 1) i;
-- The SKUs under load: their lines go on the warehouse batch, as the service would have placed them.
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'hist-' || s || '-' || k, 'BENCH-SKU-' || lpad(s::text, 3, '0'), 1,
       'BENCH-SKU-' || lpad(s::text, 3, '0') || '-W', 3 + k
FROM generate_series(0, :nskus - 1) s, generate_series(1, :per_sku) k;
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'hist-h' || s || '-' || k, 'BENCH-HIST-' || lpad(s::text, 4, '0'), 1,
       'BENCH-HIST-' || lpad(s::text, 4, '0') || '-W', 1 + k
FROM generate_series(0, :hist_skus - 1) s, generate_series(1, :per_sku) k;
UPDATE batches b SET allocated_quantity = t.total
FROM (SELECT batchref, sum(qty) AS total FROM order_lines GROUP BY batchref) t
WHERE t.batchref = b.reference;
UPDATE products p SET version = p.version + :per_sku + 1
WHERE p.sku LIKE 'BENCH-SKU-%' OR p.sku LIKE 'BENCH-HIST-%';
VACUUM ANALYZE;

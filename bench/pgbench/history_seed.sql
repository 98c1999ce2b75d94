-- History scenario: :per_sku earlier allocations on each of the :nskus SKUs under load
-- (100 x 10,000 = 1,000,000), after service_seed.sql or LoadGen seed, all consistent:
-- batches.allocated_quantity = sum of its lines, placed_version <= products.version.
-- psql -v nskus=100 -v per_sku=10000
-- The lines go on the warehouse batch, as the service would have placed them.
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'hist-' || s || '-' || k, 'BENCH-SKU-' || lpad(s::text, 3, '0'), 1,
       'BENCH-SKU-' || lpad(s::text, 3, '0') || '-W', 3 + k
FROM generate_series(0, :nskus - 1) s, generate_series(1, :per_sku) k;
UPDATE batches b SET allocated_quantity = t.total
FROM (SELECT batchref, sum(qty) AS total FROM order_lines GROUP BY batchref) t
WHERE t.batchref = b.reference;
UPDATE products p SET version = p.version + :per_sku + 1 WHERE p.sku LIKE 'BENCH-SKU-%';
VACUUM ANALYZE;

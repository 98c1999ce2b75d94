-- Depleted scenario: :depleted batches per SKU under load with nothing left to give, after LoadGen
-- seed. Each is warehouse stock (no ETA, so it sorts before the batches the load allocates from) and
-- carries one line of its whole quantity, so batches.allocated_quantity = sum of its lines.
-- psql -v nskus=100 -v depleted=5000
CREATE TEMP TABLE depleted AS
SELECT 'BENCH-SKU-' || lpad(s::text, 3, '0') AS sku, 'BENCH-SKU-' || lpad(s::text, 3, '0') || '-D' || k AS reference,
       'depleted-' || s || '-' || k AS orderid
FROM generate_series(0, :nskus - 1) s, generate_series(1, :depleted) k;
INSERT INTO batches (reference, sku, purchased_quantity, allocated_quantity, eta)
SELECT reference, sku, 1, 1, NULL FROM depleted;
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT orderid, sku, 1, reference, 1 FROM depleted;
VACUUM ANALYZE;

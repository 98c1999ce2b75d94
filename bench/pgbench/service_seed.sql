-- Ceiling (a) setup, in the service's own schema (created by its Flyway migrations):
-- the same 100 SKUs and batches that `LoadGen seed` creates over HTTP.
-- psql -v nskus=100 -v qty=1000000000
INSERT INTO products (sku, version)
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0'), CASE WHEN i % 2 = 1 THEN 3 ELSE 2 END
FROM generate_series(0, :nskus - 1) i;
INSERT INTO batches (reference, sku, purchased_quantity, allocated_quantity, eta)
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-W', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, 0, NULL
FROM generate_series(0, :nskus - 1) i
UNION ALL
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-S1', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, 0, DATE '2030-01-01'
FROM generate_series(0, :nskus - 1) i
UNION ALL
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-S2', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, 0, DATE '2030-02-01'
FROM generate_series(0, :nskus - 1) i WHERE i % 2 = 1;
ANALYZE;

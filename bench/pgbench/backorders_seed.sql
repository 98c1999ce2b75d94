-- Backorders scenario: :backorders lines waiting for stock (batchref NULL), spread evenly over the
-- :nskus SKUs under load, after LoadGen seed. Each asks for one more than any batch holds (:qty), so
-- no batch can take it and it stays waiting whatever the service does.
-- psql -v nskus=100 -v backorders=10000 -v qty=1000000000
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'backorder-' || i, 'BENCH-SKU-' || lpad((i % :nskus)::text, 3, '0'), :qty + 1, NULL, 1
FROM generate_series(0, :backorders - 1) i;
VACUUM ANALYZE;

-- The overview of all stock at size: :nskus SKUs, each with one warehouse batch and two shipments, and
-- :lines order lines spread evenly over them, all on the warehouse batch, of quantity 1. A SKU's
-- warehouse batch holds its lines plus (i % 50) more, so a fifth of the SKUs have fewer than 10 left
-- (needing attention); one SKU in a hundred also has three backordered lines. Run on a migrated,
-- empty database: psql -v nskus=100000 -v lines=10000000 -f seed.sql
\set per_sku (:lines / :nskus)
INSERT INTO products (sku, version)
SELECT 'OV-' || lpad(i::text, 6, '0'), 1 FROM generate_series(0, :nskus - 1) i;
INSERT INTO batches (reference, sku, purchased_quantity, allocated_quantity, eta)
SELECT 'ov-wh-' || i, 'OV-' || lpad(i::text, 6, '0'), :per_sku + i % 50, :per_sku, NULL
FROM generate_series(0, :nskus - 1) i;
INSERT INTO batches (reference, sku, purchased_quantity, allocated_quantity, eta)
SELECT 'ov-ship-' || i || '-' || k, 'OV-' || lpad(i::text, 6, '0'), 100 * k, 0, DATE '2031-01-01' + (i % 90) + 30 * k
FROM generate_series(0, :nskus - 1) i, generate_series(1, 2) k;
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'ov-order-' || n, 'OV-' || lpad((n % :nskus)::text, 6, '0'), 1, 'ov-wh-' || (n % :nskus), 1
FROM generate_series(0, :per_sku * :nskus - 1) n;
INSERT INTO order_lines (orderid, sku, qty, batchref, placed_version)
SELECT 'ov-backorder-' || i || '-' || k, 'OV-' || lpad(i::text, 6, '0'), 1000 + k, NULL, 1
FROM generate_series(0, :nskus - 1, 100) i, generate_series(1, 3) k;
-- the figures each product row carries (V16), which the service's commands keep and this seed bypassed
UPDATE products SET
    warehouse = COALESCE((SELECT SUM(b.purchased_quantity - b.allocated_quantity) FROM batches b
                          WHERE b.sku = products.sku AND b.eta IS NULL), 0),
    backordered = COALESCE((SELECT SUM(l.qty) FROM order_lines l
                            WHERE l.sku = products.sku AND l.batchref IS NULL), 0);
VACUUM ANALYZE;

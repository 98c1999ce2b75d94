-- Ceiling (a): the SQL the service issues for one allocation (POST /allocate of a new line), one
-- allocation per transaction, READ COMMITTED, as captured with log_statement = 'all' from
-- adapters/JdbcProductRepository + JdbcUnitOfWork. 6 round trips: BEGIN travels with the first
-- SELECT (pgjdbc sends them together), then 2 SELECTs, 2 UPDATEs, 1 INSERT, COMMIT.
-- Variables: -D nskus=100 (1 = hot SKU), -D outbox=0|1.
\set n random(0, :nskus - 1)
\set oid random(1, 4000000000000000000)
BEGIN;
-- Load the product and its batches (one row per batch; \aset keeps the version, equal on all rows).
SELECT p.version, b.reference, b.purchased_quantity, b.allocated_quantity, b.eta
FROM products p LEFT JOIN batches b ON b.sku = p.sku WHERE p.sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') \aset
-- Load the line itself (is it already allocated?) and the SKU's backorders.
SELECT orderid, qty, batchref, placed_version FROM order_lines WHERE orderid = 'pgb-' || :oid AND sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') UNION ALL SELECT orderid, qty, batchref, placed_version FROM order_lines WHERE sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') AND batchref IS NULL AND orderid <> 'pgb-' || :oid;
-- Compare-and-set on the version (the service throws a conflict and retries when 0 rows match).
UPDATE products SET version = :version + 1 WHERE sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0') AND version = :version;
-- The chosen batch (warehouse stock first). The service sends absolute values it computed in the
-- domain; `allocated_quantity + 1` writes the same row with the same cost.
UPDATE batches SET purchased_quantity = purchased_quantity, allocated_quantity = allocated_quantity + 1, eta = eta WHERE reference = 'BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W';
INSERT INTO order_lines (qty, batchref, placed_version, orderid, sku) VALUES (1, 'BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W', :version + 1, 'pgb-' || :oid, 'BENCH-SKU-' || lpad(:n::text, 3, '0'));
\if :outbox
-- The events branch adds a transactional outbox: one row per Allocated event, in the same
-- transaction. PLAUSIBLE SHAPE, NOT YET ALIGNED: when the outbox migration is merged, make this
-- statement match what the service really sends (log_statement = 'all', see bench/PROFILE.md).
-- bench/run turns it on (-D outbox=1) when the service's schema has a table named outbox.
INSERT INTO outbox (type, payload) VALUES ('Allocated', '{"orderid":"pgb-' || :oid || '","sku":"BENCH-SKU-' || lpad(:n::text, 3, '0') || '","qty":1,"batchref":"BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W"}');
\endif
COMMIT;

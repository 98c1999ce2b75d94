-- Ceiling (a): the SQL the service issues for one allocation (POST /allocate of a new line), one
-- allocation per transaction, READ COMMITTED, as sent by adapters/JdbcProductRepository +
-- JdbcUnitOfWork + JdbcOutbox for a group of one command. 6 round trips: BEGIN + the load (the
-- product, its batches with stock, the line; needs passed as arrays); UPDATE products; UPDATE
-- batches; INSERT order_lines; INSERT outbox; COMMIT. (The relay's reads and deletes of delivered
-- outbox rows run in batches in the background and are not part of this ceiling.)
-- Variables: -D nskus=100 (1 = hot SKU), -D outbox=0|1.
\set n random(0, :nskus - 1)
\set oid random(1, 4000000000000000000)
-- pgjdbc sends BEGIN in the same round trip as the first query: a pipeline does the same here.
\startpipeline
BEGIN;
-- Load the product, its batches with stock and the line itself (is it already allocated?): one
-- statement, one round trip (JdbcProductRepository.LOAD_FOR_ALLOCATIONS, with the arrays of one allocation).
SELECT 'b', p.sku, p.version, b.reference, b.purchased_quantity, b.allocated_quantity, b.eta, b.last_change_major, b.last_change_minor, CAST(NULL AS VARCHAR(255)) FROM products p LEFT JOIN batches b ON b.sku = p.sku AND b.has_stock WHERE p.sku = ANY(CAST(ARRAY['BENCH-SKU-' || lpad(:n::text, 3, '0')] AS VARCHAR ARRAY))
UNION ALL SELECT 'l', l.sku, l.placed_version, l.orderid, l.qty, 0, CAST(NULL AS DATE), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), l.batchref FROM order_lines l JOIN UNNEST(CAST(ARRAY['pgb-' || :oid] AS VARCHAR ARRAY), CAST(ARRAY['BENCH-SKU-' || lpad(:n::text, 3, '0')] AS VARCHAR ARRAY)) AS n (orderid, sku) ON l.orderid = n.orderid AND l.sku = n.sku;
\endpipeline
-- Compare-and-set on the version. The service sends "SET version = ? WHERE sku = ? AND version = ?"
-- with the version it read; pgbench cannot read a result inside a pipeline, so this writes the same
-- row through the same index with version + 1 (same cost; under contention it waits for the row
-- lock as the service's does, then succeeds where the service would see 0 rows and retry).
UPDATE products SET version = version + 1 WHERE sku = 'BENCH-SKU-' || lpad(:n::text, 3, '0');
-- The chosen batch (warehouse stock first). The service sends absolute values it computed in the
-- domain; `allocated_quantity + 1` writes the same row with the same cost.
UPDATE batches SET purchased_quantity = purchased_quantity, allocated_quantity = allocated_quantity + 1, eta = eta WHERE reference = 'BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W';
INSERT INTO order_lines (qty, batchref, placed_version, orderid, sku) VALUES (1, 'BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W', 0, 'pgb-' || :oid, 'BENCH-SKU-' || lpad(:n::text, 3, '0'));
\if :outbox
-- The transactional outbox: one row per destination (pub/sub and stream) of the Allocated event,
-- in the same transaction (JdbcOutbox, one JDBC batch: one round trip).
INSERT INTO outbox (message_id, destination, type, sku, product_version, occurred_at, payload)
SELECT m.id, d.destination, 'line_allocated', 'BENCH-SKU-' || lpad(:n::text, 3, '0'), 1, now(), '{"id":"00000000-0000-0000-0000-000000000000","type":"line_allocated","occurred_at":"2026-11-27T10:15:30.123456Z","version":1,"orderid":"pgb-' || :oid || '","sku":"BENCH-SKU-' || lpad(:n::text, 3, '0') || '","qty":1,"batchref":"BENCH-SKU-' || lpad(:n::text, 3, '0') || '-W"}'
FROM (SELECT gen_random_uuid() AS id) m, (VALUES ('pubsub'), ('stream')) AS d (destination);
\endif
COMMIT;

-- Ceiling (b) setup: the book's schema (Architecture Patterns with Python, chapters 2, 7 and 12:
-- orm.py and the allocations_view table), in a database of its own, with the same SKUs and batches
-- as the service's benchmark. The book declares no index beyond primary keys; the two indexes below
-- (batches by sku, allocations by batch) are added so the reference is not a strawman.
-- psql -v nskus=100 -v qty=1000000000
DROP TABLE IF EXISTS allocations_view, allocations, order_lines, batches, products;
CREATE TABLE products (sku VARCHAR(255) PRIMARY KEY, version_number INTEGER NOT NULL DEFAULT 0);
CREATE TABLE batches (
    id SERIAL PRIMARY KEY, reference VARCHAR(255), sku VARCHAR(255) REFERENCES products (sku),
    _purchased_quantity INTEGER NOT NULL, eta DATE);
CREATE TABLE order_lines (id SERIAL PRIMARY KEY, sku VARCHAR(255), qty INTEGER NOT NULL, orderid VARCHAR(255));
CREATE TABLE allocations (
    id SERIAL PRIMARY KEY, orderline_id INTEGER REFERENCES order_lines (id), batch_id INTEGER REFERENCES batches (id));
CREATE TABLE allocations_view (orderid VARCHAR(255), sku VARCHAR(255), batchref VARCHAR(255));
CREATE INDEX book_batches_by_sku ON batches (sku);
CREATE INDEX book_allocations_by_batch ON allocations (batch_id);

INSERT INTO products (sku, version_number)
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0'), 0 FROM generate_series(0, :nskus - 1) i;
INSERT INTO batches (reference, sku, _purchased_quantity, eta)
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-W', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, NULL
FROM generate_series(0, :nskus - 1) i
UNION ALL
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-S1', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, DATE '2030-01-01'
FROM generate_series(0, :nskus - 1) i
UNION ALL
SELECT 'BENCH-SKU-' || lpad(i::text, 3, '0') || '-S2', 'BENCH-SKU-' || lpad(i::text, 3, '0'), :qty, DATE '2030-02-01'
FROM generate_series(0, :nskus - 1) i WHERE i % 2 = 1;
ANALYZE;

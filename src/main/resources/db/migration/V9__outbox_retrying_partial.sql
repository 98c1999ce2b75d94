-- For each row it reads, the relay looks for a row of the same destination and SKU ahead of it that is
-- being retried (attempts > 0); such rows are few. On PostgreSQL the index holds only them (a partial
-- index), so the lookup reads next to nothing and the planner cannot prefer walking a SKU's whole
-- backlog instead: with the statistics of a freshly emptied table it did, and one relay round took 86 s
-- with 42,000 rows waiting. H2 has no partial indexes; there the index leads with attempts, as before.
-- ${retryingIndex} is the column list (and, on PostgreSQL, the WHERE clause). The lookup was the only
-- reader of outbox_by_sku, which goes: one index less to keep on every outbox insert and delete.
DROP INDEX outbox_retrying;
DROP INDEX outbox_by_sku;
CREATE INDEX outbox_retrying ON outbox ${retryingIndex};

-- Rows being retried (attempts > 0) are few; the relay looks for one ahead of each row it reads
-- (a row waits behind a retried row of its SKU). Indexed by attempts first, that lookup reads only
-- them, however long the backlog.
CREATE INDEX outbox_retrying ON outbox (attempts, destination, sku, id);

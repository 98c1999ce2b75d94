-- The API takes text of up to 255 characters, counted as PostgreSQL's VARCHAR(255) counts them:
-- code points. H2 counts UTF-16 units, two for a character beyond the BMP (an emoji), so on H2 the
-- columns that hold such text get twice the room: ${text} is VARCHAR(255) on PostgreSQL (unchanged)
-- and VARCHAR(510) on H2.
ALTER TABLE products ALTER COLUMN sku SET DATA TYPE ${text};
ALTER TABLE batches ALTER COLUMN reference SET DATA TYPE ${text};
ALTER TABLE batches ALTER COLUMN sku SET DATA TYPE ${text};
ALTER TABLE order_lines ALTER COLUMN orderid SET DATA TYPE ${text};
ALTER TABLE order_lines ALTER COLUMN sku SET DATA TYPE ${text};
ALTER TABLE order_lines ALTER COLUMN batchref SET DATA TYPE ${text};
ALTER TABLE outbox ALTER COLUMN sku SET DATA TYPE ${text};
ALTER TABLE outbox_parked ALTER COLUMN sku SET DATA TYPE ${text};
ALTER TABLE out_of_stock_emails ALTER COLUMN sku SET DATA TYPE ${text};

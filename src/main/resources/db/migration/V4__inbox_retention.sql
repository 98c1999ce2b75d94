-- The relay deletes handled message ids once they are older than the retention (see JdbcInbox).
CREATE INDEX inbox_by_handled_at ON inbox (handled_at);

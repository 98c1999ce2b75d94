-- The first entry of an order line's history, its allocation, kept on the line's own row while the
-- line stays as it was allocated: when it was allocated (the group's time) and where the command came
-- from (source and source_id, as in V14; the cause is always the order's own allocate). Allocating is
-- the most frequent change by far, and its entry on the row inserted anyway costs a few bytes instead
-- of a row, index entries and WAL of its own in order_line_history. The unit of work moves the entry
-- into order_line_history (JdbcLineHistory) just before the line changes or goes, so it is never lost;
-- GET /orders/{orderid}/history reads both. Columns NULL: no entry here (a line stored before V18,
-- one whose entry was moved, or one allocated and changed in the same group).
ALTER TABLE order_lines ADD COLUMN allocated_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE order_lines ADD COLUMN source VARCHAR(8);
ALTER TABLE order_lines ADD COLUMN source_id ${text};

-- One row that the readiness check updates (and commits) at most once a second, and start-up once: a
-- read, or a write rolled back, does not touch the disk, so only a committed write shows that the
-- store can take one (not full, not read-only, not closed).
CREATE TABLE storage_check (
    id INTEGER PRIMARY KEY,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO storage_check (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);

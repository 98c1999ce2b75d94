-- The ids of incoming messages already handled, each inserted in the same transaction as the
-- message's effect: a redelivered message finds its id here and changes nothing.
CREATE TABLE inbox (
    message_id VARCHAR(300) PRIMARY KEY,
    handled_at TIMESTAMP    NOT NULL
);

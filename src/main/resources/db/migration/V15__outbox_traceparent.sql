-- The W3C traceparent of the span that wrote the row (tracing on), for the relay to put on the Redis
-- message; NULL when tracing is off. Nullable with no default: adding it rewrites nothing.
ALTER TABLE outbox ADD COLUMN traceparent VARCHAR(55);

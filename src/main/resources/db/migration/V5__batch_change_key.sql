-- The ordering key of the last keyed quantity change applied to a batch (a stream entry id
-- major-minor, or a producer's seq as seq-0); NULL until one is applied. A change whose key is not
-- after it is superseded and not applied. Written with the batch under the product's version check.
ALTER TABLE batches ADD COLUMN last_change_major BIGINT;
ALTER TABLE batches ADD COLUMN last_change_minor BIGINT;

-- One schema for PostgreSQL and H2 (PostgreSQL mode).
-- A batch keeps its allocated quantity, so allocating never sums or loads a SKU's history.

CREATE TABLE products (
    sku     VARCHAR(255) PRIMARY KEY,
    version BIGINT       NOT NULL
);

CREATE TABLE batches (
    reference          VARCHAR(255) PRIMARY KEY,
    sku                VARCHAR(255) NOT NULL REFERENCES products (sku),
    purchased_quantity INTEGER      NOT NULL,
    allocated_quantity INTEGER      NOT NULL,
    eta                DATE,
    CONSTRAINT batch_quantities CHECK (allocated_quantity >= 0 AND allocated_quantity <= purchased_quantity)
);

CREATE INDEX batches_by_sku ON batches (sku);

-- A line is on a batch, or waiting for stock (batchref NULL: a backorder).
-- placed_version is the product version at which it was last placed.
CREATE TABLE order_lines (
    orderid        VARCHAR(255) NOT NULL,
    sku            VARCHAR(255) NOT NULL REFERENCES products (sku),
    qty            INTEGER      NOT NULL CHECK (qty > 0),
    batchref       VARCHAR(255) REFERENCES batches (reference),
    placed_version BIGINT       NOT NULL,
    PRIMARY KEY (orderid, sku)
);

CREATE INDEX order_lines_by_sku_batch ON order_lines (sku, batchref);

-- The console's overview reads a range of one time column per table and groups it by
-- bucket (store/sql/stats.rs): orders and refunds by creation, IPN attempts by their
-- start, and the outbox rows finished since the window began by their finish time
-- (the pending ones are read through outbox_due). The last index holds finished rows
-- only, so queuing an IPN writes nothing to it.

CREATE INDEX orders_created ON orders (created_at_ms);
CREATE INDEX refunds_created ON refunds (created_at_ms);
CREATE INDEX ipn_attempts_at ON ipn_attempts (at_ms);
CREATE INDEX outbox_finished ON outbox (finished_at_ms) WHERE finished_at_ms IS NOT NULL;

-- The console: admin tokens (only a SHA-256 of each is kept; the token itself is
-- printed once), the audit log of every action taken through the console, the
-- admin API or the operator's commands, and the timeline of each order's checkout
-- steps (what the order row alone cannot tell: when the customer chose a method,
-- a bank, submitted a card or an OTP).

CREATE TABLE admin_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE TABLE order_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    trans_id TEXT NOT NULL,
    at_ms    BIGINT NOT NULL,
    what     TEXT NOT NULL
);

CREATE INDEX order_events_trans ON order_events (trans_id, id);

-- The deliveries page: the IPNs not delivered (a small set: a row leaves it when it is
-- delivered), and each notify URL's last delivery (an entry per delivered row, written
-- once, when it is delivered). Partial, so queueing an IPN and its retries write to
-- neither.
CREATE INDEX outbox_undelivered ON outbox (partner_code, url) WHERE status <> 'delivered';
CREATE INDEX outbox_delivered_url ON outbox (partner_code, url, finished_at_ms) WHERE status = 'delivered';

-- The console's order search across partners reads orders by creation time
-- (orders_created, migration 13).

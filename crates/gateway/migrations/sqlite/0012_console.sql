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

-- The deliveries page: a partner's (and a notify URL's) IPNs that are not delivered,
-- and the last delivery to each URL.
CREATE INDEX outbox_partner_url ON outbox (partner_code, url, status);

-- The console's order search across partners reads orders by creation time
-- (orders_created, migration 13).

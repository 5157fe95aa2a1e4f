-- Partners, sub-accounts, orders, the IPN outbox and its delivery attempts.
-- Times are unix milliseconds; money is integer VND.

CREATE TABLE partners (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    api_key         TEXT NOT NULL,
    secret_enc      BLOB NOT NULL,
    locked          INTEGER NOT NULL DEFAULT 0,
    notify_failures INTEGER NOT NULL DEFAULT 0,
    amount_min      INTEGER NOT NULL,
    amount_max      INTEGER NOT NULL,
    created_at_ms   INTEGER NOT NULL
);

CREATE TABLE sub_accounts (
    id            TEXT PRIMARY KEY,
    partner_code  TEXT NOT NULL REFERENCES partners (code),
    owner         INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE orders (
    trans_id       TEXT PRIMARY KEY,
    partner_code   TEXT NOT NULL,
    order_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    bank_code      TEXT NOT NULL,
    amount         INTEGER NOT NULL,
    order_info     TEXT NOT NULL,
    client_ip      TEXT NOT NULL,
    notify_url     TEXT NOT NULL,
    redirect_url   TEXT NOT NULL,
    extra_data     TEXT NOT NULL,
    sub_account    TEXT,
    state          TEXT NOT NULL,
    error_code     INTEGER NOT NULL,
    card_number    TEXT,
    card_date      TEXT,
    card_name      TEXT,
    card_country   TEXT,
    qr_payload     TEXT,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    settled_at_ms  INTEGER,
    UNIQUE (partner_code, order_id)
);

CREATE INDEX orders_pending_expiry ON orders (expires_at_ms) WHERE state = 'pending';

CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    trans_id           TEXT NOT NULL,
    partner_code       TEXT NOT NULL,
    url                TEXT NOT NULL,
    body               TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms INTEGER NOT NULL,
    locked_until_ms    INTEGER NOT NULL DEFAULT 0,
    created_at_ms      INTEGER NOT NULL,
    finished_at_ms     INTEGER
);

CREATE INDEX outbox_due ON outbox (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX outbox_trans ON outbox (trans_id);

CREATE TABLE ipn_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id     INTEGER NOT NULL REFERENCES outbox (id),
    attempt       INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL,
    http_status   INTEGER,
    error         TEXT,
    latency_ms    INTEGER NOT NULL,
    response_head TEXT NOT NULL
);

CREATE INDEX ipn_attempts_outbox ON ipn_attempts (outbox_id);

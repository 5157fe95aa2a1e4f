-- Partners, sub-accounts, orders, the IPN outbox and its delivery attempts.
-- Times are unix milliseconds (BIGINT); money is integer VND (BIGINT). The tables and
-- columns mirror migrations/sqlite/0001_init.sql one for one, so that both backends
-- keep the same rows.

CREATE TABLE partners (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    api_key         TEXT NOT NULL,
    secret_enc      BYTEA NOT NULL,
    locked          BOOLEAN NOT NULL DEFAULT FALSE,
    notify_failures BOOLEAN NOT NULL DEFAULT FALSE,
    amount_min      BIGINT NOT NULL,
    amount_max      BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);

CREATE TABLE sub_accounts (
    id            TEXT PRIMARY KEY,
    partner_code  TEXT NOT NULL REFERENCES partners (code),
    owner         BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE orders (
    trans_id       TEXT PRIMARY KEY,
    partner_code   TEXT NOT NULL,
    order_id       TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payment_method TEXT NOT NULL,
    bank_code      TEXT NOT NULL,
    amount         BIGINT NOT NULL,
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
    created_at_ms  BIGINT NOT NULL,
    expires_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    settled_at_ms  BIGINT,
    -- Unique across every node: concurrent creations of one orderId on different
    -- nodes race on this index and exactly one wins.
    CONSTRAINT orders_partner_order_id UNIQUE (partner_code, order_id)
);

CREATE INDEX orders_pending_expiry ON orders (expires_at_ms) WHERE state = 'pending';

CREATE TABLE outbox (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trans_id           TEXT NOT NULL,
    partner_code       TEXT NOT NULL,
    url                TEXT NOT NULL,
    body               TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    -- A node's lease on the row: no other node claims it before this time.
    locked_until_ms    BIGINT NOT NULL DEFAULT 0,
    created_at_ms      BIGINT NOT NULL,
    finished_at_ms     BIGINT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at_ms) WHERE status = 'pending';
CREATE INDEX outbox_trans ON outbox (trans_id);

CREATE TABLE ipn_attempts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id     BIGINT NOT NULL REFERENCES outbox (id),
    attempt       INTEGER NOT NULL,
    at_ms         BIGINT NOT NULL,
    http_status   INTEGER,
    error         TEXT,
    latency_ms    BIGINT NOT NULL,
    response_head TEXT NOT NULL
);

CREATE INDEX ipn_attempts_outbox ON ipn_attempts (outbox_id);

-- Real QR payments from bank feeds: each partner's own collecting account, its bank
-- feeds (credentials sealed under the master key, like partner secrets), and every
-- transaction a feed reported, kept once per partner and provider transaction id with
-- its raw payload, whether it paid an order or not.

CREATE TABLE partner_accounts (
    partner_code  TEXT PRIMARY KEY REFERENCES partners (code),
    bin           TEXT NOT NULL,
    account       TEXT NOT NULL,
    name          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);

CREATE TABLE bank_feeds (
    id                   TEXT PRIMARY KEY,
    partner_code         TEXT NOT NULL REFERENCES partners (code),
    auth                 TEXT NOT NULL,
    secret_enc           BLOB NOT NULL,
    -- Reconciliation (polling the provider's transaction list): an empty token means
    -- the feed is not polled.
    api_token_enc        BLOB NOT NULL,
    api_url              TEXT,
    reconcile_every_ms   INTEGER,
    next_reconcile_at_ms INTEGER,
    created_at_ms        INTEGER NOT NULL
);

CREATE INDEX bank_feeds_partner ON bank_feeds (partner_code);

CREATE TABLE bank_credits (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_code   TEXT NOT NULL,
    provider       TEXT NOT NULL,
    -- NULL only for a body that could not be read.
    provider_tx_id TEXT,
    via            TEXT NOT NULL,
    account        TEXT NOT NULL,
    incoming       INTEGER NOT NULL,
    amount         INTEGER NOT NULL,
    content        TEXT NOT NULL,
    description    TEXT NOT NULL,
    reference      TEXT NOT NULL,
    booked_at      TEXT NOT NULL,
    raw            TEXT NOT NULL,
    status         TEXT NOT NULL,
    reason         TEXT,
    trans_id       TEXT,
    note           TEXT,
    received_at_ms INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    resolved_at_ms INTEGER,
    UNIQUE (partner_code, provider, provider_tx_id)
);

CREATE INDEX bank_credits_partner ON bank_credits (partner_code, status);
-- The same bank transfer reported through two feeds of one partner.
CREATE INDEX bank_credits_transfer ON bank_credits (partner_code, account, reference, amount);
CREATE INDEX bank_credits_received ON bank_credits (received_at_ms) WHERE status = 'received';

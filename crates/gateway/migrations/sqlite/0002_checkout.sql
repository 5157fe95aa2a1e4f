-- Hosted-checkout progress of an order, one row per order, so that any node can
-- serve the customer's next request: the method and bank the customer chose, the
-- card awaiting its OTP (masked to first 6 + last 4, never more) with the outcome the
-- issuer decided, the wrong OTPs so far, and when a payment the issuer keeps
-- "processing" is due to settle.

CREATE TABLE checkout_sessions (
    trans_id       TEXT PRIMARY KEY REFERENCES orders (trans_id),
    method         TEXT,
    bank_code      TEXT,
    card_number    TEXT,
    card_date      TEXT,
    card_name      TEXT,
    card_country   TEXT,
    card_bank      TEXT,
    card_outcome   INTEGER,
    otp_failures   INTEGER NOT NULL DEFAULT 0,
    process_due_ms INTEGER,
    updated_at_ms  INTEGER NOT NULL
);

CREATE INDEX checkout_process_due ON checkout_sessions (process_due_ms) WHERE process_due_ms IS NOT NULL;

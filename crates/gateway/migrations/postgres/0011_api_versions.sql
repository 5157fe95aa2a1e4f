-- API v1.1 and v2 beside v1.0: the version that created an order (it fixes the
-- format of the order's redirect and IPN), its action, the saved-card token it paid
-- with or saved, and which reading of the v1.1 create signature matched. Saved
-- cards keep the masked number only. A partner may be limited to some payment
-- methods and banks (v2 codes 140 and 141); empty lists allow everything.

ALTER TABLE orders ADD COLUMN api_version TEXT NOT NULL DEFAULT '1.0';
ALTER TABLE orders ADD COLUMN action TEXT NOT NULL DEFAULT 'PAY';
ALTER TABLE orders ADD COLUMN token TEXT;
ALTER TABLE orders ADD COLUMN signature_reading TEXT;

CREATE INDEX orders_partner_created ON orders (partner_code, created_at_ms);

CREATE TABLE card_tokens (
    token          TEXT PRIMARY KEY,
    partner_code   TEXT NOT NULL,
    trans_id       TEXT NOT NULL,
    card_number    TEXT NOT NULL,
    card_name      TEXT NOT NULL,
    card_date      TEXT NOT NULL,
    card_type      TEXT NOT NULL,
    bank_code      TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    deleted_at_ms  BIGINT
);

CREATE INDEX card_tokens_trans ON card_tokens (trans_id);

ALTER TABLE partners ADD COLUMN allowed_methods TEXT NOT NULL DEFAULT '';
ALTER TABLE partners ADD COLUMN allowed_banks TEXT NOT NULL DEFAULT '';

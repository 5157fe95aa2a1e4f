-- Idempotency keys (header Idempotency-Key on the partner API's POSTs), per partner.
-- A row is claimed by the first request with its key; while status is NULL that
-- request is running (until locked_until_ms, after which a retry may take the row
-- over: its request died). Then the answer is kept, byte for byte, for replays. The
-- sweeper deletes rows past expires_at_ms (24 hours after the first request).

CREATE TABLE idempotency_keys (
    partner_code    TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    claim_id        TEXT NOT NULL,
    locked_until_ms BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    status          INTEGER,
    content_type    TEXT,
    error_detail    TEXT,
    body            BLOB,
    PRIMARY KEY (partner_code, idem_key)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at_ms);

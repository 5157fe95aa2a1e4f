-- Refunds of successful transactions (spec §5.4). Times are unix milliseconds; money
-- is integer VND.
--
-- refund_id is the gateway's id (RF + 12 digits); refund_original_id is the partner's
-- refundId, unique per partner. due_at_ms is when the refund needs its next step
-- (pending: hand it to the bank; processing: the bank's answer is due); NULL once
-- final. seq gives lists a stable order among refunds created in the same millisecond.

CREATE TABLE refunds (
    seq                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refund_id          TEXT NOT NULL UNIQUE,
    partner_code       TEXT NOT NULL,
    refund_original_id TEXT NOT NULL,
    trans_id           TEXT NOT NULL REFERENCES orders (trans_id),
    amount             BIGINT NOT NULL CHECK (amount > 0),
    reason             TEXT NOT NULL,
    status             TEXT NOT NULL,
    created_at_ms      BIGINT NOT NULL,
    updated_at_ms      BIGINT NOT NULL,
    due_at_ms          BIGINT,
    UNIQUE (partner_code, refund_original_id)
);

CREATE INDEX refunds_trans ON refunds (trans_id);
CREATE INDEX refunds_partner_created ON refunds (partner_code, created_at_ms);
CREATE INDEX refunds_due ON refunds (due_at_ms) WHERE status IN ('pending', 'processing');

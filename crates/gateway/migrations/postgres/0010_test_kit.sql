-- The sandbox's merchant test kit: each sandbox partner's own test clock (how far it
-- was moved ahead of real time), and scripted faults of IPN delivery. An outbox row
-- can have its first attempts "lost" (recorded, not sent), as a network would.

CREATE TABLE sandbox_clocks (
    partner_code TEXT PRIMARY KEY,
    offset_ms    BIGINT NOT NULL
);

CREATE TABLE delivery_faults (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_code  TEXT NOT NULL,
    -- One order's IPNs; NULL: the partner's next orders.
    trans_id      TEXT,
    -- Next orders: how many more; NULL: until cleared.
    remaining     BIGINT,
    twice         BOOLEAN NOT NULL,
    delay_ms      BIGINT NOT NULL,
    lose_first    BOOLEAN NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE INDEX delivery_faults_partner ON delivery_faults (partner_code);

ALTER TABLE outbox ADD COLUMN lose_attempts INTEGER NOT NULL DEFAULT 0;

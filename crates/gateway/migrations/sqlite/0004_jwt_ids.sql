-- JWT ids already used, for the optional replay check (setting jwt_replay_check). A
-- row lives until its token can no longer verify (exp plus the leeway), then the
-- sweeper deletes it; an id whose row has expired may be used again.

CREATE TABLE jwt_ids (
    partner_code  TEXT NOT NULL,
    jti           TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    PRIMARY KEY (partner_code, jti)
);

CREATE INDEX jwt_ids_expiry ON jwt_ids (expires_at_ms);

-- Key rotation: a partner's previous API key and secret (sealed like the current
-- one), accepted beside the new ones until prev_until_ms, and used to sign
-- responses and IPNs until then. All NULL when no grace period runs.

ALTER TABLE partners ADD COLUMN prev_api_key TEXT;
ALTER TABLE partners ADD COLUMN prev_secret_enc BLOB;
ALTER TABLE partners ADD COLUMN prev_until_ms INTEGER;

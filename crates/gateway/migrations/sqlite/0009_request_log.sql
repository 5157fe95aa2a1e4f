-- The sandbox's request log: every partner API call (/api/v1/...), kept so that a
-- merchant can see what the gateway received and answered from any node and from
-- the command line (appotapay-gateway logs tail). Bounded per partner by count and
-- by age (sandbox_request_log_max, sandbox_request_log_ttl), trimmed at each insert.
-- No header is kept (the JWT travels in one); bodies are masked (card-like digit
-- runs keep their first 6 and last 4 digits) and cut. Production writes nothing here.

CREATE TABLE request_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_code   TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    method         TEXT NOT NULL,
    path           TEXT NOT NULL,
    query          TEXT,
    status         INTEGER NOT NULL,
    error_code     BIGINT,
    latency_us     BIGINT NOT NULL,
    request_body   TEXT NOT NULL,
    response_body  TEXT NOT NULL,
    signature_data TEXT,
    request_id     TEXT
);

CREATE INDEX request_log_partner ON request_log (partner_code, id);
CREATE INDEX request_log_age ON request_log (at_ms);

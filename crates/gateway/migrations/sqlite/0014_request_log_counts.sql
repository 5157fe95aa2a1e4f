-- Each partner's number of entries in the request log, kept by triggers on the log
-- itself (whoever inserts or deletes entries, and however), so that trimming a
-- partner to its newest sandbox_request_log_max entries deletes only what a batch
-- pushed past the bound instead of walking the newest entries to find where the
-- bound falls.

CREATE TABLE request_log_counts (
    partner_code TEXT PRIMARY KEY,
    entries      BIGINT NOT NULL
);

CREATE TRIGGER request_log_added AFTER INSERT ON request_log
BEGIN
    INSERT OR IGNORE INTO request_log_counts (partner_code, entries) VALUES (new.partner_code, 0);
    UPDATE request_log_counts SET entries = entries + 1 WHERE partner_code = new.partner_code;
END;

CREATE TRIGGER request_log_gone AFTER DELETE ON request_log
BEGIN
    UPDATE request_log_counts SET entries = entries - 1 WHERE partner_code = old.partner_code;
END;

INSERT INTO request_log_counts (partner_code, entries)
    SELECT partner_code, count(*) FROM request_log GROUP BY partner_code;

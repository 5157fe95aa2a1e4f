-- Each partner's number of entries in the request log, kept by triggers on the log
-- itself (whoever inserts or deletes entries, and however), so that trimming a
-- partner to its newest sandbox_request_log_max entries deletes only what a batch
-- pushed past the bound instead of walking the newest entries to find where the
-- bound falls.

CREATE TABLE request_log_counts (
    partner_code TEXT PRIMARY KEY,
    entries      BIGINT NOT NULL
);

CREATE FUNCTION request_log_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO request_log_counts (partner_code, entries)
        SELECT partner_code, count(*) FROM request_log_added GROUP BY partner_code
    ON CONFLICT (partner_code) DO UPDATE SET entries = request_log_counts.entries + excluded.entries;
    RETURN NULL;
END $$;

CREATE FUNCTION request_log_count_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE request_log_counts c SET entries = c.entries - g.n
        FROM (SELECT partner_code, count(*) AS n FROM request_log_gone GROUP BY partner_code) g
        WHERE c.partner_code = g.partner_code;
    RETURN NULL;
END $$;

-- Created before the counts are taken: from here on no entry is written or
-- deleted until this migration commits.
CREATE TRIGGER request_log_added AFTER INSERT ON request_log
    REFERENCING NEW TABLE AS request_log_added
    FOR EACH STATEMENT EXECUTE FUNCTION request_log_count_added();
CREATE TRIGGER request_log_gone AFTER DELETE ON request_log
    REFERENCING OLD TABLE AS request_log_gone
    FOR EACH STATEMENT EXECUTE FUNCTION request_log_count_gone();

INSERT INTO request_log_counts (partner_code, entries)
    SELECT partner_code, count(*) FROM request_log GROUP BY partner_code;

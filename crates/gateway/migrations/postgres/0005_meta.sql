-- Facts about the database itself, one value per key, each set once: the mode
-- ("sandbox" or "production") the gateway first started in, so that a gateway of the
-- other mode refuses to start on it.

CREATE TABLE gateway_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

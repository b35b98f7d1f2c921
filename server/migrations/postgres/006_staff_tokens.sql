-- PostgreSQL version of ../006_staff_tokens.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- Bearer tokens of the staff API tied to a staff account: a token acts with its account's role
-- (and its department), and stops working when the account is disabled. Only the SHA-256 of a
-- token is stored; the token itself is shown once, when it is made.
CREATE TABLE staff_tokens (
    token_hash   TEXT PRIMARY KEY,
    username     TEXT NOT NULL REFERENCES staff_accounts (username),
    label        TEXT,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX staff_tokens_by_user ON staff_tokens (username);

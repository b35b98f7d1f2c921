-- PostgreSQL version of ../005_staff_console.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- The staff console: accounts with roles, server-side sessions, internal notes on requests, and
-- the audit log. Times of sessions are Unix seconds (compared, never shown); the others are
-- RFC 3339 UTC text like the rest of the schema.

CREATE TABLE staff_accounts (
    username      TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('dispatcher', 'verifier', 'department', 'editor', 'admin')),
    -- The department of a department account; NULL for every other role.
    department_id TEXT,
    -- Argon2id, PHC string format (salt and parameters inside).
    password_hash TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((role = 'department') = (department_id IS NOT NULL))
);

-- A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a copy
-- of the database opens no session.
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES staff_accounts (username),
    -- The session's CSRF token, in every form it is shown.
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX staff_sessions_by_user ON staff_sessions (username);
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);

-- Notes staff leave on a request for each other: never in a public answer or the history.
CREATE TABLE staff_notes (
    request_id BIGINT NOT NULL REFERENCES open311_requests (id),
    seq        BIGINT NOT NULL,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- Who did what, to which request or account, when, from where.
CREATE TABLE staff_audit (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    username   TEXT NOT NULL,
    action     TEXT NOT NULL,
    request_id BIGINT,
    detail     TEXT,
    client     TEXT
);
CREATE INDEX staff_audit_by_request ON staff_audit (request_id, seq);

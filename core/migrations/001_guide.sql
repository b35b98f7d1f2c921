-- The procedures guide as the client keeps it. Documents are stored as the server's JSON so a newer
-- server's extra fields survive until the app learns them.
CREATE TABLE guide_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE departments (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE categories (
    id  TEXT PRIMARY KEY,
    doc TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE services (
    id          TEXT PRIMARY KEY,
    category_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    doc         TEXT NOT NULL
);

CREATE TABLE violations (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
);

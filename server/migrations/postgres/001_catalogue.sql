-- PostgreSQL version of ../001_catalogue.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- The catalogue as the municipality edits it. Every change stamps the row with the new catalogue
-- version; removals leave a tombstone so `?since=` deltas can tell clients what to delete.
CREATE TABLE catalogue_meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO catalogue_meta (key, value) VALUES ('version', 0);

CREATE TABLE departments (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE categories (id TEXT PRIMARY KEY, doc TEXT NOT NULL);

CREATE TABLE services (
    id      TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX services_by_version ON services (version);

CREATE TABLE violations (
    id      TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    doc     TEXT NOT NULL
);
CREATE INDEX violations_by_version ON violations (version);

CREATE TABLE tombstones (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (kind, id)
);

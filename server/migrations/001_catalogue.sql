-- The catalogue as the municipality edits it. Every change stamps the row with the new catalogue
-- version; removals leave a tombstone so `?since=` deltas can tell clients what to delete.
CREATE TABLE catalogue_meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO catalogue_meta (key, value) VALUES ('version', 0);

CREATE TABLE departments (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE categories (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;

CREATE TABLE services (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX services_by_version ON services (version);

CREATE TABLE violations (
    id      TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    doc     TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX violations_by_version ON violations (version);

CREATE TABLE tombstones (
    kind    TEXT NOT NULL,
    id      TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

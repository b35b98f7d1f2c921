-- Saved bill accounts and news.
--
-- A saved account keeps its last statement for offline use, and a salted SHA-256 of the
-- verification factor so the offline copy is shown only to someone who can type it again. The
-- factor itself is not stored: every online lookup asks for it.
CREATE TABLE bill_accounts (
    account       TEXT PRIMARY KEY,
    nickname      TEXT NOT NULL,
    verifier_salt BLOB NOT NULL,
    verifier_hash BLOB NOT NULL,
    statement     TEXT,               -- JSON of the last statement
    fetched_at    INTEGER,            -- unix ms
    saved_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- The latest news (at most 100), newest first by `published_at`.
CREATE TABLE news_items (
    id           TEXT PRIMARY KEY,
    published_at TEXT NOT NULL,
    doc          TEXT NOT NULL,
    read         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX news_by_date ON news_items (published_at DESC);

CREATE TABLE news_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

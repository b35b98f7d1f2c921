-- PostgreSQL version of ../003_bills_news.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- Bills and news.
--
-- Written, like 002, to port to PostgreSQL unchanged: no AUTOINCREMENT or rowid, dates and times
-- as fixed-width text (so text order is time order), JSON documents as TEXT.

-- A water / sewage / waste account. Personal data is kept to what the statement shows and what
-- verification needs: the holder's name masked as shown, and the verification factors as SHA-256
-- digests of their normalised form salted with the account number (server/src/bills/verify.rs).
CREATE TABLE bill_accounts (
    -- Eight ASCII digits.
    account            TEXT PRIMARY KEY,
    account_type       TEXT NOT NULL CHECK (account_type IN ('household', 'commercial')),
    holder_masked      TEXT NOT NULL,
    -- {"ar": ..., "en": ...}
    area               TEXT NOT NULL,
    -- Hex SHA-256 digests; NULL when the account has no such factor on record (never matches).
    phone_digest       TEXT,
    national_id_digest TEXT
);

-- One month's bill as the wire type `Bill` (JSON), newest period first when read.
CREATE TABLE bill_periods (
    account TEXT NOT NULL REFERENCES bill_accounts (account),
    -- YYYY-MM
    period  TEXT NOT NULL,
    doc     TEXT NOT NULL,
    PRIMARY KEY (account, period)
);

-- Payments received on an account, as the wire type `Payment` (JSON).
CREATE TABLE bill_payments (
    account TEXT NOT NULL REFERENCES bill_accounts (account),
    seq     BIGINT NOT NULL,
    -- YYYY-MM-DD
    paid_on TEXT NOT NULL,
    doc     TEXT NOT NULL,
    PRIMARY KEY (account, seq)
);

-- Municipality-wide texts of the statement ("how_to_pay": a JSON array of {"ar", "en"}).
CREATE TABLE bill_settings (
    key TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);

-- News items, sanitised on publication. Withdrawn items stay (withdrawn_at set) so an id is
-- never reused, but are never listed.
CREATE TABLE news_items (
    id           TEXT PRIMARY KEY,
    -- RFC 3339 UTC, seconds, `Z`: fixed width.
    published_at TEXT NOT NULL,
    -- The wire type `NewsItem` (JSON).
    doc          TEXT NOT NULL,
    withdrawn_at TEXT
);
CREATE INDEX news_items_by_time ON news_items (published_at, id);

-- `version` moves on every publication and withdrawal: it names the list in the ETag.
CREATE TABLE news_meta (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO news_meta (key, value) VALUES ('version', 0);

-- 012: request writes that run side by side (issue 14.5).
--
-- Request ids come from the database: on PostgreSQL an identity column (migration 012 there), on
-- SQLite the next id is taken inside the INSERT itself, under the file's one writer (the rowid
-- rule: one more than the largest). The public ids keep their shape: 1, 2, 3…
--
-- The clock of request changes: every creation or change of a request takes its stamp from this
-- one row (`UPDATE … RETURNING`), later than the last one taken. The row stays locked until the
-- change commits, so changes commit in the order of their stamps and a client that asks for
-- `updated_after` its last seen `updated_datetime` never misses a change committed after it
-- looked. Only request writes queue on it, only from their stamp to their commit.
CREATE TABLE open311_clock (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    -- Unix microseconds of the last stamp taken.
    micros BIGINT NOT NULL
);
-- From the latest stamp stored (fixed-width RFC 3339 text, microseconds from its 21st character).
INSERT INTO open311_clock (id, micros)
SELECT 1, COALESCE(CAST(strftime('%s', substr(MAX(updated_at), 1, 19)) AS INTEGER) * 1000000
                   + COALESCE(CAST(NULLIF(substr(MAX(updated_at), 21, 6), '') AS INTEGER), 0), 0)
FROM open311_requests;

-- The complaint categories' version: every change of open311_services bumps it, and the Open311
-- services list and definitions are serialised once per version (server/src/open311/state.rs).
INSERT INTO catalogue_meta (key, value) VALUES ('open311_version', 0);

-- The public list's commonest filter, one category and one status in a date range, newest first,
-- read in the index's order (and counted from the index alone).
CREATE INDEX open311_requests_by_service_status ON open311_requests (service_code, status, requested_at, id);

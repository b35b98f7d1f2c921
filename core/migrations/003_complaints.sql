-- Complaints and suggestions: the durable outbox and what the citizen has sent.
--
-- A complaint is written here (with its photos) in one transaction before anything touches the
-- network, with the idempotency key it will be sent under. It leaves `queued` only when the server
-- has answered: `sent` (with the server's id or token), or `needs_attention` with the server's
-- reason for refusing it. A crash or power cut at any point leaves it queued under the same key,
-- so the next flush resends it and an idempotent server answers with the same request.
CREATE TABLE complaints (
    local_id         TEXT PRIMARY KEY,            -- the tracking number shown at once
    seq              INTEGER NOT NULL UNIQUE,     -- sending order
    service_code     TEXT NOT NULL,
    draft            TEXT NOT NULL,               -- JSON: what the citizen wrote (photos apart)
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL,               -- queued | sent | needs_attention | cancelled
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- An attempt may have reached the server (it failed after connecting): from then on only the
    -- server can close it, and the citizen can no longer edit or cancel it.
    maybe_delivered  INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,  -- unix ms; 0 = now
    last_error       TEXT,
    server_id        TEXT,
    token            TEXT,
    status           TEXT,                        -- open | closed (Open311)
    detailed_status  TEXT,
    status_notes     TEXT,
    updated_datetime TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX complaints_by_state ON complaints (state, seq);

CREATE TABLE complaint_photos (
    local_id TEXT NOT NULL REFERENCES complaints (local_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    jpeg     BLOB NOT NULL,
    PRIMARY KEY (local_id, position)
) WITHOUT ROWID;

-- The history the server reports (or the core infers from status changes), oldest first.
CREATE TABLE complaint_updates (
    local_id         TEXT NOT NULL REFERENCES complaints (local_id) ON DELETE CASCADE,
    update_id        TEXT NOT NULL,
    position         INTEGER NOT NULL,            -- order of arrival
    status           TEXT NOT NULL,
    detailed_status  TEXT,
    description      TEXT NOT NULL,
    media_url        TEXT,
    updated_datetime TEXT NOT NULL,
    PRIMARY KEY (local_id, update_id)
) WITHOUT ROWID;

-- The Open311 categories and their definitions, cached for offline validation.
CREATE TABLE complaint_categories (
    code       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    definition TEXT
) WITHOUT ROWID;

CREATE TABLE complaint_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

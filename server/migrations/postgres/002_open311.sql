-- PostgreSQL version of ../002_open311.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- Open311 GeoReport v2: complaint and suggestion categories, requests with their history and
-- photos, tokens, and Idempotency-Key records.
--
-- Written to port to PostgreSQL unchanged but for BLOB (BYTEA here): ids are assigned by the
-- server inside the write transaction (no AUTOINCREMENT or rowid), times are RFC 3339 UTC text of
-- fixed width (so text order is time order), JSON documents are TEXT.

-- A category (Open311 "service"): its bilingual definition as a JSON document, and the columns
-- the server filters and computes on.
CREATE TABLE open311_services (
    service_code   TEXT PRIMARY KEY,
    position       BIGINT NOT NULL,
    group_id       TEXT NOT NULL,
    department_id  TEXT NOT NULL,
    expected_hours BIGINT NOT NULL,
    doc            TEXT NOT NULL
);

CREATE TABLE open311_requests (
    id              BIGINT PRIMARY KEY,
    token           TEXT NOT NULL UNIQUE,
    service_code    TEXT NOT NULL REFERENCES open311_services (service_code),
    status          TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    detailed_status TEXT NOT NULL CHECK (detailed_status IN
                        ('received', 'verified', 'routed', 'in_progress', 'fixed', 'rejected',
                         'duplicate', 'closed')),
    status_notes    TEXT,
    -- The department it is routed to; NULL until a dispatcher routes it.
    department_id   TEXT,
    source          TEXT NOT NULL,
    description     TEXT,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    address         TEXT,
    -- {"code": "value" | ["value", ...]} as validated against the service definition.
    attributes      TEXT NOT NULL,
    -- A media URL the client gave (photos uploaded with the request are in open311_media).
    media_url       TEXT,
    -- Personal data: seen by staff only, never by the public endpoints or in logs.
    email           TEXT,
    first_name      TEXT,
    last_name       TEXT,
    phone           TEXT,
    account_id      TEXT,
    device_id       TEXT,
    requested_at    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    expected_at     TEXT
);
CREATE INDEX open311_requests_by_requested ON open311_requests (requested_at);
CREATE INDEX open311_requests_by_updated ON open311_requests (updated_at);
CREATE INDEX open311_requests_by_department ON open311_requests (department_id, updated_at);

-- The history (servicerequestupdates), oldest first; the first row is "received".
CREATE TABLE open311_updates (
    request_id      BIGINT NOT NULL REFERENCES open311_requests (id),
    seq             BIGINT NOT NULL,
    action          TEXT NOT NULL,
    status          TEXT NOT NULL,
    detailed_status TEXT NOT NULL,
    -- The public note or reply; NULL shows the standard text of detailed_status.
    note            TEXT,
    department_id   TEXT,
    -- Who did it: "citizen", "dispatcher" or "department:<id>" (shown to staff only).
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- Photos sent with a request, served at /open311/v2/media/{id}.
CREATE TABLE open311_media (
    id           TEXT PRIMARY KEY,
    request_id   BIGINT NOT NULL REFERENCES open311_requests (id),
    position     BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    bytes        BYTEA NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX open311_media_by_request ON open311_media (request_id, position);

-- Idempotency-Key (IETF httpapi draft): the key, a hash of the request it came with, and the
-- response to replay. Kept at least 7 days; older rows are purged.
CREATE TABLE open311_idempotency (
    idem_key     TEXT PRIMARY KEY,
    body_hash    TEXT NOT NULL,
    request_id   BIGINT REFERENCES open311_requests (id),
    status       BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX open311_idempotency_by_age ON open311_idempotency (created_at);

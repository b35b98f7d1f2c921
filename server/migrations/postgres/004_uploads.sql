-- PostgreSQL version of ../004_uploads.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- Photos uploaded after their request, resumably (tus 1.0 core protocol with the creation
-- extension): one upload per request and position, its bytes stored as they arrive so an
-- interrupted upload continues from the last stored byte.
CREATE TABLE open311_uploads (
    -- 128 random bits as hex: the upload's URL, /open311/v2/uploads/{id}.
    id          TEXT PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES open311_requests (id),
    position    BIGINT NOT NULL,
    -- Upload-Length, and Upload-Offset: the bytes stored so far in open311_upload_chunks.
    length      BIGINT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    -- Set once the whole photo arrived and passed the photo checks (open311_media.id) ...
    media_id    TEXT,
    -- ... or the reason it was refused.
    refused     TEXT,
    -- Unix seconds; an unfinished upload untouched for a day is discarded.
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (request_id, position)
);
CREATE INDEX open311_uploads_by_update ON open311_uploads (updated_at);

-- The bytes of an unfinished upload, one row per piece stored, keyed by where the piece starts.
CREATE TABLE open311_upload_chunks (
    upload_id TEXT NOT NULL REFERENCES open311_uploads (id) ON DELETE CASCADE,
    start     BIGINT NOT NULL,
    bytes     BYTEA NOT NULL,
    PRIMARY KEY (upload_id, start)
);

-- PostgreSQL version of ../013_followers.sql: the same table and column; every integer is BIGINT.

-- 013: citizens who follow a request someone else reported (issue 15.3, "this is my problem too";
-- server/src/open311/follow.rs). Before filing, the app asks for open requests of the same
-- category within 50 m; a citizen who finds theirs follows it instead of filing it again, and
-- gets its updates (the app watches the request as it watches its own complaints).

-- One row per request and following app. `follower` is SHA-256 (hex) of the random id the app
-- made for itself at install: no account, no phone, nothing that names the citizen; the row only
-- makes following idempotent (the same app following twice counts once).
CREATE TABLE open311_followers (
    request_id  BIGINT NOT NULL REFERENCES open311_requests (id),
    follower    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (request_id, follower)
);

-- How many follow it, kept beside the request so a page of the list reads it with the request
-- (public, in the request's `followers` extension field, and shown to staff).
ALTER TABLE open311_requests ADD COLUMN followers BIGINT NOT NULL DEFAULT 0;

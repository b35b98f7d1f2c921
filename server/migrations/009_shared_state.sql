-- State that every server process on this database must share (issue 14): what used to live in
-- one process's memory and was forgotten by a restart.

-- Idempotency-Key claims of requests still arriving (server/src/open311/idempotency.rs): taken
-- before the body is read, released once the request and its stored response have committed. A
-- claim older than its time to live (body timeout + a margin) is stale and may be taken over, so a
-- process killed mid-request blocks its key for that long at most.
CREATE TABLE open311_idempotency_claims (
    idem_key   TEXT PRIMARY KEY,
    -- Random, per claim: only its holder releases it (not a successor that took a stale claim over).
    claim_id   TEXT NOT NULL,
    -- Unix milliseconds.
    claimed_at BIGINT NOT NULL
);

-- Failed bill verifications, per throttle scope ('pair': account and client address; 'account';
-- 'client') and key (server/src/bills/throttle.rs). One row per key, locked by every attempt's
-- transaction so that two processes counting the same key take turns.
CREATE TABLE bill_throttle_keys (
    scope        TEXT NOT NULL,
    throttle_key TEXT NOT NULL,
    -- Unix milliseconds of the last attempt (rows untouched for longer than the window are purged).
    touched_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, throttle_key)
);
CREATE INDEX bill_throttle_keys_by_age ON bill_throttle_keys (touched_at);

-- An attempt being verified ('attempt', since at_ms; it holds a place in the count until it ends,
-- or for a minute at most should its process die) or a failure ('failure', found at at_ms).
CREATE TABLE bill_throttle_events (
    id           INTEGER PRIMARY KEY,
    scope        TEXT NOT NULL,
    throttle_key TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('attempt', 'failure')),
    at_ms        BIGINT NOT NULL
);
CREATE INDEX bill_throttle_events_by_key ON bill_throttle_events (scope, throttle_key, at_ms);
CREATE INDEX bill_throttle_events_by_age ON bill_throttle_events (at_ms);

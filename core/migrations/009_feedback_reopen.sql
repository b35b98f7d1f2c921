-- 009: what the citizen says after a complaint is closed (issue 15.2): feedback (was it really
-- resolved: yes or no, 1 to 5 stars, a comment) and reopening it with a reason, within 14 days of
-- its closing. Written here in one transaction before anything touches the network, with the
-- idempotency key it will be sent under, and sent by the same outbox as complaints
-- (core/src/complaints/followup.rs): it leaves `queued` only when the server has answered, `sent`,
-- or `refused` with the server's reason. A crash or power cut at any point leaves it queued under
-- the same key, so the next flush sends it again and the server replays its first answer.
CREATE TABLE complaint_followups (
    id               INTEGER PRIMARY KEY,          -- sending order
    local_id         TEXT NOT NULL REFERENCES complaints (local_id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,                -- feedback | reopen
    -- The closing it is about (RFC 3339, from the complaint's history as the phone knew it).
    closed_datetime  TEXT NOT NULL,
    resolved         INTEGER,                      -- feedback: 1 yes, 0 no
    rating           INTEGER,                      -- feedback: 1 to 5 stars
    comment          TEXT,                         -- feedback, optional
    reason           TEXT,                         -- reopen
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL DEFAULT 'queued', -- queued | sent | refused
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL DEFAULT 0,   -- unix ms; 0 = now
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER
);
CREATE INDEX complaint_followups_by_state ON complaint_followups (state, id);
CREATE INDEX complaint_followups_by_complaint ON complaint_followups (local_id, id);

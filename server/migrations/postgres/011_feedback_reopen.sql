-- PostgreSQL version of ../011_feedback_reopen.sql: the same tables, columns, constraints and
-- indexes; every integer is BIGINT.

-- 011: the citizen's resolution feedback and reopening of a closed request (issue 15.2;
-- server/src/open311/followup.rs). Both belong to one closing of a request: the time it became
-- closed (the first history entry with status closed after its last open one), so a request
-- reopened and closed again can be rated again, and reopened once per closing.

-- "Was it really resolved?": yes or no, 1 to 5 stars, an optional comment. The category and the
-- department are copied at the time, for the staff dashboard's satisfaction per department and
-- category.
CREATE TABLE open311_feedback (
    request_id    BIGINT NOT NULL REFERENCES open311_requests (id),
    closed_at     TEXT NOT NULL,
    resolved      BIGINT NOT NULL CHECK (resolved IN (0, 1)),
    rating        BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comment       TEXT,
    service_code  TEXT NOT NULL,
    department_id TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (request_id, closed_at)
);
CREATE INDEX open311_feedback_by_created ON open311_feedback (created_at);

-- A closed request the citizen reopened (within 14 days of its closing), with the reason; the
-- request's history has the entry too.
CREATE TABLE open311_reopenings (
    request_id    BIGINT NOT NULL REFERENCES open311_requests (id),
    closed_at     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    service_code  TEXT NOT NULL,
    department_id TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (request_id, closed_at)
);
CREATE INDEX open311_reopenings_by_created ON open311_reopenings (created_at);

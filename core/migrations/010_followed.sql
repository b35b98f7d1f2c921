-- 010: requests someone else reported that the citizen follows ("this is my problem too", issue
-- 15.3; core/src/complaints/follow.rs). A followed request is a row of `complaints` in state
-- `sent` with the server's id, so the refresh watches it and announces its changes exactly as it
-- does the citizen's own; it has no token (it is not theirs to rate, reopen or add photos to).
ALTER TABLE complaints ADD COLUMN followed INTEGER NOT NULL DEFAULT 0;
-- The municipality has counted this app among the request's followers (followed rows only):
-- until then each refresh asks it to, so following works offline and is counted once.
ALTER TABLE complaints ADD COLUMN follow_sent INTEGER NOT NULL DEFAULT 0;
-- How many citizens follow the request, as the server last said (its `followers` extension).
ALTER TABLE complaints ADD COLUMN followers INTEGER;
-- The request's `updated_datetime` when it was followed (the server's clock, not the phone's):
-- its history up to then is no news to the follower, what came after is, even when the first
-- refresh only happens later (followed offline).
ALTER TABLE complaints ADD COLUMN followed_at TEXT;

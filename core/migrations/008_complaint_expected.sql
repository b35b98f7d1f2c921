-- When the municipality expects to have dealt with a complaint: the server's expected_datetime
-- (RFC 3339), learnt on the refresh after it was sent.
ALTER TABLE complaints ADD COLUMN expected_datetime TEXT;

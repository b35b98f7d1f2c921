-- Bytes per feature and calendar month (UTC), beside the totals since installation: a citizen's
-- data plan counts by the month.
CREATE TABLE data_usage_month (
    month          TEXT NOT NULL,      -- YYYY-MM
    feature        TEXT NOT NULL,      -- guide | complaints | bills | news
    bytes_sent     INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, feature)
) WITHOUT ROWID;

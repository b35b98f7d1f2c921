-- Bytes the app has moved per feature, for the settings screen: citizens pay for every megabyte.
CREATE TABLE data_usage (
    feature        TEXT PRIMARY KEY,   -- guide | complaints | bills | news
    bytes_sent     INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

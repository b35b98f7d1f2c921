-- PostgreSQL version of ../007_channel_intake.sql: the same tables, columns, constraints and indexes; every
-- integer is BIGINT (bound and read as i64 on both backends), BLOB is BYTEA, and a SQLite
-- INTEGER PRIMARY KEY (a rowid alias) is an identity column.

-- Messages that came in by WhatsApp or Messenger (server/src/channels/): not requests yet, but
-- intake items for the public-relations team, who make a request of one, attach it to an existing
-- request as an internal note, or dismiss it. Nothing here is ever in a public answer or a log.
--
-- An item is one conversation: the messages one sender sent on one channel while the item was
-- still new, each within the joining window of the one before (a text, then its photo, then its
-- location pin). Once the team acts on an item, the sender's next message starts a new one.

CREATE TABLE intake_items (
    id           BIGINT PRIMARY KEY,
    channel      TEXT NOT NULL CHECK (channel IN ('whatsapp', 'facebook')),
    -- Personal data: the WhatsApp number (wa_id) or the Messenger page-scoped id (PSID), and the
    -- profile name when the channel gives one.
    sender_id    TEXT NOT NULL,
    sender_name  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('new', 'request', 'attached', 'dismissed')),
    -- The request it was made into or attached to.
    request_id   BIGINT REFERENCES open311_requests (id),
    -- RFC 3339 UTC (fixed width): the first and the latest message's time.
    first_at     TEXT NOT NULL,
    last_at      TEXT NOT NULL,
    -- Who acted on it and when.
    handled_by   TEXT,
    handled_at   TEXT
);
CREATE INDEX intake_items_by_time ON intake_items (last_at);
CREATE INDEX intake_items_by_sender ON intake_items (channel, sender_id, last_at);

CREATE TABLE intake_messages (
    -- The channel's message id (WhatsApp `wamid.…`, Messenger `mid`): a redelivered webhook
    -- finds it here and adds nothing.
    message_id    TEXT NOT NULL,
    channel       TEXT NOT NULL,
    item_id       BIGINT NOT NULL REFERENCES intake_items (id),
    received_at   TEXT NOT NULL,
    -- text, image, location, or another kind the team should look at on the channel itself.
    kind          TEXT NOT NULL,
    text          TEXT,
    -- A WhatsApp media id (fetched from the Graph API later) or a Messenger attachment URL.
    media_ref     TEXT,
    media_type    TEXT,
    lat           DOUBLE PRECISION,
    lon           DOUBLE PRECISION,
    place         TEXT,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX intake_messages_by_item ON intake_messages (item_id, received_at);

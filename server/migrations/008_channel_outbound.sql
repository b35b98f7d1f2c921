-- Messages going out on WhatsApp or Messenger (server/src/channels/outbound.rs): replies and
-- status changes on requests that came by a channel, subscription confirmations, and important
-- news to subscribers. A durable queue: one row per message, written before anything is sent,
-- drained by one sender task with retries and backoff.

CREATE TABLE channel_outbound (
    id           INTEGER PRIMARY KEY,
    -- What the message is for, so that finding it again never queues it twice:
    -- 'update:<request id>:<history seq>', 'sub:<channel>:<message id>', 'news:<news id>:<channel>:<recipient>'.
    idem_key     TEXT NOT NULL UNIQUE,
    channel      TEXT NOT NULL CHECK (channel IN ('whatsapp', 'facebook')),
    -- Personal data: the WhatsApp number or the Messenger PSID. Never logged.
    recipient    TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('update', 'subscription', 'news')),
    request_id   BIGINT,
    language     TEXT NOT NULL DEFAULT 'ar',
    -- The free text (inside the 24-hour window) and the template's two parameters (outside it).
    body         TEXT NOT NULL,
    param1       TEXT NOT NULL DEFAULT '',
    param2       TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    -- RFC 3339 UTC (fixed width).
    next_at      TEXT NOT NULL,
    -- The channel said the window is closed: the next attempt is a template.
    use_template INTEGER NOT NULL DEFAULT 0,
    -- The last failure, without the recipient (an HTTP status and the Graph error code).
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    sent_as      TEXT
);
CREATE INDEX channel_outbound_due ON channel_outbound (state, next_at);

-- Who asked for the news (the keyword اشتراك / subscribe) and who stopped (إلغاء / stop). A row
-- with subscribed = 0 is kept so the number is never messaged news again.
CREATE TABLE channel_subscribers (
    channel      TEXT NOT NULL,
    sender_id    TEXT NOT NULL,
    subscribed   INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (channel, sender_id)
);

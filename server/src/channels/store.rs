//! Intake items: the messages that came by a channel, grouped into conversations, until the team
//! makes a request of one, attaches it to a request, or dismisses it.
//!
//! One item per conversation, not per message: a citizen on WhatsApp sends the text, then the
//! photo, then the location pin, each a message of its own; the team makes one request of the
//! three. A message joins the sender's newest item on the same channel when that item is still
//! `new` and its latest message is at most [`JOIN_WINDOW`] older; otherwise it starts a new item.
//! An item the team already acted on never changes under them.

use crate::sql::{params, Conn, OptionalExt, Row};
use chrono::{DateTime, Duration, Utc};

use super::parse::{tracking_number, Inbound};
use crate::error::ApiError;
use crate::open311::store::stamp;

/// How long after a sender's latest message their next one still joins the same item.
pub const JOIN_WINDOW: Duration = Duration::minutes(30);

pub const STATUSES: [&str; 4] = ["new", "request", "attached", "dismissed"];

/// Store `messages` received at `now`; returns how many were new (a message id seen before
/// adds nothing). One transaction for the whole notification.
pub fn take_in(conn: &Conn, messages: &[Inbound], now: DateTime<Utc>) -> Result<usize, ApiError> {
    let tx = conn.transaction()?;
    let mut new = 0;
    for m in messages {
        let channel = m.channel.source();
        let seen: bool = tx
            .prepare_cached("SELECT 1 FROM intake_messages WHERE channel = ?1 AND message_id = ?2")?
            .exists(params![channel, m.message_id])?;
        if seen {
            continue;
        }
        // The channel's time unless it is in the future or absurdly old; then the receipt time.
        let at = m.sent_at.filter(|t| *t <= now && *t > now - Duration::days(7)).unwrap_or(now);
        let at_text = stamp(at);
        let since = stamp(at - JOIN_WINDOW);
        let open: Option<(i64, String)> = tx
            .prepare_cached(
                "SELECT id, last_at FROM intake_items WHERE channel = ?1 AND sender_id = ?2 AND status = 'new'
                 AND last_at >= ?3 ORDER BY last_at DESC, id DESC LIMIT 1",
            )?
            .query_row(params![channel, m.sender_id, since], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let item = match open {
            Some((id, last)) => {
                let last = if at_text > last { at_text.clone() } else { last };
                tx.execute(
                    "UPDATE intake_items SET last_at = ?2, sender_name = COALESCE(?3, sender_name) WHERE id = ?1",
                    params![id, last, m.sender_name],
                )?;
                id
            }
            None => {
                let id: i64 =
                    tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM intake_items", (), |r| r.get(0))?;
                tx.execute(
                    "INSERT INTO intake_items (id, channel, sender_id, sender_name, status, first_at, last_at)
                     VALUES (?1, ?2, ?3, ?4, 'new', ?5, ?5)",
                    params![id, channel, m.sender_id, m.sender_name, at_text],
                )?;
                id
            }
        };
        tx.execute(
            "INSERT INTO intake_messages (message_id, channel, item_id, received_at, kind, text, media_ref,
             media_type, lat, lon, place) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                m.message_id,
                channel,
                item,
                at_text,
                m.kind,
                m.text,
                m.media_ref,
                m.media_type,
                m.location.map(|l| l.0),
                m.location.map(|l| l.1),
                m.place
            ],
        )?;
        new += 1;
    }
    tx.commit()?;
    Ok(new)
}

/// An item for the console (staff only: it carries the sender).
#[derive(Debug, Clone)]
pub struct Item {
    pub id: i64,
    pub channel: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub status: String,
    pub request_id: Option<i64>,
    pub first_at: String,
    pub last_at: String,
    pub handled_by: Option<String>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub received_at: String,
    pub kind: String,
    pub text: Option<String>,
    pub media_ref: Option<String>,
    pub media_type: Option<String>,
    pub location: Option<(f64, f64)>,
    pub place: Option<String>,
}

impl Item {
    /// The texts and captions, in order, one a line.
    pub fn text(&self) -> String {
        self.messages.iter().filter_map(|m| m.text.as_deref()).collect::<Vec<_>>().join("\n")
    }

    /// The last location the sender shared.
    pub fn location(&self) -> Option<(f64, f64)> {
        self.messages.iter().rev().find_map(|m| m.location)
    }

    pub fn place(&self) -> Option<&str> {
        self.messages.iter().rev().find_map(|m| m.place.as_deref())
    }

    /// A tracking number quoted in any message.
    pub fn tracking_number(&self) -> Option<String> {
        self.messages.iter().filter_map(|m| m.text.as_deref()).find_map(tracking_number)
    }

    /// Everything the sender sent, as an internal note: texts, media references, locations.
    pub fn as_note(&self) -> String {
        let mut lines = vec![format!("[{} #{}]", self.channel, self.id)];
        for m in &self.messages {
            let mut line = format!("{} ({})", m.received_at.get(..16).unwrap_or(&m.received_at), m.kind);
            if let Some(t) = &m.text {
                line.push_str(&format!(": {t}"));
            }
            if let Some(r) = &m.media_ref {
                line.push_str(&format!(" [media {}: {r}]", m.media_type.as_deref().unwrap_or("?")));
            }
            if let Some((lat, lon)) = m.location {
                line.push_str(&format!(" [location {lat:.6}, {lon:.6}]"));
            }
            if let Some(p) = &m.place {
                line.push_str(&format!(" {p}"));
            }
            lines.push(line);
        }
        lines.join("\n")
    }
}

fn item_row(r: &Row<'_>) -> crate::sql::Result<Item> {
    Ok(Item {
        id: r.get(0)?,
        channel: r.get(1)?,
        sender_id: r.get(2)?,
        sender_name: r.get(3)?,
        status: r.get(4)?,
        request_id: r.get(5)?,
        first_at: r.get(6)?,
        last_at: r.get(7)?,
        handled_by: r.get(8)?,
        messages: Vec::new(),
    })
}

const ITEM_COLUMNS: &str =
    "id, channel, sender_id, sender_name, status, request_id, first_at, last_at, handled_by";

fn with_messages(conn: &Conn, mut item: Item) -> Result<Item, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT received_at, kind, text, media_ref, media_type, lat, lon, place FROM intake_messages
         WHERE item_id = ?1 ORDER BY received_at, message_id",
    )?;
    item.messages = stmt
        .query_map([item.id], |r| {
            let (lat, lon): (Option<f64>, Option<f64>) = (r.get(5)?, r.get(6)?);
            Ok(Message {
                received_at: r.get(0)?,
                kind: r.get(1)?,
                text: r.get(2)?,
                media_ref: r.get(3)?,
                media_type: r.get(4)?,
                location: lat.zip(lon),
                place: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(item)
}

/// Items, newest first, optionally of one channel and one status; `limit` of them after skipping
/// `offset`.
pub fn list(
    conn: &Conn,
    channel: Option<&str>,
    status: Option<&str>,
    limit: u32,
    offset: u32,
) -> Result<Vec<Item>, ApiError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM intake_items WHERE (CAST(?1 AS TEXT) IS NULL OR channel = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
         ORDER BY last_at DESC, id DESC LIMIT ?3 OFFSET ?4"
    );
    let items: Vec<Item> = conn
        .prepare_cached(&sql)?
        .query_map(params![channel, status, limit, offset], item_row)?
        .collect::<Result<_, _>>()?;
    items.into_iter().map(|i| with_messages(conn, i)).collect()
}

pub fn get(conn: &Conn, id: i64) -> Result<Option<Item>, ApiError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM intake_items WHERE id = ?1");
    match conn.prepare_cached(&sql)?.query_row([id], item_row).optional()? {
        Some(i) => Ok(Some(with_messages(conn, i)?)),
        None => Ok(None),
    }
}

/// Mark an item handled (`request`, `attached` or `dismissed`), only if it is still `new`;
/// false when someone else acted on it first.
pub fn settle(
    conn: &Conn,
    id: i64,
    status: &str,
    request_id: Option<i64>,
    by: &str,
) -> Result<bool, ApiError> {
    let n = conn.execute(
        "UPDATE intake_items SET status = ?2, request_id = ?3, handled_by = ?4, handled_at = ?5
         WHERE id = ?1 AND status = 'new'",
        params![id, status, request_id, by, stamp(Utc::now())],
    )?;
    Ok(n == 1)
}

/// Messenger senders of items still `new` whose name is not known yet (page-scoped ids), at most
/// `limit`, most recent first.
pub fn unnamed_messenger_senders(conn: &Conn, limit: u32) -> Result<Vec<String>, ApiError> {
    let ids = conn
        .prepare_cached(
            "SELECT sender_id FROM intake_items
             WHERE channel = 'facebook' AND status = 'new' AND sender_name IS NULL AND sender_id <> ''
             GROUP BY sender_id ORDER BY MAX(last_at) DESC LIMIT ?1",
        )?
        .query_map([limit], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(ids)
}

/// The name of a Messenger sender, on every item of theirs that has none yet.
pub fn name_messenger_sender(conn: &Conn, sender_id: &str, name: &str) -> Result<usize, ApiError> {
    Ok(conn.execute(
        "UPDATE intake_items SET sender_name = ?2
         WHERE channel = 'facebook' AND sender_id = ?1 AND sender_name IS NULL",
        params![sender_id, name],
    )?)
}

/// Erase what items whose latest message is older than `before` hold about their sender: their
/// messages, the sender's id and name. The item row stays (its id is never reused, the audit log
/// and a request's note still name it); one still `new` becomes `dismissed` by `retention`.
/// Returns how many items were erased. (The channels redeliver for days, not months, so a message
/// id forgotten here does not come back.)
pub fn purge(conn: &Conn, before: DateTime<Utc>) -> Result<usize, ApiError> {
    let before = stamp(before);
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM intake_messages WHERE item_id IN
         (SELECT id FROM intake_items WHERE last_at < ?1 AND sender_id <> '')",
        [&before],
    )?;
    tx.execute(
        "UPDATE intake_items SET status = 'dismissed', handled_by = 'retention', handled_at = ?2
         WHERE last_at < ?1 AND sender_id <> '' AND status = 'new'",
        params![before, stamp(Utc::now())],
    )?;
    let n = tx.execute(
        "UPDATE intake_items SET sender_id = '', sender_name = NULL WHERE last_at < ?1 AND sender_id <> ''",
        [&before],
    )?;
    tx.commit()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::channels::Channel;

    fn message(id: &str, sender: &str, text: &str) -> Inbound {
        Inbound {
            channel: Channel::WhatsApp,
            message_id: id.into(),
            sender_id: sender.into(),
            sender_name: Some("Name".into()),
            sent_at: None,
            kind: "text".into(),
            text: Some(text.into()),
            media_ref: None,
            media_type: None,
            location: None,
            place: None,
        }
    }

    #[test]
    fn messages_join_a_new_item_within_the_window_and_old_items_are_erased() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        db.with(|c| {
            assert_eq!(take_in(c, &[message("a", "970599000001", "one")], t0).unwrap(), 1);
            // 20 minutes later: the same item; another sender: an item of their own.
            let t1 = t0 + Duration::minutes(20);
            assert_eq!(
                take_in(c, &[message("b", "970599000001", "two"), message("c", "970599000002", "x")], t1)
                    .unwrap(),
                2
            );
            // Redelivered: nothing.
            assert_eq!(take_in(c, &[message("a", "970599000001", "one")], t1).unwrap(), 0);
            // 31 minutes after the latest: a new item.
            let t2 = t1 + Duration::minutes(31);
            take_in(c, &[message("d", "970599000001", "three")], t2).unwrap();
            let first = get(c, 1).unwrap().unwrap();
            assert_eq!(first.text(), "one\ntwo");
            assert_eq!(get(c, 3).unwrap().unwrap().text(), "three");
            // Handled: the sender's next message does not join it.
            assert!(settle(c, 3, "dismissed", None, "dispatcher:d").unwrap());
            assert!(!settle(c, 3, "request", Some(1), "dispatcher:d").unwrap(), "only once");
            take_in(c, &[message("e", "970599000001", "four")], t2 + Duration::minutes(1)).unwrap();
            assert_eq!(get(c, 4).unwrap().unwrap().text(), "four");

            // Past retention: messages and sender gone, ids kept, the unanswered one dismissed.
            assert_eq!(purge(c, t2).unwrap(), 2, "items 1 and 2");
            let erased = get(c, 1).unwrap().unwrap();
            assert!(
                erased.messages.is_empty() && erased.sender_id.is_empty() && erased.sender_name.is_none()
            );
            assert_eq!(
                (erased.status.as_str(), erased.handled_by.as_deref()),
                ("dismissed", Some("retention"))
            );
            assert_eq!(get(c, 4).unwrap().unwrap().sender_id, "970599000001", "recent items stay");
            assert_eq!(purge(c, t2).unwrap(), 0, "once");
            // A new item never takes an erased one's id.
            take_in(c, &[message("f", "970599000009", "five")], t2 + Duration::hours(2)).unwrap();
            assert!(get(c, 5).unwrap().is_some());
        });
    }

    #[test]
    fn the_list_pages_newest_first_without_gaps_or_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::Db::open(dir.path()).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 10, 0, 0).unwrap();
        db.with(|c| {
            for i in 0..7 {
                let m = message(&format!("m{i}"), &format!("97059900010{i}"), "x");
                take_in(c, &[m], t0 + Duration::minutes(i)).unwrap();
            }
            let ids =
                |offset| list(c, None, None, 3, offset).unwrap().iter().map(|i| i.id).collect::<Vec<_>>();
            assert_eq!(ids(0), [7, 6, 5]);
            assert_eq!(ids(3), [4, 3, 2]);
            assert_eq!(ids(6), [1]);
            assert!(ids(9).is_empty());
            assert_eq!(list(c, Some("facebook"), None, 3, 0).unwrap().len(), 0);
        });
    }
}

//! The channels' notification bodies, read as their documentation describes them, into
//! [`Inbound`] messages. Unknown fields are ignored; a message without an id or a sender is
//! skipped (it could not be kept idempotently).
//!
//! WhatsApp Cloud API: `{"object": "whatsapp_business_account", "entry": [{"id", "changes":
//! [{"field": "messages", "value": {"messaging_product": "whatsapp", "metadata", "contacts":
//! [{"wa_id", "profile": {"name"}}], "messages": [{"from", "id", "timestamp" (Unix seconds, a
//! string), "type", "text": {"body"} | "image": {"id", "mime_type", "sha256", "caption"} |
//! "location": {"latitude", "longitude", "name", "address"}}]}}]}]}`; `statuses` are ignored.
//!
//! Messenger Platform: `{"object": "page", "entry": [{"id", "time", "messaging": [{"sender":
//! {"id": PSID}, "recipient": {"id": PAGE_ID}, "timestamp" (Unix milliseconds), "message":
//! {"mid", "text", "is_echo", "attachments": [{"type": "image" | …, "payload": {"url"}} |
//! {"type": "location", "payload": {"coordinates": {"lat", "long"}}}]}}]}]}`; echoes of the
//! page's own messages and other events (deliveries, reads) are ignored.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::Channel;

/// One message from a citizen.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub channel: Channel,
    pub message_id: String,
    pub sender_id: String,
    pub sender_name: Option<String>,
    /// When the channel says it was sent (the time of receipt if it says nothing usable).
    pub sent_at: Option<DateTime<Utc>>,
    pub kind: String,
    pub text: Option<String>,
    pub media_ref: Option<String>,
    pub media_type: Option<String>,
    pub location: Option<(f64, f64)>,
    pub place: Option<String>,
}

const MAX_ID: usize = 256;
const MAX_TEXT: usize = 4096;

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn short(v: Option<&str>, max: usize) -> Option<String> {
    let v = crate::text::clean(v?.trim());
    if v.is_empty() {
        return None;
    }
    Some(v.chars().take(max).collect())
}

fn coords(lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    match (lat, lon) {
        (Some(a), Some(o)) if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => Some((a, o)),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// The messages of a notification body; `Err` when it is not the channel's JSON at all.
pub fn messages(channel: Channel, body: &[u8]) -> Result<Vec<Inbound>, &'static str> {
    let v: Value = serde_json::from_slice(body).map_err(|_| "not JSON")?;
    match channel {
        Channel::WhatsApp => whatsapp(&v),
        Channel::Messenger => messenger(&v),
    }
}

fn whatsapp(v: &Value) -> Result<Vec<Inbound>, &'static str> {
    if s(v, &["object"]) != Some("whatsapp_business_account") {
        return Err("not a WhatsApp Business Account notification");
    }
    let mut out = Vec::new();
    for entry in array(v, "entry") {
        for change in array(entry, "changes") {
            if s(change, &["field"]) != Some("messages") {
                continue;
            }
            let Some(value) = change.get("value") else { continue };
            let contacts = array(value, "contacts");
            for m in array(value, "messages") {
                let (Some(id), Some(from)) = (short(s(m, &["id"]), MAX_ID), short(s(m, &["from"]), MAX_ID))
                else {
                    continue;
                };
                let name = contacts
                    .iter()
                    .find(|c| s(c, &["wa_id"]) == Some(from.as_str()))
                    .or_else(|| (contacts.len() == 1).then(|| &contacts[0]))
                    .and_then(|c| short(s(c, &["profile", "name"]), 200));
                let sent_at = s(m, &["timestamp"])
                    .and_then(|t| t.parse::<i64>().ok())
                    .and_then(|t| Utc.timestamp_opt(t, 0).single());
                let kind = short(s(m, &["type"]), 32).unwrap_or_else(|| "unknown".into());
                let mut msg = Inbound {
                    channel: Channel::WhatsApp,
                    message_id: id,
                    sender_id: from,
                    sender_name: name,
                    sent_at,
                    kind: kind.clone(),
                    text: None,
                    media_ref: None,
                    media_type: None,
                    location: None,
                    place: None,
                };
                match kind.as_str() {
                    "text" => msg.text = short(s(m, &["text", "body"]), MAX_TEXT),
                    "image" | "video" | "audio" | "document" | "sticker" => {
                        let media = &m[kind.as_str()];
                        msg.media_ref = short(s(media, &["id"]), MAX_ID);
                        msg.media_type = short(s(media, &["mime_type"]), 100);
                        msg.text = short(s(media, &["caption"]), MAX_TEXT);
                    }
                    "location" => {
                        let l = &m["location"];
                        msg.location = coords(number(l.get("latitude")), number(l.get("longitude")));
                        let place = [s(l, &["name"]), s(l, &["address"])]
                            .into_iter()
                            .flatten()
                            .filter(|p| !p.trim().is_empty())
                            .collect::<Vec<_>>()
                            .join(", ");
                        msg.place = short(Some(&place), 500);
                    }
                    _ => {}
                }
                out.push(msg);
            }
        }
    }
    Ok(out)
}

fn messenger(v: &Value) -> Result<Vec<Inbound>, &'static str> {
    if s(v, &["object"]) != Some("page") {
        return Err("not a page notification");
    }
    let mut out = Vec::new();
    for entry in array(v, "entry") {
        for event in array(entry, "messaging") {
            let Some(m) = event.get("message") else { continue };
            if m.get("is_echo").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let (Some(id), Some(from)) =
                (short(s(m, &["mid"]), MAX_ID), short(s(event, &["sender", "id"]), MAX_ID))
            else {
                continue;
            };
            let sent_at = event
                .get("timestamp")
                .and_then(Value::as_i64)
                .and_then(|t| Utc.timestamp_millis_opt(t).single());
            let mut msg = Inbound {
                channel: Channel::Messenger,
                message_id: id,
                sender_id: from,
                sender_name: None,
                sent_at,
                kind: "text".into(),
                text: short(s(m, &["text"]), MAX_TEXT),
                media_ref: None,
                media_type: None,
                location: None,
                place: None,
            };
            // One message carries at most the first image and the first location the citizen
            // attached; further attachments are named in the kind for the team to open on the page.
            let mut kinds = Vec::new();
            for a in array(m, "attachments") {
                let kind = s(a, &["type"]).unwrap_or("unknown");
                kinds.push(kind.to_owned());
                let payload = &a["payload"];
                if kind == "location" && msg.location.is_none() {
                    msg.location = coords(
                        number(payload.get("coordinates").and_then(|c| c.get("lat"))),
                        number(payload.get("coordinates").and_then(|c| c.get("long"))),
                    );
                } else if msg.media_ref.is_none() && kind != "location" {
                    msg.media_ref = short(s(payload, &["url"]), 2048);
                    msg.media_type = Some(kind.chars().take(32).collect());
                }
            }
            if !kinds.is_empty() {
                msg.kind = kinds.join("+").chars().take(64).collect();
            }
            out.push(msg);
        }
    }
    Ok(out)
}

/// A tracking number quoted in a message: the app's `BL-XXXX-XXXX` (Crockford's base32) or a
/// server request id written `#123` or `رقم 123`/`no. 123`. The first one found.
pub fn tracking_number(text: &str) -> Option<String> {
    const CROCKFORD: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let upper = text.to_uppercase();
    let chars: Vec<char> = upper.chars().collect();
    for i in 0..chars.len() {
        let window: String = chars.iter().skip(i).take(12).collect();
        if window.is_ascii()
            && window.len() == 12
            && window.starts_with("BL-")
            && window.as_bytes()[7] == b'-'
        {
            let body: String = window[3..7].chars().chain(window[8..12].chars()).collect();
            let before_ok = i == 0 || !chars[i - 1].is_alphanumeric();
            let after_ok = chars.get(i + 12).is_none_or(|c| !c.is_alphanumeric());
            if before_ok && after_ok && body.chars().all(|c| CROCKFORD.contains(c)) {
                return Some(window);
            }
        }
    }
    let lower = text.to_lowercase();
    for marker in ["#", "رقم ", "رقم:", "no. ", "no.", "request "] {
        let mut rest = lower.as_str();
        while let Some(at) = rest.find(marker) {
            let after = &rest[at + marker.len()..];
            let digits: String =
                after.trim_start().chars().take_while(|c| c.is_ascii_digit()).take(19).collect();
            if !digits.is_empty() && digits.len() <= 12 {
                return Some(digits);
            }
            rest = after;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::tracking_number;

    #[test]
    fn tracking_numbers_are_found_in_text() {
        assert_eq!(tracking_number("بخصوص البلاغ bl-7k3m-q9xz شكرا").as_deref(), Some("BL-7K3M-Q9XZ"));
        assert_eq!(tracking_number("البلاغ رقم 42 لم يحل").as_deref(), Some("42"));
        assert_eq!(tracking_number("see #17").as_deref(), Some("17"));
        assert_eq!(tracking_number("call me on 0599123456"), None);
        assert_eq!(tracking_number("BL-IIII-OOOO"), None);
        assert_eq!(tracking_number("xBL-7K3M-Q9XZ"), None);
    }
}

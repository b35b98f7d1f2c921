//! What goes beyond GeoReport v2, and to whom.
//!
//! Strict GeoReport v2 servers (as widely deployed) refuse with 400 any query parameter or form
//! field the spec does not define: `locale=` on `services.json` ("found unexpected entries:
//! locale") leaves the app without categories, `updated_after=` on `requests.json` without
//! refreshes. So the client sends **only the spec's fields to any server** except the
//! municipality's own, which is recognised by configuration: its Open311 endpoint lies under the
//! municipal API's URL (what `Config::new` sets up; see [`super::Open311Client::with_municipal_server`]).
//! No network is needed to tell, and a foreign server never sees an extension, not even once.
//!
//! Should the own server (an older deployment, a proxy that filters) still refuse an extension
//! with a 400 (or 422) whose description names it, the request is sent once more without every
//! extension named, and those are never sent to that endpoint again: the client remembers them,
//! and the complaints layer keeps them in the store (`complaint_meta`, keyed by the endpoint) so a
//! restarted app does not pay the refused round trip again on 2G.
//!
//! The spec's fields, from the GeoReport v2 specification (wiki.open311.org/GeoReport_v2):
//! - `GET services`, `GET services/{code}`, `GET requests/{id}`, `GET tokens/{token}`:
//!   `jurisdiction_id`;
//! - `GET requests`: `jurisdiction_id`, `service_request_id` (a comma list that overrides the
//!   others), `service_code`, `start_date`, `end_date`, `status`;
//! - `POST requests`: `api_key`, `jurisdiction_id`, `service_code`, `lat`, `long`,
//!   `address_string`, `address_id`, `email`, `device_id`, `account_id`, `first_name`,
//!   `last_name`, `phone`, `description`, `media_url`, `attribute[code]` (and `attribute[code][]`
//!   for a multi-value list).
//!
//! Photos as multipart `media` parts are not in the spec either, but they are the media extension
//! documented beside it and the only way a plain server takes a photo; they go only where the
//! server does not take our resumable uploads.

use std::collections::BTreeSet;

use serde_json::Value;

use super::lenient::{list, text};
use crate::api::RawResponse;

/// Query parameters GeoReport v2 defines on its GETs.
const SPEC_QUERY: &[&str] =
    &["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"];

/// Form fields GeoReport v2 defines for `POST requests` (besides `attribute[…]`).
const SPEC_POST: &[&str] = &[
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

/// Which list of spec fields a request is held to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Query,
    Post,
}

impl Kind {
    /// The spec defines this field for this kind of request.
    pub fn is_spec(self, name: &str) -> bool {
        match self {
            Kind::Query => SPEC_QUERY.contains(&name),
            Kind::Post => SPEC_POST.contains(&name) || is_attribute(name),
        }
    }
}

/// `attribute[code]` or `attribute[code][]`, with a non-empty code.
fn is_attribute(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("attribute[") else { return false };
    let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
    code.is_some_and(|c| !c.is_empty() && !c.contains(['[', ']']))
}

/// What the client may send one server beyond the spec.
#[derive(Debug, Default)]
pub(crate) struct Extensions {
    /// The municipality's own server: it takes our extensions.
    pub own: bool,
    /// Extensions the server refused by name: never sent again.
    pub refused: BTreeSet<String>,
    /// The remembered refusals were read from the store (once per client).
    pub restored: bool,
    /// Refused since the store last saw the list.
    pub unsaved: bool,
}

impl Extensions {
    /// Whether a field may go in a request of this kind.
    pub fn allows(&self, kind: Kind, name: &str) -> bool {
        kind.is_spec(name) || (self.own && !self.refused.contains(name))
    }
}

/// The extension fields among `sent` that a refusal names: a 400 or 422 whose descriptions (the
/// Open311 error list, or a plain-text body) mention the field as a word of its own.
pub fn named_in_refusal<'a>(
    resp: &RawResponse,
    kind: Kind,
    sent: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    if !matches!(resp.status.as_u16(), 400 | 422) {
        return Vec::new();
    }
    let said = match serde_json::from_slice::<Value>(&resp.body) {
        Ok(v) => {
            let mut lines: Vec<String> =
                list(&v).into_iter().filter_map(|e| text(e, "description")).collect();
            if lines.is_empty() {
                lines.push(v.to_string());
            }
            lines.join("\n")
        }
        Err(_) => String::from_utf8_lossy(&resp.body).into_owned(),
    };
    let mut named: Vec<String> =
        sent.into_iter().filter(|n| !kind.is_spec(n) && mentions(&said, n)).map(str::to_owned).collect();
    named.sort();
    named.dedup();
    named
}

/// `word` occurs in `text` with no letter, digit or underscore right before or after it.
fn mentions(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
            wire_bytes: 0,
        }
    }

    #[test]
    fn the_specs_fields_and_nothing_else() {
        for f in ["jurisdiction_id", "service_request_id", "service_code", "start_date", "end_date", "status"]
        {
            assert!(Kind::Query.is_spec(f), "{f}");
        }
        for f in ["locale", "updated_after", "page", "page_size", "api_key", "description"] {
            assert!(!Kind::Query.is_spec(f), "{f}");
        }
        for f in ["api_key", "lat", "long", "address_id", "device_id", "account_id", "media_url"] {
            assert!(Kind::Post.is_spec(f), "{f}");
        }
        assert!(Kind::Post.is_spec("attribute[depth]") && Kind::Post.is_spec("attribute[kinds][]"));
        for f in ["source", "locale", "attribute[]", "attribute[a][b]", "attribute", "status"] {
            assert!(!Kind::Post.is_spec(f), "{f}");
        }
    }

    #[test]
    fn only_the_own_server_gets_extensions_and_not_those_it_refused() {
        let mut x = Extensions::default();
        assert!(x.allows(Kind::Query, "jurisdiction_id") && !x.allows(Kind::Query, "locale"));
        x.own = true;
        assert!(x.allows(Kind::Query, "locale"));
        x.refused.insert("locale".into());
        assert!(!x.allows(Kind::Query, "locale") && x.allows(Kind::Query, "updated_after"));
    }

    #[test]
    fn a_refusal_names_a_field_as_a_word_of_its_own() {
        let body = r#"[{"code":400,"description":"found unexpected entries: locale"}]"#;
        assert_eq!(named_in_refusal(&resp(400, body), Kind::Query, ["locale", "updated_after"]), ["locale"]);
        // Wrapped errors, several descriptions, plain text.
        let body = r#"{"errors":[{"code":400,"description":"bad"},{"code":400,"description":"updated_after: unknown"}]}"#;
        assert_eq!(
            named_in_refusal(&resp(400, body), Kind::Query, ["locale", "updated_after"]),
            ["updated_after"]
        );
        assert_eq!(
            named_in_refusal(&resp(422, "unknown field `source`"), Kind::Post, ["source"]),
            ["source"]
        );
        // Not a word of its own, a spec field, another status: nothing to drop.
        let body = r#"[{"code":400,"description":"locales are not supported"}]"#;
        assert!(named_in_refusal(&resp(400, body), Kind::Query, ["locale"]).is_empty());
        let body = r#"[{"code":400,"description":"status: open or closed"}]"#;
        assert!(named_in_refusal(&resp(400, body), Kind::Query, ["status", "locale"]).is_empty());
        assert!(named_in_refusal(&resp(500, "locale"), Kind::Query, ["locale"]).is_empty());
        assert!(named_in_refusal(&resp(403, "locale"), Kind::Query, ["locale"]).is_empty());
    }
}

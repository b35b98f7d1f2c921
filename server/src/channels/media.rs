//! A WhatsApp photo into the request made of its message. The webhook carries only a media id; the
//! Cloud API gives the photo in two calls, both with the access token: `GET /{version}/{media-id}`
//! answers `{"url", "mime_type", "sha256", "file_size", "id", "messaging_product"}`, and `GET url`
//! the bytes (the URL lives five minutes; the media id thirty days). Fetched when the team makes
//! the request, each photo then checked as a citizen's own (JPEG or PNG, at most 2 MB and the
//! server's pixel limit) and stored with the request. A photo that cannot be had leaves its media
//! id in the request's internal note, as before, and the reason (never the content) in the log.
//!
//! A Messenger image is a URL on Meta's CDN in the (signed) notification; it is fetched without a
//! token, and only from Meta's CDN hosts (`*.fbcdn.net`, `*.fbsbx.com`, `*.facebook.com`, over
//! https): a URL elsewhere is never fetched, so a payload cannot point the server at the network
//! behind it. The tests' stand-in is reached through the configured Graph base.

use std::time::Duration;

use serde::Deserialize;

use super::outbound::GraphConfig;
use super::store::Item;
use crate::open311::photo;
use crate::open311::submit::{Photo, MAX_PHOTOS, MAX_PHOTO_BYTES};

/// One call's time limit: the team waits on the form.
const FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// Fetches the photos of an item's WhatsApp messages; without the Cloud API's settings, none.
#[derive(Clone)]
pub struct MediaFetcher {
    graph: Option<GraphConfig>,
    /// None when no client could be built (no TLS roots): nothing is fetched, the note keeps the ids.
    http: Option<reqwest::Client>,
}

#[derive(Deserialize)]
struct MediaInfo {
    url: String,
    #[serde(default)]
    mime_type: Option<String>,
    /// A string in Meta's answers ("303833"); a number is taken too.
    #[serde(default)]
    file_size: Option<serde_json::Value>,
}

/// What the team sees about photos that could not be had (no content, no URL).
#[derive(Debug, Default)]
pub struct Fetched {
    pub photos: Vec<Photo>,
    pub missing: Vec<String>,
}

impl MediaFetcher {
    pub fn new(graph: Option<GraphConfig>) -> MediaFetcher {
        // A redirect is followed only onto Meta's CDN, at most three times.
        let redirects = reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() < 3 && on_meta_cdn(attempt.url().as_str()) {
                attempt.follow()
            } else {
                attempt.stop()
            }
        });
        let builder = reqwest::Client::builder().timeout(FETCH_TIMEOUT).redirect(redirects);
        let http = super::outbound::graph_client(builder)
            .map_err(|e| tracing::warn!(error = %e, "no HTTP client: channel photos will not be fetched"))
            .ok();
        MediaFetcher { graph, http }
    }

    /// The photos of `item`'s images (WhatsApp or Messenger), in order, at most [`MAX_PHOTOS`].
    pub async fn photos(&self, item: &Item, max_pixels: u64) -> Fetched {
        let mut out = Fetched::default();
        // WhatsApp: a message of type image (media_type is its MIME type); Messenger: the message's
        // first attachment, when an image (its type in media_type).
        let refs = item
            .messages
            .iter()
            .filter(|m| m.kind == "image" || m.media_type.as_deref() == Some("image"))
            .filter_map(|m| m.media_ref.as_deref());
        for id in refs {
            if out.photos.len() == MAX_PHOTOS {
                out.missing.push(format!("media {id}: more than {MAX_PHOTOS} photos"));
                continue;
            }
            let fetched = match item.channel.as_str() {
                "whatsapp" => self.one(id, max_pixels).await,
                _ => self.messenger_photo(id, max_pixels).await,
            };
            match fetched {
                Ok(p) => out.photos.push(p),
                Err(reason) => {
                    tracing::warn!(item = item.id, %reason, "a channel message's photo was not fetched");
                    out.missing.push(format!("media {id}: {reason}"));
                }
            }
        }
        out
    }

    async fn one(&self, media_id: &str, max_pixels: u64) -> Result<Photo, String> {
        let Some(g) = &self.graph else { return Err("the WhatsApp Cloud API is not configured".into()) };
        let Some(token) = &g.whatsapp_token else { return Err("no WhatsApp access token".into()) };
        let Some(http) = &self.http else { return Err("no HTTP client".into()) };
        // Meta's media ids are digits; anything else never reaches a URL path.
        if media_id.is_empty() || media_id.len() > 64 || !media_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err("not a media id".into());
        }
        let mut url = format!("{}/{}/{media_id}", g.base.trim_end_matches('/'), g.version);
        if let Some(phone) = &g.whatsapp_phone_number_id {
            // Meta checks that the media belongs to this business number.
            url.push_str("?phone_number_id=");
            url.extend(form_urlencoded::byte_serialize(phone.as_bytes()));
        }
        let info =
            http.get(url).bearer_auth(token).send().await.map_err(|e| format!("lookup: {}", kind(&e)))?;
        if !info.status().is_success() {
            return Err(format!("lookup: HTTP {}", info.status().as_u16()));
        }
        let info: MediaInfo =
            info.json().await.map_err(|_| "lookup: not the documented answer".to_owned())?;
        if let Some(m) = info.mime_type.as_deref().filter(|m| !matches!(*m, "image/jpeg" | "image/png")) {
            return Err(format!("a {m} image (JPEG and PNG are taken)"));
        }
        let declared = info.file_size.as_ref().and_then(|v| match v {
            serde_json::Value::String(s) => s.parse::<u64>().ok(),
            v => v.as_u64(),
        });
        if declared.is_some_and(|n| n > MAX_PHOTO_BYTES as u64) {
            return Err("larger than 2 MB".into());
        }
        if !info.url.starts_with("https://") && !info.url.starts_with(&g.base) {
            return Err("lookup: a download URL that is not https".into());
        }
        download(http.get(&info.url).bearer_auth(token), max_pixels).await
    }

    /// A Messenger attachment, from Meta's CDN only.
    async fn messenger_photo(&self, url: &str, max_pixels: u64) -> Result<Photo, String> {
        let Some(http) = &self.http else { return Err("no HTTP client".into()) };
        let through_base = self
            .graph
            .as_ref()
            .is_some_and(|g| url.starts_with(&format!("{}/", g.base.trim_end_matches('/'))));
        if !through_base && !on_meta_cdn(url) {
            return Err("an attachment URL outside Meta's CDN (not fetched)".into());
        }
        download(http.get(url), max_pixels).await
    }
}

/// An https URL on one of Meta's CDN hosts.
fn on_meta_cdn(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else { return false };
    u.scheme() == "https"
        && u.port().is_none()
        && u.host_str()
            .is_some_and(|h| [".fbcdn.net", ".fbsbx.com", ".facebook.com"].iter().any(|d| h.ends_with(d)))
}

/// The bytes of a photo, at most 2 MB read, checked as a citizen's own.
async fn download(request: reqwest::RequestBuilder, max_pixels: u64) -> Result<Photo, String> {
    let mut resp = request.send().await.map_err(|e| format!("download: {}", kind(&e)))?;
    if !resp.status().is_success() {
        return Err(format!("download: HTTP {}", resp.status().as_u16()));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("download: {}", kind(&e)))? {
        if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
            return Err("larger than 2 MB".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    let checked = photo::check(&bytes, max_pixels)?;
    Ok(Photo { content_type: checked.content_type, bytes })
}

/// A transport failure's kind, without the URL (which carries a signed token).
fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    }
}

#[cfg(test)]
mod tests {
    use super::on_meta_cdn;

    #[test]
    fn only_metas_cdn_is_fetched_from() {
        assert!(on_meta_cdn("https://scontent.xx.fbcdn.net/v/t1.15752-9/a.jpg?_nc_cat=1"));
        assert!(on_meta_cdn("https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"));
        for url in [
            "http://scontent.xx.fbcdn.net/a.jpg",
            "https://fbcdn.net.attacker.example/a.jpg",
            "https://scontent.xx.fbcdn.net:8443/a.jpg",
            "https://169.254.169.254/latest/meta-data",
            "https://cdn.example.invalid/attachment/image-1.jpg",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(!on_meta_cdn(url), "{url}");
        }
    }
}

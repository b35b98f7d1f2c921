//! Conditional GET and compression for cacheable JSON: strong ETags, `If-None-Match` → 304 with no
//! body, gzip when the client accepts it. A gzip body gets its own ETag (`"…-gz"`), since a strong
//! ETag names exact bytes; `If-None-Match` matches either form of the same version.

use std::io::Write;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

/// A JSON body ready to send in either encoding.
pub struct Representation {
    /// The ETag's opaque part without quotes or encoding suffix, e.g. `g42`.
    pub tag: String,
    pub json: Vec<u8>,
    pub gzip: Vec<u8>,
}

impl Representation {
    pub fn new(tag: String, json: Vec<u8>) -> Self {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let gzip = enc.write_all(&json).and_then(|_| enc.finish()).unwrap_or_default();
        Representation { tag, json, gzip }
    }

    /// Answer a GET: 304 if the client holds this version, otherwise the body in the best encoding.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        if let Some(not_modified) = not_modified(request, &self.tag) {
            return not_modified;
        }
        let gzip = accepts_gzip(request) && !self.gzip.is_empty();
        let builder = base(request, &self.tag)
            .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let (builder, body) = if gzip {
            (builder.header(header::CONTENT_ENCODING, "gzip"), self.gzip.clone())
        } else {
            (builder, self.json.clone())
        };
        builder.status(StatusCode::OK).body(Body::from(body)).unwrap_or_default()
    }
}

/// The headers every answer carries: the ETag of the encoding this client gets, and caching rules.
fn base(request: &HeaderMap, tag: &str) -> axum::http::response::Builder {
    let etag = if accepts_gzip(request) { format!("\"{tag}-gz\"") } else { format!("\"{tag}\"") };
    Response::builder()
        .header(header::ETAG, etag)
        .header(header::VARY, "Accept-Encoding")
        .header(header::CACHE_CONTROL, "no-cache")
}

/// A 304 with no body when the request's `If-None-Match` names `tag`; checked before any work.
pub fn not_modified(request: &HeaderMap, tag: &str) -> Option<Response> {
    if_none_match(request, tag)
        .then(|| base(request, tag).status(StatusCode::NOT_MODIFIED).body(Body::empty()).unwrap_or_default())
}

/// Does `If-None-Match` name this tag (in any encoding), or `*`?
fn if_none_match(request: &HeaderMap, tag: &str) -> bool {
    request.get_all(header::IF_NONE_MATCH).iter().filter_map(|v| v.to_str().ok()).any(|list| {
        list.split(',').map(str::trim).any(|t| {
            let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
            t == "*" || t == tag || t.strip_suffix("-gz") == Some(tag)
        })
    })
}

/// `Accept-Encoding` lists gzip (or `*`) without `q=0`.
fn accepts_gzip(request: &HeaderMap) -> bool {
    request.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|list| {
        list.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q_zero = parts.any(|p| {
                p.replace(' ', "").starts_with("q=0") && !p.contains(|c: char| ('1'..='9').contains(&c))
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn matches_either_encoding_of_the_same_version() {
        assert!(if_none_match(&headers(&[("if-none-match", "\"g4\"")]), "g4"));
        assert!(if_none_match(&headers(&[("if-none-match", "\"g3\", \"g4-gz\"")]), "g4"));
        assert!(if_none_match(&headers(&[("if-none-match", "*")]), "g4"));
        assert!(!if_none_match(&headers(&[("if-none-match", "\"g41\"")]), "g4"));
        assert!(!if_none_match(&headers(&[]), "g4"));
    }

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip(&headers(&[("accept-encoding", "gzip, br")])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "br;q=1.0, gzip;q=0.5")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
    }
}

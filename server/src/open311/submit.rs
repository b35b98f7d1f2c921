//! A new service request: read from `application/x-www-form-urlencoded` or `multipart/form-data`
//! (photos in parts named `media`), hashed for Idempotency-Key, and validated against the
//! service definition. Every validation error names its field first (`attribute[severity]:
//! required`), and all of them are reported at once.

use std::future::Future;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, StatusCode};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::categories::{AttributeDef, Category};
use super::format::{Failure, Format};
use super::photo;
use crate::listener::BodyDeadline;

/// The municipality's area, shared with the app (which checks a draft against it offline).
pub use baladiya_wire::BoundingBox;
pub const GAZA_CITY: BoundingBox = BoundingBox::GAZA_CITY;

/// Channels a request can come in by (extension field `source`).
pub const SOURCES: [&str; 7] = ["app", "web", "whatsapp", "facebook", "twitter", "phone", "walk_in"];

pub const MAX_PHOTOS: usize = 3;
pub const MAX_PHOTO_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Form bodies: a 4000-character Arabic description percent-encoded is about 24 KB.
pub const MAX_FORM_BYTES: usize = 256 * 1024;
/// Multipart bodies: three photos and the fields.
pub const MAX_MULTIPART_BYTES: usize = MAX_PHOTOS * MAX_PHOTO_BYTES + 512 * 1024;
const MAX_TEXT_PART_BYTES: usize = 64 * 1024;
const MAX_FIELDS: usize = 200;

#[derive(Debug, Clone)]
pub struct Photo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// The fields of a POST in the order received (query string first, then the body), and photos.
/// Every name and value has been through the server's text policy ([`crate::text`]).
#[derive(Debug, Default)]
pub struct Submission {
    pub fields: Vec<(String, String)>,
    pub photos: Vec<Photo>,
    /// One of the server's upload slots, held while photos are in memory.
    pub upload: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Submission {
    /// The first value of a field, trimmed; empty counts as absent (forms send empty inputs).
    pub fn get(&self, name: &str) -> Option<&str> {
        first(&self.fields, name)
    }

    /// SHA-256 of what the request says, for Idempotency-Key: fields sorted by name and value (so
    /// a client that rebuilds the form in another order is not refused), then the photos in
    /// order, then the format. The multipart boundary and the api_key are not part of it.
    pub fn hash(&self, format: Format) -> String {
        let mut fields: Vec<&(String, String)> = self.fields.iter().filter(|(n, _)| n != "api_key").collect();
        fields.sort();
        let mut h = Sha256::new();
        let mut put = |tag: &[u8], bytes: &[u8]| {
            h.update(tag);
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        put(b"format", format.ext().as_bytes());
        for (n, v) in fields {
            put(b"name", n.as_bytes());
            put(b"value", v.as_bytes());
        }
        for p in &self.photos {
            put(b"type", p.content_type.as_bytes());
            put(b"photo", &p.bytes);
        }
        hex(&h.finalize())
    }
}

/// The first value of `name` in `fields`, trimmed; empty counts as absent.
pub fn first<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `application/x-www-form-urlencoded` (a body or a query string) into pairs. Unlike a lossy
/// decoder, bytes that are not UTF-8 after percent-decoding are refused, not replaced.
pub fn parse_form(bytes: &[u8], format: Format) -> Result<Vec<(String, String)>, Failure> {
    let mut out = Vec::new();
    for pair in bytes.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[..0]),
        };
        let name = String::from_utf8(percent_decode(name))
            .map_err(|_| Failure::bad(format, "body: a field name is not UTF-8"))?;
        let value = String::from_utf8(percent_decode(value))
            .map_err(|_| Failure::bad(format, format!("{name}: not UTF-8")))?;
        out.push((name, value));
    }
    Ok(out)
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (raw.get(i + 1).copied().and_then(hex), raw.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// The two body types a POST may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Form,
    Multipart,
}

impl BodyKind {
    /// From the Content-Type, or the error to answer before reading anything.
    pub fn of(headers: &axum::http::HeaderMap, format: Format) -> Result<BodyKind, Failure> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/x-www-form-urlencoded") {
            Ok(BodyKind::Form)
        } else if content_type.starts_with("multipart/form-data") {
            Ok(BodyKind::Multipart)
        } else {
            Err(Failure::bad(
                format,
                "Content-Type: must be application/x-www-form-urlencoded or multipart/form-data",
            ))
        }
    }

    /// The largest body of this kind.
    pub fn max_bytes(self) -> usize {
        match self {
            BodyKind::Form => MAX_FORM_BYTES,
            BodyKind::Multipart => MAX_MULTIPART_BYTES,
        }
    }

    pub fn too_large(self, format: Format) -> Failure {
        let what = match self {
            BodyKind::Form => format!("body: larger than {} KB", MAX_FORM_BYTES / 1024),
            BodyKind::Multipart => {
                format!("media: the request is larger than {} MB", MAX_MULTIPART_BYTES / (1024 * 1024))
            }
        };
        Failure::new(format, StatusCode::PAYLOAD_TOO_LARGE, what)
    }
}

/// The declared Content-Length, if any (a malformed one is refused).
pub fn content_length(headers: &axum::http::HeaderMap, format: Format) -> Result<Option<u64>, Failure> {
    match headers.get(header::CONTENT_LENGTH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| Failure::bad(format, "Content-Length: not a number")),
    }
}

/// Read the body of a POST (and its query string) without judging its content, except that
/// `before_photos` is asked, with the fields received so far, before the first photo's bytes are
/// read (it checks the api_key and the service, and hands out an upload slot), and that every
/// photo is decoded and checked ([`photo::check`]) as it arrives. A body still arriving at the
/// request's body deadline is refused with 408.
pub async fn read<F, Fut>(
    req: Request,
    format: Format,
    max_pixels: u64,
    before_photos: F,
) -> Result<Submission, Failure>
where
    F: FnOnce(&Submission) -> Fut,
    Fut: Future<Output = Result<Option<tokio::sync::OwnedSemaphorePermit>, Failure>>,
{
    let kind = BodyKind::of(req.headers(), format)?;
    let deadline = req.extensions().get::<BodyDeadline>().copied();
    let late = move || {
        deadline.filter(BodyDeadline::passed).map(|_| {
            Failure::new(format, StatusCode::REQUEST_TIMEOUT, "body: not received in time; send it again")
        })
    };
    let mut sub = Submission::default();
    if let Some(q) = req.uri().query() {
        sub.fields.extend(parse_form(q.as_bytes(), format)?);
    }
    match kind {
        BodyKind::Form => {
            let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
                .await
                .map_err(|_| late().unwrap_or_else(|| kind.too_large(format)))?;
            sub.fields.extend(parse_form(&body, format)?);
        }
        BodyKind::Multipart => {
            read_multipart(req, format, max_pixels, &mut sub, before_photos)
                .await
                .map_err(|e| late().unwrap_or(e))?;
        }
    }
    if sub.fields.len() > MAX_FIELDS {
        return Err(Failure::bad(format, format!("body: more than {MAX_FIELDS} fields")));
    }
    for (name, value) in &mut sub.fields {
        *name = crate::text::clean(name);
        *value = crate::text::clean(value);
    }
    Ok(sub)
}

async fn read_multipart<F, Fut>(
    req: Request<Body>,
    format: Format,
    max_pixels: u64,
    sub: &mut Submission,
    before_photos: F,
) -> Result<(), Failure>
where
    F: FnOnce(&Submission) -> Fut,
    Fut: Future<Output = Result<Option<tokio::sync::OwnedSemaphorePermit>, Failure>>,
{
    let malformed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            BodyKind::Multipart.too_large(format)
        } else {
            Failure::bad(format, "body: malformed multipart/form-data")
        }
    };
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|_| Failure::bad(format, "Content-Type: multipart/form-data needs a boundary"))?;
    let mut gate = Some(before_photos);
    // The fields of a multipart body are held to what a form body may be: before the key is
    // known, an anonymous client can make the server hold no more than that.
    let mut text_bytes = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or("").to_owned();
        let is_file = field.file_name().is_some();
        if name == "media" && (is_file || field.content_type().is_some()) {
            if let Some(gate) = gate.take() {
                sub.upload = gate(sub).await?;
            }
            if sub.photos.len() == MAX_PHOTOS {
                return Err(Failure::bad(format, format!("media: at most {MAX_PHOTOS} photos")));
            }
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
                    return Err(Failure::bad(
                        format,
                        format!("media: a photo is larger than {} MB", MAX_PHOTO_BYTES / (1024 * 1024)),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            let (bytes, checked) = tokio::task::spawn_blocking(move || {
                let checked = photo::check(&bytes, max_pixels);
                (bytes, checked)
            })
            .await
            .map_err(|_| Failure::internal(format))?;
            let checked = checked.map_err(|why| Failure::bad(format, format!("media: {why}")))?;
            sub.photos.push(Photo { content_type: checked.content_type, bytes });
        } else if is_file {
            return Err(Failure::bad(
                format,
                format!("{name}: files are accepted only in parts named media"),
            ));
        } else {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                if bytes.len() + chunk.len() > MAX_TEXT_PART_BYTES {
                    return Err(Failure::bad(format, format!("{name}: too long")));
                }
                text_bytes += chunk.len();
                if text_bytes > MAX_FORM_BYTES {
                    return Err(BodyKind::Form.too_large(format));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text =
                String::from_utf8(bytes).map_err(|_| Failure::bad(format, format!("{name}: not UTF-8")))?;
            sub.fields.push((name, text));
        }
        if sub.fields.len() > MAX_FIELDS {
            return Err(Failure::bad(format, format!("body: more than {MAX_FIELDS} fields")));
        }
    }
    Ok(())
}

/// Personal data of the person reporting: seen by staff only.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Contact {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub account_id: Option<String>,
    pub device_id: Option<String>,
}

/// A request that passed validation, ready to store.
#[derive(Debug)]
pub struct NewRequest {
    pub service_code: String,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address: Option<String>,
    pub description: Option<String>,
    /// `{"code": "value" | ["value", ...]}`
    pub attributes: Map<String, Value>,
    pub media_url: Option<String>,
    pub source: String,
    pub contact: Contact,
    pub photos: Vec<Photo>,
}

/// Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits to ASCII, the Arabic decimal
/// separator to a point: numbers may be typed on any of the three keyboards.
pub fn ascii_digits(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{066B}' => '.',
            c => c,
        })
        .collect()
}

pub fn parse_number(s: &str) -> Option<f64> {
    ascii_digits(s).parse::<f64>().ok().filter(|v| v.is_finite())
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The values given for each attribute: `attribute[code]=v` (repeatable) and `attribute[code][]=v`.
fn attribute_values(sub: &Submission) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in &sub.fields {
        let Some(rest) = name.strip_prefix("attribute[") else { continue };
        let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
        let Some(code) = code.filter(|c| !c.is_empty() && !c.contains(['[', ']'])) else { continue };
        let value = value.trim();
        let slot = match out.iter_mut().position(|(c, _)| c == code) {
            Some(i) => &mut out[i].1,
            None => {
                out.push((code.to_owned(), Vec::new()));
                &mut out.last_mut().expect("just pushed").1
            }
        };
        if !value.is_empty() {
            slot.push(value.to_owned());
        }
    }
    out
}

fn check_attribute(def: &AttributeDef, values: &[String], errors: &mut Vec<String>) -> Option<Value> {
    let field = format!("attribute[{}]", def.code);
    if values.is_empty() {
        if def.required {
            errors.push(format!("{field}: required"));
        }
        return None;
    }
    let allowed = || def.values.iter().map(|v| v.key.as_str()).collect::<Vec<_>>().join(", ");
    if def.datatype != "multivaluelist" && values.len() > 1 {
        errors.push(format!("{field}: takes one value"));
        return None;
    }
    let v = &values[0];
    match def.datatype.as_str() {
        "string" if char_len(v) > 255 => errors.push(format!("{field}: longer than 255 characters")),
        "text" if char_len(v) > MAX_DESCRIPTION_CHARS => {
            errors.push(format!("{field}: longer than {MAX_DESCRIPTION_CHARS} characters"))
        }
        "string" | "text" => return Some(Value::String(v.clone())),
        "number" => match parse_number(v) {
            Some(_) => return Some(Value::String(ascii_digits(v))),
            None => errors.push(format!("{field}: not a number")),
        },
        "datetime" => match chrono::DateTime::parse_from_rfc3339(&ascii_digits(v)) {
            Ok(_) => return Some(Value::String(ascii_digits(v))),
            Err(_) => errors
                .push(format!("{field}: not a date and time (RFC 3339, such as 2025-05-01T18:30:00+03:00)")),
        },
        "singlevaluelist" => {
            if def.values.iter().any(|a| &a.key == v) {
                return Some(Value::String(v.clone()));
            }
            errors.push(format!("{field}: not one of the allowed values ({})", allowed()));
        }
        "multivaluelist" => {
            let mut keys: Vec<Value> = Vec::new();
            for v in values {
                if !def.values.iter().any(|a| &a.key == v) {
                    errors.push(format!("{field}: not one of the allowed values ({})", allowed()));
                    return None;
                }
                if !keys.iter().any(|k| k == v) {
                    keys.push(Value::String(v.clone()));
                }
            }
            return Some(Value::Array(keys));
        }
        _ => {}
    }
    None
}

fn optional_text(sub: &Submission, name: &str, max: usize, errors: &mut Vec<String>) -> Option<String> {
    let v = sub.get(name)?;
    if char_len(v) > max {
        errors.push(format!("{name}: longer than {max} characters"));
        return None;
    }
    Some(v.to_owned())
}

/// Who is filing a request, which decides who names its channel and its media link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public POST: the server names the channel (`app`, or `web` for a browser's form) and
    /// a client's `source` and `media_url` are ignored. A citizen cannot pass a complaint off as
    /// a walk-in, nor publish a link of theirs as the request's photo (photos come as `media`
    /// parts, which the server checks and serves itself).
    Public(&'static str),
    /// Staff entering a complaint that came by another channel: `source` is required and a
    /// `media_url` (http or https) is kept.
    Staff,
}

/// Check a submission against its category. `category` is the category named by
/// `service_code`, or the error about that field; either way every other field is checked too,
/// so the answer lists every problem of the request at once.
pub fn validate(
    sub: Submission,
    category: Result<&Category, String>,
    area: &BoundingBox,
    channel: Channel,
) -> Result<NewRequest, Vec<String>> {
    let mut errors = Vec::new();
    if let Err(e) = &category {
        errors.push(e.clone());
    }

    // Location: lat and long together, inside the municipality, or an address.
    let lat = sub.get("lat").map(|v| (v, parse_number(v)));
    let long = sub.get("long").map(|v| (v, parse_number(v)));
    let (mut lat_v, mut long_v) = (None, None);
    match (lat, long) {
        (None, None) => {}
        (Some(_), None) => errors.push("long: required with lat".into()),
        (None, Some(_)) => errors.push("lat: required with long".into()),
        (Some((_, la)), Some((_, lo))) => {
            match la {
                None => errors.push("lat: not a number".into()),
                Some(v) if !(area.min_lat..=area.max_lat).contains(&v) => errors.push(format!(
                    "lat: outside the municipality's area ({} to {})",
                    area.min_lat, area.max_lat
                )),
                Some(v) => lat_v = Some(v),
            }
            match lo {
                None => errors.push("long: not a number".into()),
                Some(v) if !(area.min_long..=area.max_long).contains(&v) => errors.push(format!(
                    "long: outside the municipality's area ({} to {})",
                    area.min_long, area.max_long
                )),
                Some(v) => long_v = Some(v),
            }
        }
    }
    let address = optional_text(&sub, "address_string", 500, &mut errors);
    if sub.get("lat").is_none() && sub.get("long").is_none() && address.is_none() {
        errors.push("lat/long or address_string: one of them is required".into());
    }

    let description = optional_text(&sub, "description", MAX_DESCRIPTION_CHARS, &mut errors);

    let email = optional_text(&sub, "email", 254, &mut errors);
    if let Some(e) = &email {
        let ok = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
            && !e.chars().any(char::is_whitespace);
        if !ok {
            errors.push("email: not an email address".into());
        }
    }
    let phone = optional_text(&sub, "phone", 32, &mut errors).map(|p| ascii_digits(&p));
    if let Some(p) = &phone {
        if !p.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c))
            || !p.chars().any(|c| c.is_ascii_digit())
        {
            errors.push("phone: not a phone number".into());
        }
    }
    let contact = Contact {
        email,
        first_name: optional_text(&sub, "first_name", 100, &mut errors),
        last_name: optional_text(&sub, "last_name", 100, &mut errors),
        phone,
        account_id: optional_text(&sub, "account_id", 128, &mut errors),
        device_id: optional_text(&sub, "device_id", 128, &mut errors),
    };

    let (media_url, source) = match channel {
        Channel::Public(source) => (None, source.to_owned()),
        Channel::Staff => {
            let media_url = optional_text(&sub, "media_url", 2000, &mut errors);
            if let Some(u) = &media_url {
                if !(u.starts_with("https://") || u.starts_with("http://"))
                    || u.chars().any(char::is_whitespace)
                {
                    errors.push("media_url: not an http(s) URL".into());
                }
            }
            let source = match sub.get("source") {
                Some(s) if SOURCES.contains(&s) => s.to_owned(),
                Some(_) => {
                    errors.push(format!("source: not one of {}", SOURCES.join(", ")));
                    String::new()
                }
                None => {
                    errors.push("source: required".into());
                    String::new()
                }
            };
            (media_url, source)
        }
    };

    // Attributes of the definition; values for codes it does not have are ignored (a request
    // queued offline for days may meet a definition that has since lost an attribute).
    let given = attribute_values(&sub);
    let mut attributes = Map::new();
    let category = match category {
        Ok(c) => c,
        Err(_) => return Err(errors),
    };
    let mut defs: Vec<&AttributeDef> = category.attributes.iter().filter(|a| a.variable).collect();
    defs.sort_by_key(|a| a.order);
    for def in defs {
        let values = given.iter().find(|(c, _)| c == &def.code).map(|(_, v)| v.as_slice()).unwrap_or(&[]);
        if let Some(v) = check_attribute(def, values, &mut errors) {
            attributes.insert(def.code.clone(), v);
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewRequest {
        service_code: category.service_code.clone(),
        lat: lat_v,
        long: long_v,
        address,
        description,
        attributes,
        media_url,
        source,
        contact,
        photos: sub.photos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(fields: &[(&str, &str)]) -> Submission {
        Submission {
            fields: fields.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            ..Submission::default()
        }
    }

    #[test]
    fn digits_of_every_keyboard() {
        assert_eq!(ascii_digits("٣١٫٥"), "31.5");
        assert_eq!(ascii_digits("۳۴"), "34");
        assert_eq!(parse_number("١٢"), Some(12.0));
        assert_eq!(parse_number("NaN"), None);
    }

    #[test]
    fn attribute_forms() {
        let s = sub(&[
            ("attribute[a]", "1"),
            ("attribute[b][]", "x"),
            ("attribute[b][]", "y"),
            ("attribute[c]", ""),
            ("attribute[]", "z"),
        ]);
        let v = attribute_values(&s);
        assert_eq!(v[0], ("a".to_string(), vec!["1".to_string()]));
        assert_eq!(v[1], ("b".to_string(), vec!["x".to_string(), "y".to_string()]));
        assert_eq!(v[2], ("c".to_string(), vec![]));
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn hash_ignores_field_order_and_api_key() {
        let a = sub(&[("service_code", "x"), ("lat", "1"), ("api_key", "k1")]);
        let b = sub(&[("lat", "1"), ("service_code", "x"), ("api_key", "k2")]);
        let c = sub(&[("lat", "2"), ("service_code", "x")]);
        assert_eq!(a.hash(Format::Json), b.hash(Format::Json));
        assert_ne!(a.hash(Format::Json), a.hash(Format::Xml));
        assert_ne!(a.hash(Format::Json), c.hash(Format::Json));
    }
}

//! The two formats of GeoReport v2 (chosen by the path's suffix), the XML written by hand with the
//! spec's element names, and errors in the spec's shape: `[{"code": 400, "description": "..."}]`
//! or `<errors><error><code>400</code><description>...</description></error></errors>`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use baladiya_wire::{Open311Error, Open311Service, RequestCreated, ServiceDefinition, ServiceRequest};
use serde::Serialize;

pub const JSON_TYPE: &str = "application/json; charset=utf-8";
pub const XML_TYPE: &str = "text/xml; charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::Json, Format::Xml];

    pub fn ext(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => JSON_TYPE,
            Format::Xml => XML_TYPE,
        }
    }

    /// `"42.json"` → `("42", Json)`. An unknown suffix answers in JSON.
    pub fn split(file: &str) -> Result<(&str, Format), Failure> {
        match file.rsplit_once('.') {
            Some((stem, "json")) if !stem.is_empty() => Ok((stem, Format::Json)),
            Some((stem, "xml")) if !stem.is_empty() => Ok((stem, Format::Xml)),
            _ => Err(Failure::new(
                Format::Json,
                StatusCode::NOT_FOUND,
                "format: the path must end in .json or .xml",
            )),
        }
    }
}

/// A finished response body, kept as text so an Idempotency-Key can replay it byte for byte.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub body: String,
}

impl Rendered {
    pub fn ok(format: Format, json: &impl Serialize, xml: impl FnOnce() -> String) -> Rendered {
        Rendered::new(StatusCode::OK, format, json, xml)
    }

    pub fn new(
        status: StatusCode,
        format: Format,
        json: &impl Serialize,
        xml: impl FnOnce() -> String,
    ) -> Self {
        let body = match format {
            // Serialising our own wire types cannot fail (string keys, finite numbers).
            Format::Json => serde_json::to_string(json).unwrap_or_else(|_| "[]".into()),
            Format::Xml => xml(),
        };
        Rendered { status, content_type: format.content_type(), body }
    }
}

impl IntoResponse for Rendered {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, HeaderValue::from_static(self.content_type))], self.body)
            .into_response()
    }
}

/// An Open311 error response: one or more `{code, description}` with the HTTP status as code.
/// Each description starts with the field it is about (`attribute[severity]: required`).
#[derive(Debug, Clone)]
pub struct Failure {
    pub format: Format,
    pub status: StatusCode,
    pub descriptions: Vec<String>,
}

impl Failure {
    pub fn new(format: Format, status: StatusCode, description: impl Into<String>) -> Self {
        Failure { format, status, descriptions: vec![description.into()] }
    }
    pub fn bad(format: Format, description: impl Into<String>) -> Self {
        Failure::new(format, StatusCode::BAD_REQUEST, description)
    }
    pub fn not_found(format: Format, description: impl Into<String>) -> Self {
        Failure::new(format, StatusCode::NOT_FOUND, description)
    }
    pub fn internal(format: Format) -> Self {
        Failure::new(format, StatusCode::INTERNAL_SERVER_ERROR, "server: internal error")
    }

    pub fn rendered(&self) -> Rendered {
        let errors: Vec<Open311Error> = self
            .descriptions
            .iter()
            .map(|d| Open311Error { code: self.status.as_u16(), description: d.clone() })
            .collect();
        Rendered::new(self.status, self.format, &errors, || errors_xml(&errors))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        self.rendered().into_response()
    }
}

impl From<crate::error::ApiError> for Failure {
    fn from(e: crate::error::ApiError) -> Self {
        if let crate::error::ApiError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error");
        }
        Failure::internal(Format::Json)
    }
}

/// An Open311 error in JSON (for paths no handler of this module answered).
pub(crate) fn error(status: StatusCode, description: &str) -> Response {
    Failure::new(Format::Json, status, description).into_response()
}

pub(crate) fn not_found(description: &str) -> Response {
    error(StatusCode::NOT_FOUND, description)
}

/// XML text built element by element; every text is escaped and characters XML 1.0 forbids are
/// dropped.
pub struct XmlOut {
    out: String,
}

impl XmlOut {
    pub fn new(root: &str) -> Self {
        let mut out = String::with_capacity(1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<");
        out.push_str(root);
        out.push('>');
        XmlOut { out }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        escape_into(&mut self.out, text);
        self.close(name)
    }

    /// Leaves the element out when there is no value (as the JSON leaves the key out).
    pub fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out.push('\n');
        self.out
    }
}

pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

pub fn errors_xml(errors: &[Open311Error]) -> String {
    let mut x = XmlOut::new("errors");
    for e in errors {
        x.open("error").leaf("code", &e.code.to_string()).leaf("description", &e.description).close("error");
    }
    x.finish("errors")
}

pub fn services_xml(services: &[Open311Service]) -> String {
    let mut x = XmlOut::new("services");
    for s in services {
        x.open("service")
            .leaf("service_code", &s.service_code)
            .leaf("service_name", &s.service_name)
            .leaf("description", &s.description)
            .leaf("metadata", bool_text(s.metadata))
            .leaf("type", &s.kind)
            .leaf("keywords", &s.keywords)
            .leaf("group", &s.group);
        if let Some(h) = s.expected_hours {
            x.leaf("expected_hours", &h.to_string()); // extension
        }
        x.close("service");
    }
    x.finish("services")
}

pub fn definition_xml(d: &ServiceDefinition) -> String {
    let mut x = XmlOut::new("service_definition");
    x.leaf("service_code", &d.service_code).open("attributes");
    for a in &d.attributes {
        x.open("attribute")
            .leaf("variable", bool_text(a.variable))
            .leaf("code", &a.code)
            .leaf("datatype", &a.datatype)
            .leaf("required", bool_text(a.required))
            .leaf("datatype_description", &a.datatype_description)
            .leaf("order", &a.order.to_string())
            .leaf("description", &a.description);
        if !a.values.is_empty() {
            x.open("values");
            for v in &a.values {
                x.open("value").leaf("key", &v.key).leaf("name", &v.name).close("value");
            }
            x.close("values");
        }
        x.close("attribute");
    }
    x.close("attributes");
    if let Some(h) = d.expected_hours {
        x.leaf("expected_hours", &h.to_string()); // extension
    }
    x.finish("service_definition")
}

pub fn requests_xml(requests: &[ServiceRequest]) -> String {
    let mut x = XmlOut::new("service_requests");
    for r in requests {
        x.open("request")
            .leaf("service_request_id", &r.service_request_id)
            .leaf("status", &r.status)
            .leaf_opt("status_notes", r.status_notes.as_deref())
            .leaf("service_name", &r.service_name)
            .leaf("service_code", &r.service_code)
            .leaf_opt("description", r.description.as_deref())
            .leaf_opt("agency_responsible", r.agency_responsible.as_deref())
            .leaf_opt("service_notice", r.service_notice.as_deref())
            .leaf("requested_datetime", &r.requested_datetime)
            .leaf("updated_datetime", &r.updated_datetime)
            .leaf_opt("expected_datetime", r.expected_datetime.as_deref())
            .leaf_opt("address", r.address.as_deref())
            .leaf_opt("lat", r.lat.map(|v| v.to_string()).as_deref())
            .leaf_opt("long", r.long.map(|v| v.to_string()).as_deref())
            .leaf_opt("media_url", r.media_url.as_deref())
            .leaf_opt("detailed_status", r.detailed_status.as_deref())
            .leaf_opt("source", r.source.as_deref())
            .leaf_opt("followers", r.followers.map(|n| n.to_string()).as_deref());
        if !r.servicerequestupdates.is_empty() {
            x.open("servicerequestupdates");
            for u in &r.servicerequestupdates {
                x.open("request_update")
                    .leaf("update_id", &u.update_id)
                    .leaf("status", &u.status)
                    .leaf("detailed_status", &u.detailed_status)
                    .leaf("description", &u.description)
                    .leaf_opt("media_url", u.media_url.as_deref())
                    .leaf("updated_datetime", &u.updated_datetime)
                    .close("request_update");
            }
            x.close("servicerequestupdates");
        }
        x.close("request");
    }
    x.finish("service_requests")
}

/// The answer to a POST and to `tokens/{token}`: `<service_requests><request>…`.
pub fn created_xml(created: &[RequestCreated]) -> String {
    let mut x = XmlOut::new("service_requests");
    for c in created {
        x.open("request")
            .leaf_opt("service_request_id", c.service_request_id.as_deref())
            .leaf_opt("token", c.token.as_deref())
            .leaf_opt("service_notice", c.service_notice.as_deref())
            .leaf_opt("account_id", c.account_id.as_deref())
            .close("request");
    }
    x.finish("service_requests")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&\"c\"'\u{1}\nد");
        assert_eq!(s, "a&lt;b&gt;&amp;&quot;c&quot;&apos;\nد");
    }

    #[test]
    fn splits_the_format_suffix() {
        assert_eq!(Format::split("12.json").unwrap(), ("12", Format::Json));
        assert_eq!(Format::split("a.b.xml").unwrap(), ("a.b", Format::Xml));
        assert!(Format::split("12.csv").is_err());
        assert!(Format::split(".json").is_err());
    }
}

//! Open311 GeoReport v2 as the reference server sends it (JSON). Field names and types follow the
//! spec: string ids, booleans for `metadata`/`required`/`variable`, bare arrays. Our extensions
//! are optional fields that other servers simply lack: `detailed_status`, `servicerequestupdates`
//! (FixMyStreet's name for the history), `source`.
//!
//! The core reads Open311 leniently (other cities' servers send strings for booleans, numbers for
//! ids, wrapped arrays); these types are the strict shape our server writes.

use serde::{Deserialize, Serialize};

/// `GET /open311/v2/services.json`: one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open311Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// True when `services/{code}` has attributes to fill in.
    pub metadata: bool,
    /// `realtime`, `batch` or `blackbox`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated, as the spec says.
    pub keywords: String,
    pub group: String,
    /// Extension (the municipality's own server only): the category's service level in hours,
    /// the time within which it aims to deal with a request (`expected_datetime` is the request's
    /// time plus this). Other servers lack it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_hours: Option<u32>,
}

/// One value of a list attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// `GET /open311/v2/services/{code}.json`: one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// False for a read-only informational attribute.
    pub variable: bool,
    pub code: String,
    /// string, number, datetime, text, singlevaluelist, multivaluelist
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    pub order: i64,
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
    /// Extension, as on [`Open311Service`]: the category's service level in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_hours: Option<u32>,
}

/// One entry of the request's history (extension; FixMyStreet's `servicerequestupdates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestUpdate {
    pub update_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The finer state after this update (received, verified, routed, in_progress, fixed, ...).
    pub detailed_status: String,
    /// The public note or the department's reply to the citizen.
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    pub updated_datetime: String,
}

/// `GET /open311/v2/requests.json` and `requests/{id}.json`: one request. Contact fields are never
/// returned (they are personal data, seen only by staff).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_responsible: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_url: Option<String>,
    /// Extension: the finer state (received, verified, routed, in_progress, fixed, rejected,
    /// duplicate, closed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detailed_status: Option<String>,
    /// Extension: the channel it came in by (app, web, whatsapp, facebook, twitter, phone, walk_in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Extension: the whole history, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servicerequestupdates: Vec<RequestUpdate>,
    /// Extension: how many citizens follow it ("this is my problem too", issue 15.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u32>,
}

/// `POST /open311/v2/requests.json`: the answer (a one-element array on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCreated {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_notice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// An Open311 error (the body is an array of these), with the HTTP status as `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open311Error {
    pub code: u16,
    pub description: String,
}

//! What the handlers take from a request: the query's parameters, the path's file and its format
//! (`42.json`), the API key and jurisdiction checks, and the staff bearer token's role.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, RawQuery};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::Response;
use subtle::ConstantTimeEq;

use super::categories;
use super::format::{error, Failure, Format};
use super::staff::{Role, StaffError};
use super::state::Open311State;

/// Query parameters in order; unknown ones are ignored, as the spec's clients expect.
pub(crate) fn query_pairs(q: &RawQuery) -> Vec<(String, String)> {
    q.0.as_deref()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
        })
        .unwrap_or_default()
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// `a,b, c` → `["a", "b", "c"]`
pub(crate) fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The path parameter of an Open311 endpoint, refused in the spec's shape (JSON: the format is
/// the path's own suffix, which could not be read).
pub(crate) struct SpecPath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SpecPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(p)) => Ok(SpecPath(p)),
            Err(r) => Err(error(r.status(), &format!("path: {}", r.body_text()))),
        }
    }
}

/// A path's last segment split into its stem and the format its suffix names (`42.json` →
/// `42`, JSON); a path without `.json` or `.xml` is refused, in JSON, with 404.
pub(crate) struct SpecFile {
    pub stem: String,
    pub fmt: Format,
}

impl<S: Send + Sync> FromRequestParts<S> for SpecFile {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let SpecPath(file) = SpecPath::from_request_parts(parts, state).await?;
        match Format::split(&file) {
            Ok((stem, fmt)) => Ok(SpecFile { stem: stem.to_owned(), fmt }),
            Err(f) => Err(axum::response::IntoResponse::into_response(f)),
        }
    }
}

fn constant_time_in(given: &str, accepted: &[String]) -> bool {
    // Compare with every key so the time taken does not tell which one nearly matched.
    accepted.iter().fold(false, |found, k| found | bool::from(given.as_bytes().ct_eq(k.as_bytes())))
}

impl Open311State {
    pub(super) fn check_jurisdiction(&self, given: Option<&str>, fmt: Format) -> Result<(), Failure> {
        match given {
            Some(j) if j != self.jurisdiction_id => {
                Err(Failure::not_found(fmt, "jurisdiction_id: not a jurisdiction of this server"))
            }
            _ => Ok(()),
        }
    }

    pub(super) fn check_api_key(&self, given: Option<&str>, fmt: Format) -> Result<(), Failure> {
        match given {
            None => Err(Failure::new(fmt, StatusCode::FORBIDDEN, "api_key: required")),
            Some(k) if constant_time_in(k, &self.api_keys) => Ok(()),
            Some(_) => Err(Failure::new(fmt, StatusCode::FORBIDDEN, "api_key: not a valid key")),
        }
    }

    /// The service code names one of this server's categories.
    pub(super) async fn check_service(&self, code: &str, fmt: Format) -> Result<(), Failure> {
        let code = code.to_owned();
        let found = self.query(fmt, move |c| Ok(categories::get(c, &code)?.is_some())).await?;
        if found {
            Ok(())
        } else {
            Err(Failure::bad(fmt, "service_code: not a service of this server"))
        }
    }
}

/// The role of the bearer token (every configured token is compared, in constant time), and the
/// actor its changes are recorded under. A token made for a staff account
/// (`baladiya-server staff token`) acts with that account's role.
pub struct StaffUser(pub Role, pub String);

impl FromRequestParts<Arc<Open311State>> for StaffUser {
    type Rejection = StaffError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Open311State>) -> Result<Self, StaffError> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_owned();
        let mut role = None;
        for (token, r) in &state.staff {
            if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                role = Some(r.clone());
            }
        }
        if let Some(role) = role {
            let actor = role.actor();
            return Ok(StaffUser(role, actor));
        }
        let account = state.db.call(move |c| crate::console::accounts::token_account(c, &given)).await?;
        match account {
            Some(a) => match a.role.request_role() {
                Some(role) => Ok(StaffUser(role, format!("{}:{}", a.role.name(), a.username))),
                None => Err(StaffError(
                    StatusCode::FORBIDDEN,
                    "this account's role has no access to requests".into(),
                )),
            },
            None if state.staff.is_empty() => {
                Err(StaffError(StatusCode::FORBIDDEN, "the staff API is disabled on this server".into()))
            }
            None => Err(StaffError(StatusCode::UNAUTHORIZED, "missing or wrong staff token".into())),
        }
    }
}

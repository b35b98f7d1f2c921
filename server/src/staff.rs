//! Staff-only edits of the catalogue, behind `Authorization: Bearer <staff token>`. Each edit bumps
//! the catalogue version, so clients' next sync brings it as a delta.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::Json;
use baladiya_wire::{Service, Violation};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::catalogue::{self, Kind};
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::AppState;

/// State that knows the staff (dispatcher) token.
pub trait StaffToken {
    /// `None` when the staff API is disabled.
    fn staff_token(&self) -> Option<&str>;
}

impl StaffToken for AppState {
    fn staff_token(&self) -> Option<&str> {
        self.staff_token.as_deref()
    }
}

/// Proof that the request carries the staff token (compared in constant time).
pub struct Staff;

impl<S: StaffToken + Send + Sync> FromRequestParts<Arc<S>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<S>) -> Result<Self, Self::Rejection> {
        let Some(expected) = state.staff_token() else {
            return Err(ApiError::StaffDisabled);
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(Staff)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

pub async fn put_service(
    _: Staff,
    State(state): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(service): ApiJson<Service>,
) -> Result<Json<Value>, ApiError> {
    let version = state.db.call(move |c| catalogue::put_service(c, &id, service)).await?;
    Ok(Json(json!({ "version": version })))
}

pub async fn put_violation(
    _: Staff,
    State(state): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(violation): ApiJson<Violation>,
) -> Result<Json<Value>, ApiError> {
    let version = state.db.call(move |c| catalogue::put_violation(c, &id, violation)).await?;
    Ok(Json(json!({ "version": version })))
}

pub async fn delete_service(
    _: Staff,
    State(state): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let version = state.db.call(move |c| catalogue::remove(c, Kind::Service, &id)).await?;
    Ok((StatusCode::OK, Json(json!({ "version": version }))))
}

pub async fn delete_violation(
    _: Staff,
    State(state): State<Arc<AppState>>,
    ApiPath(id): ApiPath<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let version = state.db.call(move |c| catalogue::remove(c, Kind::Violation, &id)).await?;
    Ok((StatusCode::OK, Json(json!({ "version": version }))))
}

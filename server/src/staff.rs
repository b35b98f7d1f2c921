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
use crate::console::accounts::{self, AccountRole};
use crate::db::Db;
use crate::error::{ApiError, ApiJson, ApiPath};
use crate::AppState;

/// State that knows the staff (dispatcher) token, and the database of staff accounts.
pub trait StaffToken {
    /// `None` when no staff token is configured.
    fn staff_token(&self) -> Option<&str>;
    fn db(&self) -> &Db;
}

impl StaffToken for AppState {
    fn staff_token(&self) -> Option<&str> {
        self.staff_token.as_deref()
    }
    fn db(&self) -> &Db {
        &self.db
    }
}

/// Proof that the request carries the staff token (compared in constant time), or a token made
/// for an editor's or an admin's account (`baladiya-server staff token`).
pub struct Staff;

impl<S: StaffToken + Send + Sync> FromRequestParts<Arc<S>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<S>) -> Result<Self, Self::Rejection> {
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_owned();
        if let Some(expected) = state.staff_token() {
            if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
                return Ok(Staff);
            }
        }
        let account = state.db().call(move |c| accounts::token_account(c, &given)).await?;
        match account.map(|a| a.role) {
            Some(AccountRole::Editor | AccountRole::Admin) => Ok(Staff),
            Some(_) => {
                Err(ApiError::Forbidden("this account's role may not edit the guide or the news".into()))
            }
            None if state.staff_token().is_none() => Err(ApiError::StaffDisabled),
            None => Err(ApiError::Unauthorized),
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

//! Errors of the municipal JSON API, answered as `{"error": "..."}` with a fitting status.
//!
//! Every error has that shape, including the framework's own refusals: handlers take their JSON
//! bodies, query strings and path parameters through [`ApiJson`], [`ApiQuery`] and [`ApiPath`],
//! which answer a wrong type (422),
//! a missing Content-Type (415), malformed JSON or a duplicated query parameter (400) here
//! instead of in axum's `text/plain`; unknown paths and methods go to [`not_found`] and
//! [`method_not_allowed`].

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("missing or wrong staff token")]
    Unauthorized,
    #[error("the staff API is disabled on this server")]
    StaffDisabled,
    /// A staff member whose role may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("internal error")]
    Internal(String),
    /// A request the framework's extractors refused, with their status and reason.
    #[error("{1}")]
    Rejected(StatusCode, String),
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::sql::Error> for ApiError {
    fn from(e: crate::sql::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::StaffDisabled | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Rejected(status, _) => *status,
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (status, Json(serde_json::json!({ "error": self.to_string() }))).into_response()
    }
}

/// A JSON body, refused as `{"error": …}`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(r) => Err(ApiError::Rejected(r.status(), r.body_text())),
        }
    }
}

/// A query string, refused as `{"error": …}`.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(ApiError::Rejected(r.status(), r.body_text())),
        }
    }
}

/// A path parameter, refused as `{"error": …}` (a segment that is not UTF-8 once decoded).
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(r) => Err(ApiError::Rejected(r.status(), r.body_text())),
        }
    }
}

/// No route has this path: 404, in the Open311 shape under `/open311/`.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/open311/") {
        return crate::open311::not_found("path: no such endpoint");
    }
    ApiError::NotFound.into_response()
}

/// The path exists, the method does not.
pub async fn method_not_allowed(uri: Uri) -> Response {
    if uri.path().starts_with("/open311/") {
        return crate::open311::error(StatusCode::METHOD_NOT_ALLOWED, "method: not allowed on this path");
    }
    ApiError::Rejected(StatusCode::METHOD_NOT_ALLOWED, "method: not allowed on this path".into())
        .into_response()
}

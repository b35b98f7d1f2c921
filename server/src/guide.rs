//! `GET /api/v1/guide[?since=N]`: the procedures and violations guide, whole or as a delta.
//! The whole catalogue is serialised and compressed once per version and kept in memory.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use crate::catalogue;
use crate::conditional::{not_modified, Representation};
use crate::error::{ApiError, ApiQuery};
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct GuideQuery {
    since: Option<String>,
}

pub async fn get_guide(
    State(state): State<Arc<AppState>>,
    ApiQuery(q): ApiQuery<GuideQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let since = match q.since.as_deref() {
        None => None,
        Some(s) => {
            Some(s.parse::<i64>().map_err(|_| ApiError::BadRequest("since must be an integer".into()))?)
        }
    };
    let version = state.db.call(|c| catalogue::version(c)).await?;
    // The ETag names the catalogue version the answer brings the client to: a client holding it
    // gets 304 whatever `since` it sent, before any catalogue is read.
    let tag = format!("g{version}");
    if let Some(not_modified) = not_modified(&headers, &tag) {
        return Ok(not_modified);
    }
    if since.is_none() {
        if let Some(cached) = state.full_guide.read().await.as_ref().filter(|c| c.tag == tag) {
            return Ok(cached.respond(&headers));
        }
    }
    // Tag the body with the version it was read at, which a concurrent edit may have moved on.
    let (version, body) = state
        .db
        .call(move |c| {
            let guide = catalogue::read(c, since)?;
            Ok((guide.version, serde_json::to_vec(&guide)?))
        })
        .await?;
    let rep = Arc::new(Representation::new(format!("g{version}"), body));
    if since.is_none() {
        *state.full_guide.write().await = Some(Arc::clone(&rep));
    }
    Ok(rep.respond(&headers))
}

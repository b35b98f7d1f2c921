//! Open311 GeoReport v2 under `/open311/v2/` (JSON and XML by suffix), with our extensions
//! (`detailed_status`, `source`, `servicerequestupdates`, `updated_after`, `page`/`page_size`,
//! `Idempotency-Key`, photos as multipart `media`), and the staff workflow under
//! `/api/v1/staff/requests`.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /open311/v2/discovery.{json,xml}` | the endpoint, its formats and changeset |
//! | `GET /open311/v2/services.{fmt}` | categories (`locale=en` for English; Arabic by default) |
//! | `GET /open311/v2/services/{code}.{fmt}` | a category's attributes |
//! | `POST /open311/v2/requests.{fmt}` | a new complaint or suggestion (`api_key` required) |
//! | `GET /open311/v2/requests.{fmt}` | requests by the spec's filters, `page`, `page_size`, `updated_after` (which also combines with a `service_request_id` list) |
//! | `GET /open311/v2/requests/{id}.{fmt}` | one request (a one-element array) |
//! | `POST /open311/v2/requests/{id}/feedback.{fmt}`, `…/reopen.{fmt}` | the citizen's feedback on a closed request, or its reopening (request token; [`followup`]) |
//! | `POST /open311/v2/requests/{id}/follow.{fmt}`, `…/unfollow.{fmt}` | "this is my problem too": another citizen follows the request (api_key and the app's follower id; [`follow`]) |
//! | `GET /open311/v2/tokens/{token}.{fmt}` | the id of the request a token was issued for |
//! | `GET /open311/v2/media/{id}` | a photo sent with a request |
//! | `OPTIONS`, `POST /open311/v2/uploads`, `HEAD`, `PATCH /open311/v2/uploads/{id}` | a photo uploaded after its request, resumably (tus 1.0: [`uploads`]) |
//!
//! Contact fields (email, names, phone, account and device ids) are personal data: stored for
//! staff, never returned by these public endpoints, never logged.

pub(crate) mod categories;
mod extract;
mod follow;
pub(crate) mod followup;
mod format;
mod idempotency;
mod intake_api;
pub mod photo;
mod post;
mod public;
pub(crate) mod staff;
mod state;
pub(crate) mod store;
pub(crate) mod submit;
mod uploads;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, on, options, post, MethodFilter};
use axum::Router;

pub use categories::{Locale, SUGGESTIONS_GROUP};
pub(crate) use format::{error, not_found};
pub use public::MEDIA_CSP;
pub(crate) use state::{context, Context, Open311State};
pub use state::{
    Open311Config, CHANGESET, DEFAULT_JURISDICTION, DEFAULT_MAX_UPLOADS, DEFAULT_PAGE_SIZE, DEMO_API_KEY,
    DEMO_DEPARTMENT_TOKEN_PREFIX, MAX_PAGE_SIZE, SPECIFICATION,
};
pub use submit::{BoundingBox, GAZA_CITY, SOURCES};

use crate::db::Db;
use format::{Failure, Format};

/// Seed the sample categories (with `demo`), and build the Open311 and staff routes; the state is
/// shared with the staff console (see [`Open311State::new`]).
pub(crate) fn router(
    db: Db,
    demo: bool,
    dispatcher_token: Option<&str>,
    config: &Open311Config,
    body_timeout: Duration,
) -> Result<(Router, Arc<Open311State>), String> {
    let state = Arc::new(Open311State::new(db, demo, dispatcher_token, config, body_timeout)?);
    let mut r = Router::new();
    for fmt in Format::ALL {
        let ext = fmt.ext();
        r = r
            .route(
                &format!("/open311/v2/discovery.{ext}"),
                get(move |s: State<Arc<Open311State>>, h: HeaderMap, q: RawQuery| {
                    public::discovery(s, h, q, fmt)
                }),
            )
            .route(&format!("/open311/v2/services.{ext}"), get(move |s, q| public::services(s, q, fmt)))
            .route(
                &format!("/open311/v2/requests.{ext}"),
                get(move |s, h, q| public::get_requests(s, h, q, fmt))
                    .post(move |s, req| post::post_request(s, req, fmt))
                    .layer(DefaultBodyLimit::max(submit::MAX_MULTIPART_BYTES)),
            );
    }
    r = r
        .route("/open311/v2/services/{file}", get(public::service_definition))
        .route("/open311/v2/requests/{file}", get(public::get_request))
        .route("/open311/v2/requests/{id}/{file}", post(request_action))
        .route("/open311/v2/tokens/{file}", get(public::get_token))
        .route("/open311/v2/media/{id}", get(public::get_media))
        .route("/open311/v2/uploads", options(uploads::options).post(uploads::create))
        .route("/open311/v2/uploads/{id}", on(MethodFilter::HEAD, uploads::head).patch(uploads::patch))
        .route("/api/v1/staff/requests", get(staff::list).post(staff::create))
        .route("/api/v1/staff/requests/{id}", get(staff::one))
        .route("/api/v1/staff/requests/{id}/actions", post(staff::action))
        .route("/api/v1/staff/intake", get(intake_api::list))
        .route("/api/v1/staff/intake/{id}", get(intake_api::one))
        .route("/api/v1/staff/intake/{id}/request", post(intake_api::make_request))
        .route("/api/v1/staff/intake/{id}/attach", post(intake_api::attach))
        .route("/api/v1/staff/intake/{id}/dismiss", post(intake_api::dismiss));
    Ok((r.with_state(Arc::clone(&state)), state))
}

/// `POST /open311/v2/requests/{id}/{action}.{fmt}`: the path read once — the format, the request
/// id, the action — then following ([`follow`]) or the citizen's word after a closing
/// ([`followup`]).
async fn request_action(
    State(st): State<Arc<Open311State>>,
    path: Result<Path<(String, String)>, axum::extract::rejection::PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Failure> {
    let Ok(Path((id, file))) = path else {
        return Err(Failure::not_found(Format::Json, "path: not an endpoint of this server"));
    };
    let (action, fmt) = Format::split(&file)?;
    let id = store::parse_id(&id).ok_or_else(|| Failure::not_found(fmt, "service_request_id: not found"))?;
    match action {
        "follow" | "unfollow" => follow::post(st, id, action == "follow", fmt, headers, body).await,
        "feedback" => followup::post(st, id, followup::Action::Feedback, fmt, headers, body).await,
        "reopen" => followup::post(st, id, followup::Action::Reopen, fmt, headers, body).await,
        _ => Err(Failure::not_found(fmt, "path: feedback or reopen, follow or unfollow")),
    }
}

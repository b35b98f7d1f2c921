//! `POST /open311/v2/requests.{fmt}`: a new complaint or suggestion, judged on its head before
//! its body is read, photos held to the upload slots, and replayed byte for byte for a repeated
//! `Idempotency-Key`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use baladiya_wire::RequestCreated;

use super::categories::{self, Locale};
use super::format::{self, Failure, Format, Rendered};
use super::state::{purge_old, Open311State};
use super::submit::{self, GAZA_CITY};
use super::{idempotency, store};
use crate::error::ApiError;
use crate::listener::BodyDeadline;
use crate::sql::Conn;

/// What a POST led to.
enum Posted {
    Created(Rendered),
    Replayed(store::StoredResponse),
}

pub(super) async fn post_request(
    State(st): State<Arc<Open311State>>,
    req: Request,
    fmt: Format,
) -> Result<Response, Failure> {
    let key = idempotency::key(req.headers()).map_err(|m| Failure::bad(fmt, m))?;
    // Judged on the head alone, before any of the body is read: the body's type and declared
    // length, and whatever the query string says of the key, jurisdiction and service.
    let kind = submit::BodyKind::of(req.headers(), fmt)?;
    if submit::content_length(req.headers(), fmt)?.is_some_and(|n| n > kind.max_bytes() as u64) {
        return Err(kind.too_large(fmt));
    }
    let query = submit::parse_form(req.uri().query().unwrap_or("").as_bytes(), fmt)?;
    if let Some(k) = submit::first(&query, "api_key") {
        st.check_api_key(Some(k), fmt)?;
    }
    st.check_jurisdiction(submit::first(&query, "jurisdiction_id"), fmt)?;
    if let Some(code) = submit::first(&query, "service_code") {
        st.check_service(code, fmt).await?;
    }
    // Claimed before the body is read: a retry while this one is still arriving gets 409.
    // The claim is in the database, so a retry that reaches another server process gets 409 too.
    let claim = match &key {
        Some(k) => Some(
            st.in_flight
                .claim(k)
                .await
                .map_err(|e| Failure { format: fmt, ..Failure::from(e) })?
                .ok_or_else(|| {
                    Failure::new(
                        fmt,
                        StatusCode::CONFLICT,
                        "Idempotency-Key: a request with this key is still being processed",
                    )
                })?,
        ),
        None => None,
    };
    let deadline = req.extensions().get::<BodyDeadline>().map(|d| d.0);
    // The channel is the server's to say: a browser's form POST carries Origin, an app does not.
    let channel =
        submit::Channel::Public(if req.headers().contains_key(header::ORIGIN) { "web" } else { "app" });
    let gate = Arc::clone(&st);
    let sub = submit::read(req, fmt, st.max_photo_pixels, move |sub: &submit::Submission| {
        // Before the first photo byte: the fields so far must carry a valid key and service.
        let api_key = sub.get("api_key").map(str::to_owned);
        let jurisdiction = sub.get("jurisdiction_id").map(str::to_owned);
        let code = sub.get("service_code").map(str::to_owned);
        async move {
            gate.check_api_key(api_key.as_deref(), fmt)?;
            gate.check_jurisdiction(jurisdiction.as_deref(), fmt)?;
            let code = code.ok_or_else(|| Failure::bad(fmt, "service_code: required, before the photos"))?;
            gate.check_service(&code, fmt).await?;
            let slot = Arc::clone(&gate.uploads).acquire_owned();
            let slot = match deadline {
                Some(d) => tokio::time::timeout_at(d.into(), slot).await.map_err(|_| {
                    Failure::new(
                        fmt,
                        StatusCode::SERVICE_UNAVAILABLE,
                        "media: the server is busy with other uploads; try again later",
                    )
                })?,
                None => slot.await,
            };
            Ok(slot.ok())
        }
    })
    .await?;
    st.check_api_key(sub.get("api_key"), fmt)?;
    st.check_jurisdiction(sub.get("jurisdiction_id"), fmt)?;
    let locale = Locale::parse(sub.get("locale"));
    let hash = sub.hash(fmt);
    let purge = st.purge_due();
    let posted = st
        .query(fmt, move |conn| {
            // Held until the transaction below has committed (or failed).
            let claim = claim;
            let key = claim.as_ref().map(|c| c.key());
            let posted = store_submission(conn, sub, channel, fmt, locale, &hash, key)?;
            if let Some(claim) = claim {
                claim.release(conn);
            }
            if purge {
                purge_old(conn)?;
            }
            Ok(posted)
        })
        .await??;
    Ok(match posted {
        Posted::Created(r) => r.into_response(),
        Posted::Replayed(s) => {
            let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
            let content_type =
                HeaderValue::from_str(&s.content_type).unwrap_or(HeaderValue::from_static(format::JSON_TYPE));
            (status, [(header::CONTENT_TYPE, content_type)], [("idempotent-replayed", "true")], s.body)
                .into_response()
        }
    })
}

fn store_submission(
    conn: &Conn,
    sub: submit::Submission,
    channel: submit::Channel,
    fmt: Format,
    locale: Locale,
    hash: &str,
    key: Option<&str>,
) -> Result<Result<Posted, Failure>, ApiError> {
    // A transaction that runs beside other processes' (the id from the database, the stamp from
    // the request clock's row). Of two processes storing the same key (the second having taken
    // over a stale claim), the second's insert of the key's record waits for the first's commit
    // and then finds it: its transaction rolls back and it replays the first's record.
    let tx = conn.concurrent_transaction()?;
    if let Some(k) = key {
        if let Some(prev) = store::idempotency_lookup(&tx, k)? {
            return Ok(replay(prev, hash, fmt));
        }
    }
    let category = match sub.get("service_code") {
        None => Err("service_code: required".to_owned()),
        Some(code) => {
            categories::get(&tx, code)?.ok_or_else(|| "service_code: not a service of this server".to_owned())
        }
    };
    let new = match submit::validate(sub, category.as_ref().map_err(Clone::clone), &GAZA_CITY, channel) {
        Ok(n) => n,
        Err(descriptions) => {
            return Ok(Err(Failure { format: fmt, status: StatusCode::BAD_REQUEST, descriptions }))
        }
    };
    let Ok(category) = category else { return Ok(Err(Failure::internal(fmt))) };
    let (id, token) = store::insert(&tx, &new, &category, "citizen")?;
    let created = [RequestCreated {
        service_request_id: Some(id.to_string()),
        token: Some(token),
        service_notice: Some(category.service_notice(locale)),
        account_id: new.contact.account_id.clone(),
    }];
    let rendered = Rendered::ok(fmt, &created, || format::created_xml(&created));
    if let Some(k) = key {
        let stored = store::StoredResponse {
            body_hash: hash.to_owned(),
            status: rendered.status.as_u16(),
            content_type: rendered.content_type.to_owned(),
            body: rendered.body.clone(),
        };
        if !store::idempotency_try_save(&tx, k, id, &stored)? {
            drop(tx);
            return match store::idempotency_lookup(conn, k)? {
                Some(prev) => Ok(replay(prev, hash, fmt)),
                None => Err(ApiError::Internal("Idempotency-Key: record vanished".into())),
            };
        }
    }
    tx.commit()?;
    Ok(Ok(Posted::Created(rendered)))
}

/// The answer to a key that already has a record: its response again, or 422 for another request.
fn replay(prev: store::StoredResponse, hash: &str, fmt: Format) -> Result<Posted, Failure> {
    if prev.body_hash == hash {
        return Ok(Posted::Replayed(prev));
    }
    Err(Failure::new(
        fmt,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Idempotency-Key: already used with a different request",
    ))
}

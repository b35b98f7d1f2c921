//! The channels' intake items through the staff API: what the console's `/staff/messages` pages do,
//! for the municipality's own tools and scripts (and the demo). Only the roles that handle channel
//! messages (the staff token and public relations) may use it: the items hold the senders' numbers
//! and names.
//!
//! | method and path | what |
//! | --- | --- |
//! | `GET /api/v1/staff/intake` | items newest first, 200 a page (`page`, from 1); filters `channel` (`whatsapp`, `facebook`: the `source` a request made of it gets), `status` (`new`, `request`, `attached`, `dismissed`) |
//! | `GET /api/v1/staff/intake/{id}` | one item with its messages |
//! | `POST /api/v1/staff/intake/{id}/request` | make a request of a `new` item: `{"service_code", "attributes"?, "description"?, "lat"?, "long"?, "address_string"?}`; what is not given comes from the item (the channel as `source`, the texts, the location, the name, the WhatsApp number); 201 with the request |
//! | `POST /api/v1/staff/intake/{id}/attach` | `{"request_id": N}`: the messages become an internal note on request N |
//! | `POST /api/v1/staff/intake/{id}/dismiss` | nothing is made of it |
//!
//! An item someone already handled answers 409; the request and the item's mark are one
//! transaction, so an item is never made into two requests.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::categories::Locale;
use super::extract::{param, query_pairs, StaffUser};
use super::staff::{self, Role, StaffError, StaffNew, StaffRequest};
use super::state::{context, Open311State};
use super::store::{parse_id, View};
use crate::channels::handle::{self, Handled};
use crate::channels::media::MediaFetcher;
use crate::channels::store::{self as intake, Item, STATUSES};
use crate::error::{ApiJson, ApiPath};

const LIST_LIMIT: u32 = 200;
const MAX_PAGE: u32 = 250;

#[derive(Debug, Serialize)]
pub struct IntakeItem {
    pub id: i64,
    pub channel: String,
    pub status: String,
    pub request_id: Option<i64>,
    pub first_at: String,
    pub last_at: String,
    pub handled_by: Option<String>,
    /// The WhatsApp number (digits, no `+`) or the Messenger page-scoped id; empty once erased.
    pub sender_id: String,
    pub sender_name: Option<String>,
    /// A tracking number one of the messages quotes.
    pub quoted: Option<String>,
    pub messages: Vec<IntakeMessage>,
}

#[derive(Debug, Serialize)]
pub struct IntakeMessage {
    pub received_at: String,
    pub kind: String,
    pub text: Option<String>,
    pub media_ref: Option<String>,
    pub media_type: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub place: Option<String>,
}

impl From<Item> for IntakeItem {
    fn from(i: Item) -> Self {
        let quoted = i.tracking_number();
        IntakeItem {
            id: i.id,
            channel: i.channel,
            status: i.status,
            request_id: i.request_id,
            first_at: i.first_at,
            last_at: i.last_at,
            handled_by: i.handled_by,
            sender_id: i.sender_id,
            sender_name: i.sender_name,
            quoted,
            messages: i
                .messages
                .into_iter()
                .map(|m| IntakeMessage {
                    received_at: m.received_at,
                    kind: m.kind,
                    text: m.text,
                    media_ref: m.media_ref,
                    media_type: m.media_type,
                    lat: m.location.map(|l| l.0),
                    long: m.location.map(|l| l.1),
                    place: m.place,
                })
                .collect(),
        }
    }
}

/// What staff decide when making a request of an item; the rest comes from the item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FromItem {
    pub service_code: String,
    #[serde(default)]
    pub attributes: Map<String, Value>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub long: Option<f64>,
    #[serde(default)]
    pub address_string: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachTo {
    pub request_id: i64,
}

/// Channel messages are the public-relations team's (and the integrations' token's).
fn may_handle(role: &Role) -> Result<(), StaffError> {
    match role {
        Role::Dispatcher | Role::PublicRelations => Ok(()),
        _ => Err(StaffError(StatusCode::FORBIDDEN, "your role does not handle channel messages".into())),
    }
}

fn item_id(raw: &str) -> Result<i64, StaffError> {
    parse_id(raw).ok_or_else(|| StaffError(StatusCode::NOT_FOUND, "intake item not found".into()))
}

fn outcome(h: Handled) -> Result<(), StaffError> {
    match h {
        Handled::Done => Ok(()),
        Handled::NoItem => Err(StaffError(StatusCode::NOT_FOUND, "intake item not found".into())),
        Handled::NoRequest => Err(StaffError(StatusCode::BAD_REQUEST, "request_id: no such request".into())),
        Handled::Already => {
            Err(StaffError(StatusCode::CONFLICT, "someone has already handled this item".into()))
        }
    }
}

pub async fn list(
    StaffUser(role, _): StaffUser,
    State(st): State<Arc<Open311State>>,
    q: RawQuery,
) -> Result<Json<Vec<IntakeItem>>, StaffError> {
    may_handle(&role)?;
    let pairs = query_pairs(&q);
    let channel = param(&pairs, "channel").map(str::to_owned);
    if let Some(c) = channel.as_deref().filter(|c| !["whatsapp", "facebook"].contains(c)) {
        return Err(StaffError(StatusCode::BAD_REQUEST, format!("channel: whatsapp or facebook, not {c}")));
    }
    let status = param(&pairs, "status").map(str::to_owned);
    if let Some(s) = status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(StaffError(
            StatusCode::BAD_REQUEST,
            format!("status: one of {}, not {s}", STATUSES.join(", ")),
        ));
    }
    let page = match param(&pairs, "page") {
        None => 1,
        Some(p) => p.parse::<u32>().ok().filter(|p| (1..=MAX_PAGE).contains(p)).ok_or_else(|| {
            StaffError(StatusCode::BAD_REQUEST, format!("page: a number from 1 to {MAX_PAGE}"))
        })?,
    };
    let offset = (page - 1) * LIST_LIMIT;
    let items = st
        .db
        .call(move |c| intake::list(c, channel.as_deref(), status.as_deref(), LIST_LIMIT, offset))
        .await?;

    Ok(Json(items.into_iter().map(IntakeItem::from).collect()))
}

pub async fn one(
    StaffUser(role, _): StaffUser,
    State(st): State<Arc<Open311State>>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IntakeItem>, StaffError> {
    may_handle(&role)?;
    let id = item_id(&id)?;
    match st.db.call(move |c| intake::get(c, id)).await? {
        Some(item) => Ok(Json(item.into())),
        None => Err(StaffError(StatusCode::NOT_FOUND, "intake item not found".into())),
    }
}

pub async fn make_request(
    StaffUser(role, actor): StaffUser,
    State(st): State<Arc<Open311State>>,
    Extension(media): Extension<Arc<MediaFetcher>>,
    ApiPath(id): ApiPath<String>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<FromItem>,
) -> Result<(StatusCode, Json<StaffRequest>), StaffError> {
    may_handle(&role)?;
    let id = item_id(&id)?;
    let base = st.base_url(&headers);
    let Some(item) = st.db.call(move |c| intake::get(c, id)).await? else {
        return Err(StaffError(StatusCode::NOT_FOUND, "intake item not found".into()));
    };
    if item.status != "new" {
        return Err(already());
    }
    // The photos first (network, outside the database); the item is checked again with the
    // request's transaction.
    let fetched = media.photos(&item, st.max_photo_pixels).await;
    let mut sub = staff_new(&item, body).into_submission()?;
    sub.photos = fetched.photos;
    let created = st
        .db
        .call(move |c| {
            let ctx = context(c)?;
            let view = View {
                categories: &ctx.categories,
                departments: &ctx.departments,
                locale: Locale::Ar,
                base_url: &base,
            };
            let made = staff::enter_then(c, &view, &role, &actor, sub, |tx, request_id| {
                handle::made_into(tx, id, request_id, &actor)
            })?;
            Ok(made.map_err(|e| if e.0 == StatusCode::CONFLICT { already() } else { e }))
        })
        .await??;
    Ok((StatusCode::CREATED, Json(created)))
}

fn already() -> StaffError {
    StaffError(StatusCode::CONFLICT, "someone has already handled this item".into())
}

/// The request's fields: staff's choices over what the citizen sent.
fn staff_new(item: &Item, body: FromItem) -> StaffNew {
    let from_item = handle::prefill(item);
    let sent = |name: &str| from_item.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let coordinate = |name: &str| sent(name).and_then(|v| v.parse::<f64>().ok());
    StaffNew {
        service_code: body.service_code,
        source: item.channel.clone(),
        description: body.description.or_else(|| sent("description")).filter(|d| !d.trim().is_empty()),
        lat: body.lat.or_else(|| coordinate("lat")),
        long: body.long.or_else(|| coordinate("long")),
        address_string: body.address_string.or_else(|| sent("address_string")),
        attributes: body.attributes,
        email: None,
        first_name: sent("first_name"),
        last_name: None,
        phone: sent("phone"),
        account_id: None,
        media_url: None,
    }
}

pub async fn attach(
    StaffUser(role, actor): StaffUser,
    State(st): State<Arc<Open311State>>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<AttachTo>,
) -> Result<StatusCode, StaffError> {
    may_handle(&role)?;
    let id = item_id(&id)?;
    outcome(st.db.call(move |c| handle::attach(c, id, body.request_id, &actor)).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn dismiss(
    StaffUser(role, actor): StaffUser,
    State(st): State<Arc<Open311State>>,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, StaffError> {
    may_handle(&role)?;
    let id = item_id(&id)?;
    outcome(st.db.call(move |c| handle::dismiss(c, id, &actor)).await?)?;
    Ok(StatusCode::NO_CONTENT)
}

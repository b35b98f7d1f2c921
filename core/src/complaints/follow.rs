//! "This is my problem too" (issue 15.3). Before a complaint is filed, the open requests of its
//! category already reported within [`NEARBY_RADIUS_M`] metres are asked of the municipality's
//! server (the request list's `lat`, `long` and `radius` extension); the citizen may follow one of
//! them instead of reporting the same broken streetlight again.
//!
//! - The step is skipped, never an error: with no point to search around, against another city's
//!   server (which would ignore the extension and answer its newest requests anywhere), against
//!   one that refused the extension, or with no network — the complaint is then filed as usual.
//! - What the server lists is checked again here: only requests with a point within the radius,
//!   nearest first (a server that ignored the radius cannot make the app offer a request across
//!   the city).
//! - Following needs no network: the request becomes a `followed` row of the complaints table in
//!   state `sent` with the server's id, so the refresh watches it like the citizen's own and
//!   announces its changes (its history before the following is not news). The municipality is
//!   told on the next refresh (`POST requests/{id}/follow`, idempotent per app), to count it.
//! - What the app sends as its follower is SHA-256 of a random secret (made once, kept in
//!   `complaint_meta`) and the request's number: nothing names the citizen, each app counts once
//!   per request, and two requests followed by one app cannot be linked by the server.
//! - The citizen waits at most [`NEARBY_WAIT`] for the step; a point outside the municipality (or
//!   not a number) is not asked about.

use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};

use super::{outbox, Area, ComplaintDraft, GeoPoint};
use crate::error::{Error, Result};
use crate::open311::{NearbyRemote, Open311Client};
use crate::store::Store;

/// How far around the complaint's point to look, in metres (the 50 m).
pub const NEARBY_RADIUS_M: u32 = 50;
const FOLLOWER_KEY: &str = "follower_id";

/// An open request reported near the complaint being written.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NearbyRequest {
    /// The municipality's number for it.
    pub service_request_id: String,
    pub service_code: String,
    pub service_name: String,
    pub description: Option<String>,
    pub address: Option<String>,
    pub location: GeoPoint,
    /// How far from the complaint's point, in whole metres.
    pub distance_m: u32,
    pub detailed_status: Option<String>,
    pub requested_datetime: Option<String>,
    /// When it last changed (the server's clock): what changes after the citizen follows it is
    /// news to them.
    pub updated_datetime: Option<String>,
    /// Citizens already following it.
    pub followers: u32,
    /// Already on this phone: the citizen's own complaint, or one they follow.
    pub on_this_phone: bool,
}

/// Why the nearby step was skipped: the complaint is filed as usual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NearbySkip {
    /// The complaint has no point (an address only).
    NoLocation,
    /// The complaints server is another city's, or does not take the nearby extension.
    NotSupported,
    /// No network (or the server did not answer): not worth waiting for.
    Offline,
}

/// What the nearby step found.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NearbyCheck {
    /// The open requests of the category within the radius, nearest first (maybe none).
    Found {
        requests: Vec<NearbyRequest>,
    },
    Skipped {
        reason: NearbySkip,
    },
}

/// Distance in metres between two points this close (equirectangular, as the server's filter).
pub fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const EARTH_M: f64 = 6_371_000.0;
    let mid = ((a.lat + b.lat) / 2.0).to_radians();
    let x = (b.long - a.long).to_radians() * mid.cos();
    let y = (b.lat - a.lat).to_radians();
    (x * x + y * y).sqrt() * EARTH_M
}

/// The longest the citizen waits for the nearby step before the complaint is filed as usual: on a
/// stalled 2G link the client's own timeouts (tens of seconds) are too long to hold a form.
pub const NEARBY_WAIT: Duration = Duration::from_secs(4);

/// Ask the server for the open requests of `service_code` around `point` (a point inside `area`;
/// any other is not asked about: the complaint's own check refuses it) and keep those really
/// within the radius, nearest first, each marked when it is already on this phone.
pub async fn nearby(
    store: &Store,
    client: &Open311Client,
    area: &Area,
    service_code: &str,
    point: Option<GeoPoint>,
) -> Result<NearbyCheck> {
    let Some(point) = point.filter(|p| p.lat.is_finite() && p.long.is_finite() && area.contains(*p)) else {
        return Ok(NearbyCheck::Skipped { reason: NearbySkip::NoLocation });
    };
    let asked = client.open_requests_near(service_code, (point.lat, point.long), NEARBY_RADIUS_M);
    let listed = match tokio::time::timeout(NEARBY_WAIT, asked).await {
        Ok(Ok(Some(listed))) => listed,
        Ok(Ok(None) | Err(Error::Rejected { .. })) => {
            return Ok(NearbyCheck::Skipped { reason: NearbySkip::NotSupported })
        }
        Ok(Err(_)) | Err(_) => return Ok(NearbyCheck::Skipped { reason: NearbySkip::Offline }),
    };
    let here: Vec<String> = store.read(|c| {
        Ok(c.prepare_cached("SELECT server_id FROM complaints WHERE server_id IS NOT NULL")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    })?;
    let mut found: Vec<NearbyRequest> = listed
        .into_iter()
        .filter(|r| r.status == "open" && r.service_code == service_code)
        .filter_map(|r| {
            let at = GeoPoint { lat: r.lat, long: r.long };
            let d = distance_m(point, at);
            (d <= f64::from(NEARBY_RADIUS_M)).then(|| shown(r, at, d, &here))
        })
        .collect();
    found.sort_by_key(|r| r.distance_m);
    Ok(NearbyCheck::Found { requests: found })
}

fn shown(r: NearbyRemote, location: GeoPoint, distance: f64, here: &[String]) -> NearbyRequest {
    NearbyRequest {
        on_this_phone: here.contains(&r.id),
        service_request_id: r.id,
        service_code: r.service_code,
        service_name: r.service_name,
        description: r.description,
        address: r.address,
        location,
        distance_m: distance.round() as u32,
        detailed_status: r.detailed_status,
        requested_datetime: r.requested_datetime,
        updated_datetime: r.updated_datetime,
        followers: r.followers.unwrap_or(0),
    }
}

/// Follow `request` (from [`nearby`]) with no network: a `followed` row the refresh watches.
/// Returns its local id; following a request already on this phone returns that row's.
pub fn follow(tx: &Transaction<'_>, request: &NearbyRequest, now: i64) -> Result<String> {
    let id = &request.service_request_id;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(Error::validation("service_request_id", "not a request number"));
    }
    if !(request.location.lat.is_finite() && request.location.long.is_finite()) {
        return Err(Error::validation("location", "not a point"));
    }
    let known: Option<String> = tx
        .query_row(
            "SELECT local_id FROM complaints WHERE server_id = ?1 AND state = 'sent'",
            [&request.service_request_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(local_id) = known {
        return Ok(local_id);
    }
    let draft = ComplaintDraft {
        service_code: request.service_code.clone(),
        description: request.description.clone().unwrap_or_default(),
        attributes: Vec::new(),
        location: Some(request.location),
        address: request.address.clone(),
        contact: None,
    };
    let local_id = outbox::insert(tx, &draft, &[], now)?;
    tx.execute(
        "UPDATE complaints SET state = 'sent', followed = 1, server_id = ?2, status = 'open',
             detailed_status = ?3, followers = ?4, sent_at = ?5, followed_at = ?6
         WHERE local_id = ?1",
        params![
            local_id,
            request.service_request_id,
            request.detailed_status,
            // The citizen is one of them now; the server's own count replaces this when it answers.
            request.followers.saturating_add(1),
            now,
            request.updated_datetime
        ],
    )?;
    Ok(local_id)
}

/// What this app says to follow `request_id`: SHA-256 of its secret (made once, on first use) and
/// the request, so the server counts each app once per request but cannot tell that two requests
/// are followed by the same app (all within 50 m of where its citizen was: a trail of places).
fn follower_for(secret: &str, request_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(secret.as_bytes())
        .chain_update(b"\0")
        .chain_update(request_id.as_bytes())
        .finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// This app's follower secret, made on first use.
fn follower_secret(store: &Store) -> Result<String> {
    store.write(|tx| {
        let known: Option<String> = tx
            .query_row("SELECT value FROM complaint_meta WHERE key = ?1", [FOLLOWER_KEY], |r| r.get(0))
            .optional()?;
        if let Some(id) = known {
            return Ok(id);
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        tx.execute("INSERT INTO complaint_meta (key, value) VALUES (?1, ?2)", params![FOLLOWER_KEY, id])?;
        Ok(id)
    })
}

fn unsent(conn: &Connection) -> Result<Vec<(String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT local_id, server_id FROM complaints
             WHERE followed = 1 AND follow_sent = 0 AND server_id IS NOT NULL ORDER BY seq",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Tell the municipality of the followings it has not counted yet. A refusal that names the
/// request or the endpoint (400, 404, 410) is final for that row; anything else stops here and
/// the next flush or refresh tries again. Returns how many were counted.
pub async fn send_unsent(store: &Store, client: &Open311Client) -> Result<u32> {
    let pending = store.read(unsent)?;
    if pending.is_empty() || !client.is_municipal_server() {
        return Ok(0);
    }
    let secret = follower_secret(store)?;
    let mut counted = 0;
    for (local_id, server_id) in pending {
        let follower = follower_for(&secret, &server_id);
        let followers = match client.post_follow(&server_id, &follower, true).await {
            Ok(shown) => {
                counted += 1;
                shown.and_then(|r| r.followers)
            }
            // Final: the request is gone, or the server does not take following. Anything else
            // (a key being rotated, a proxy's 403) is tried again on the next refresh.
            Err(Error::Rejected { status: 400 | 404 | 410, .. }) => None,
            Err(e) => return Err(e),
        };
        store.write(|tx| {
            tx.execute(
                "UPDATE complaints SET follow_sent = 1, followers = COALESCE(?2, followers) WHERE local_id = ?1",
                params![local_id, followers],
            )?;
            Ok(())
        })?;
    }
    Ok(counted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_follower_differs_per_request_and_stays_the_same_for_one() {
        let a = follower_for("secret", "12");
        assert_eq!(a, follower_for("secret", "12"));
        assert_ne!(a, follower_for("secret", "13"));
        assert_ne!(a, follower_for("other", "12"));
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn distances_near_gaza_are_right_to_a_metre() {
        let here = GeoPoint { lat: 31.52, long: 34.45 };
        // 0.00027° of latitude ≈ 30 m; 0.00211° of longitude at 31.5° ≈ 200 m.
        let north = distance_m(here, GeoPoint { lat: 31.52027, long: 34.45 });
        let east = distance_m(here, GeoPoint { lat: 31.52, long: 34.45211 });
        assert!((north - 30.0).abs() < 1.0, "{north}");
        assert!((east - 200.2).abs() < 1.5, "{east}");
        assert_eq!(distance_m(here, here), 0.0);
    }
}

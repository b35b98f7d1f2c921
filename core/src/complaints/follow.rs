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
//! - The app's follower id is random, made once and kept in `complaint_meta`: nothing that names
//!   the citizen goes with it.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{outbox, ComplaintDraft, GeoPoint};
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

/// Ask the server for the open requests of `service_code` around `point` and keep those really
/// within the radius, nearest first, each marked when it is already on this phone.
pub async fn nearby(
    store: &Store,
    client: &Open311Client,
    service_code: &str,
    point: Option<GeoPoint>,
) -> NearbyCheck {
    let Some(point) = point else {
        return NearbyCheck::Skipped { reason: NearbySkip::NoLocation };
    };
    let listed = match client.open_requests_near(service_code, (point.lat, point.long), NEARBY_RADIUS_M).await
    {
        Ok(Some(listed)) => listed,
        Ok(None) | Err(Error::Rejected { .. }) => {
            return NearbyCheck::Skipped { reason: NearbySkip::NotSupported }
        }
        Err(_) => return NearbyCheck::Skipped { reason: NearbySkip::Offline },
    };
    let here: Vec<String> = store
        .read(|c| {
            Ok(c.prepare_cached("SELECT server_id FROM complaints WHERE server_id IS NOT NULL")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?)
        })
        .unwrap_or_default();
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
    NearbyCheck::Found { requests: found }
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
        followers: r.followers.unwrap_or(0),
    }
}

/// Follow `request` (from [`nearby`]) with no network: a `followed` row the refresh watches.
/// Returns its local id; following a request already on this phone returns that row's.
pub fn follow(tx: &Transaction<'_>, request: &NearbyRequest, now: i64) -> Result<String> {
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
             detailed_status = ?3, followers = ?4, sent_at = ?5
         WHERE local_id = ?1",
        params![local_id, request.service_request_id, request.detailed_status, request.followers, now],
    )?;
    Ok(local_id)
}

/// This app's follower id, made on first use.
fn follower_id(store: &Store) -> Result<String> {
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

/// Tell the municipality of the followings it has not counted yet. A refusal (the request is gone,
/// or the server does not take following) is final for that row; a transient failure stops here
/// and the next refresh tries again. Returns how many were counted.
pub async fn send_unsent(store: &Store, client: &Open311Client) -> Result<u32> {
    let pending = store.read(unsent)?;
    if pending.is_empty() || !client.is_municipal_server() {
        return Ok(0);
    }
    let follower = follower_id(store)?;
    let mut counted = 0;
    for (local_id, server_id) in pending {
        let followers = match client.post_follow(&server_id, &follower, true).await {
            Ok(shown) => {
                counted += 1;
                shown.and_then(|r| r.followers)
            }
            Err(Error::Rejected { .. }) => None,
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

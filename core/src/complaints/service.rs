//! Complaints as a feature service: the outbox's state (one flush at a time, the complaint in
//! flight, whether the network is metered), its store access and its Open311 client. Events go
//! out through the [`Announce`] callback the facade gives it ([`crate::Baladiya`] turns each into
//! an [`crate::BaladiyaEvent`]); the state machines it drives ([`super::flush`], [`super::refresh`]) are
//! generic over [`super::transport::Open311Transport`] and tested on their own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::flush::ComplaintFlushReport;
use super::refresh::RefreshReport;
use super::{Announce, Area, Complaint, ComplaintDraft, PhotoChoice};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::open311::{AttributeDef, ComplaintCategory, Open311Client};
use crate::photo;
use crate::store::Store;
use crate::throughput::Throughput;

pub struct Complaints {
    store: Arc<Store>,
    open311: Open311Client,
    clock: Arc<dyn Clock>,
    /// Complaints must point inside it (or give an address).
    area: Area,
    announce: Announce,
    /// One flush at a time: a second caller waits and then finds the queue already sent.
    flushing: tokio::sync::Mutex<()>,
    /// The complaint a flush is sending right now (not to be edited or cancelled meanwhile).
    in_flight: Mutex<Option<String>>,
    /// The link's throughput from recent transfers (photo sizes on a slow link).
    throughput: Arc<Throughput>,
    /// The shell says the network is metered (until told otherwise, it is).
    metered: AtomicBool,
}

impl Complaints {
    pub fn new(
        store: Arc<Store>,
        open311: Open311Client,
        clock: Arc<dyn Clock>,
        area: Area,
        throughput: Arc<Throughput>,
        announce: Announce,
    ) -> Complaints {
        Complaints {
            store,
            open311,
            clock,
            area,
            announce,
            flushing: tokio::sync::Mutex::new(()),
            in_flight: Mutex::new(None),
            throughput,
            metered: AtomicBool::new(true),
        }
    }
}

/// One complaint with what its screens need: overdue, feedback and reopening.
fn read_one(conn: &rusqlite::Connection, local_id: &str, now: i64, own_server: bool) -> Result<Complaint> {
    let mut c = super::outbox::get(conn, local_id)?;
    c.overdue = c.is_overdue(now);
    let rows = super::followup::rows(conn, local_id)?;
    super::followup::decorate(&mut c, &rows, now, own_server);
    Ok(c)
}

impl Complaints {
    /// The language asked of the complaints server from now on (`ar`, `en`): the app's, when the
    /// citizen switches it. The cached categories keep their names until the next refresh.
    pub fn set_locale(&self, locale: &str) {
        self.open311.set_locale(locale);
    }

    /// Fetch the complaint categories and their definitions into the offline cache.
    pub async fn refresh_categories(&self) -> Result<usize> {
        super::categories::refresh(&self.store, &self.open311).await
    }

    /// The cached categories (complaints and suggestions), in the server's order.
    pub fn categories(&self) -> Result<Vec<ComplaintCategory>> {
        self.store.read(super::categories::list)
    }

    /// The attributes to fill in for one category (empty when it has none).
    pub fn definition(&self, code: &str) -> Result<Vec<AttributeDef>> {
        match self.store.read(|c| super::categories::get(c, code))? {
            Some((_, definition)) => Ok(definition.unwrap_or_default()),
            None => Err(Error::NotFound(format!("category {code}"))),
        }
    }

    /// File a complaint with no network: check it against the cached definition, prepare the
    /// photos (downscaled, re-encoded, metadata stripped), and write it to the outbox with them in
    /// one transaction. Returns the tracking number at once; sending happens on `flush`.
    pub fn submit(&self, draft: ComplaintDraft, photos: &[Vec<u8>]) -> Result<String> {
        self.submit_with(draft, photos, PhotoChoice::default())
    }

    /// [`Complaints::submit`] with the citizen's choice for the photos: on a link the
    /// core has seen to be slow ([`crate::throughput`]) they are prepared smaller
    /// ([`photo::PhotoSize::SLOW_LINK`]) unless `full_quality`; `on_unmetered_only` keeps them
    /// until the shell reports a network that is not metered ([`Complaints::set_metered`]).
    pub fn submit_with(
        &self,
        draft: ComplaintDraft,
        photos: &[Vec<u8>],
        choice: PhotoChoice,
    ) -> Result<String> {
        let draft = self.checked(draft)?;
        if photos.len() > photo::MAX_PHOTOS {
            return Err(Error::validation("photos", format!("at most {} photos", photo::MAX_PHOTOS)));
        }
        let size = if !choice.full_quality && self.throughput.slow() {
            photo::PhotoSize::SLOW_LINK
        } else {
            photo::PhotoSize::FULL
        };
        let prepared = photos
            .iter()
            .map(|p| photo::prepare_sized(p, size).map(|x| x.jpeg))
            .collect::<Result<Vec<_>>>()?;
        let now = self.clock.now_ms();
        self.store.write(|tx| {
            let id = super::outbox::insert(tx, &draft, &prepared, now)?;
            if choice.on_unmetered_only && !prepared.is_empty() {
                super::outbox::set_photos_unmetered_only(tx, &id)?;
            }
            Ok(id)
        })
    }

    /// The link's throughput in bytes per second as recent transfers measured it (none yet after
    /// opening).
    pub fn link_throughput(&self) -> Option<u64> {
        self.throughput.estimate()
    }

    /// The shell tells whether the network is metered (mobile data) or not (Wi-Fi); photos the
    /// citizen chose to send on Wi-Fi go only while it is not. Until told, it is metered.
    pub fn set_metered(&self, metered: bool) {
        self.metered.store(metered, Ordering::Relaxed);
    }

    fn checked(&self, draft: ComplaintDraft) -> Result<ComplaintDraft> {
        let (known, entry) = self.store.read(|c| {
            Ok((super::categories::any_cached(c)?, super::categories::get(c, draft.service_code.trim())?))
        })?;
        let (category, definition) = match &entry {
            Some((c, d)) => (Some(c), d.as_deref()),
            None => (None, None),
        };
        super::validate::check(draft, known, category, definition, &self.area)
    }

    /// Every complaint on this phone, newest first, with its state and history.
    pub fn list(&self) -> Result<Vec<Complaint>> {
        let now = self.clock.now_ms();
        let own = self.open311.is_municipal_server();
        self.store.read(|conn| {
            let mut all = super::outbox::list(conn)?;
            for c in &mut all {
                c.overdue = c.is_overdue(now);
                let rows = super::followup::rows(conn, &c.local_id)?;
                super::followup::decorate(c, &rows, now, own);
            }
            Ok(all)
        })
    }

    pub fn get(&self, local_id: &str) -> Result<Complaint> {
        let now = self.clock.now_ms();
        let own = self.open311.is_municipal_server();
        self.store.read(|conn| read_one(conn, local_id, now, own))
    }

    /// Say whether a closed complaint was really resolved (yes or no, 1 to 5 stars, a comment),
    /// once per closing, with no network: written to the outbox under its own idempotency key and
    /// sent by the next flush, exactly once.
    pub fn give_feedback(&self, local_id: &str, feedback: super::followup::FeedbackDraft) -> Result<()> {
        let now = self.clock.now_ms();
        let own = self.open311.is_municipal_server();
        self.store.write(|tx| {
            let c = read_one(tx, local_id, now, own)?;
            super::followup::insert_feedback(tx, &c, &feedback, now)
        })
    }

    /// Ask to reopen a closed complaint, within 14 days of its closing, with the reason; with no
    /// network, through the outbox as [`Complaints::give_feedback`]. The municipality puts it back
    /// in the department's queue when it arrives.
    pub fn reopen(&self, local_id: &str, reason: &str) -> Result<()> {
        let now = self.clock.now_ms();
        let own = self.open311.is_municipal_server();
        self.store.write(|tx| {
            let c = read_one(tx, local_id, now, own)?;
            super::followup::insert_reopen(tx, &c, reason, now)
        })
    }

    /// Withdraw a complaint that has not left the phone (or that the server refused).
    pub fn cancel(&self, local_id: &str) -> Result<()> {
        self.not_in_flight(local_id)?;
        self.store.write(|tx| super::outbox::cancel(tx, local_id))
    }

    /// Replace a refused (or not yet attempted) complaint's draft and queue it again.
    pub fn edit(&self, local_id: &str, draft: ComplaintDraft) -> Result<()> {
        self.not_in_flight(local_id)?;
        let draft = self.checked(draft)?;
        self.store.write(|tx| super::outbox::replace_draft(tx, local_id, &draft))
    }

    /// Queue a refused complaint again unchanged.
    pub fn resend(&self, local_id: &str) -> Result<()> {
        self.not_in_flight(local_id)?;
        self.store.write(|tx| super::outbox::requeue(tx, local_id))
    }

    fn not_in_flight(&self, local_id: &str) -> Result<()> {
        let busy = self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).as_deref() == Some(local_id);
        if busy {
            return Err(Error::validation("local_id", "being sent right now"));
        }
        Ok(())
    }

    /// Send what is due by its retry schedule, stopping at `deadline_ms` on the core's clock.
    pub async fn flush(&self, force: bool, deadline_ms: Option<i64>) -> Result<ComplaintFlushReport> {
        let _one_at_a_time = self.flushing.lock().await;
        let flusher = super::flush::Flusher {
            store: &self.store,
            client: &self.open311,
            clock: self.clock.as_ref(),
            announce: &self.announce,
            in_flight: &self.in_flight,
            metered: self.metered.load(Ordering::Relaxed),
        };
        let report =
            super::extensions::around(&self.store, &self.open311, flusher.run(force, deadline_ms)).await?;
        // Followings made offline are counted as soon as the network is back, as complaints are
        // sent; a failure here is left to the next refresh, which sends them too.
        if report.retry_later.is_none() {
            if let Err(e) = super::follow::send_unsent(&self.store, &self.open311).await {
                tracing::debug!(error = %e, "followings not counted yet");
            }
        }
        Ok(report)
    }

    /// Send what is queued, then bring the municipality's answers, as [`super::send`] decides:
    /// the refresh is skipped when the server could not be reached, and a transient failure is
    /// reported, not thrown.
    pub async fn send_and_refresh(&self) -> Result<super::send::SendAndRefreshReport> {
        super::send::send_and_refresh(self.flush(true, None), || self.refresh()).await
    }

    /// Before filing: the open requests of `service_code` already reported near `point`
    /// ([`super::follow`]); skipped (never an error) offline, without a point or against a server
    /// that does not take the extension.
    pub async fn nearby(
        &self,
        service_code: &str,
        point: Option<super::GeoPoint>,
    ) -> Result<super::follow::NearbyCheck> {
        // Within `around`: the refused extensions remembered in the store are known before asking,
        // and one refused now is remembered for the next start.
        let nearby =
            super::follow::nearby(&self.store, &self.open311, &self.area, service_code.trim(), point);
        super::extensions::around(&self.store, &self.open311, nearby).await
    }

    /// Follow a request found nearby instead of filing the same problem again, with no network:
    /// watched from now on like the citizen's own complaints. Returns its local id.
    pub fn follow(&self, request: &super::follow::NearbyRequest) -> Result<String> {
        let now = self.clock.now_ms();
        self.store.write(|tx| super::follow::follow(tx, request, now))
    }

    /// Bring status changes and replies for the citizen's sent complaints (and the requests they
    /// follow, after telling the municipality of new followings); announces each new history entry.
    pub async fn refresh(&self) -> Result<RefreshReport> {
        // A following the server will not count now must not hold back the complaints' answers.
        if let Err(e) = super::follow::send_unsent(&self.store, &self.open311).await {
            tracing::debug!(error = %e, "followings not counted yet");
        }
        let refresh =
            super::refresh::refresh(&self.store, &self.open311, self.clock.as_ref(), &self.announce);
        super::extensions::around(&self.store, &self.open311, refresh).await
    }
}

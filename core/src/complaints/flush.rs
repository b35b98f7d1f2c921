//! Sending queued complaints, oldest first, each under the idempotency key it was stored with;
//! then the photos of sent complaints.
//!
//! Text first, photos after: to a server that takes resumable uploads (the municipality's own,
//! asked once with `OPTIONS`), a complaint goes as one small form POST (its tracking number and the
//! department's work start at once, even on 2G) and its photos follow as uploads
//! ([`super::photos`]), after every queued complaint's text. To a plain GeoReport v2 server the
//! photos go inside the POST as before, under a total budget that grows with their bytes
//! ([`crate::transfer`]).
//!
//! Outcomes: the server's answer marks it sent; a refusal (4xx) moves it to "needs attention" with
//! the server's reason and the flush goes on to the next; a transient failure (offline, timeout,
//! 5xx, 408, 409, 429) schedules a retry with backoff and ends the flush, so complaints arrive in
//! the order they were written. Dropping a flush mid-request is safe: the row is still queued under
//! the same key, and the next flush sends it again for the server to recognise; and since each
//! attempt is recorded as possibly delivered before it leaves ([`outbox::mark_attempting`]), a
//! complaint the server may have can no longer be cancelled or edited as if it had not.

use std::time::Duration;

use std::sync::Arc;

use super::categories;
use super::followup_send::{FollowUpRefusal, SentFollowUp};
use super::outbox::{self, Pending};
use super::photos::{PhotoSender, Ticker};
use super::transport::Open311Transport;
use super::validate::form_fields;
use super::{Announce, ComplaintEvent, UploadProgress};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SentComplaint {
    pub local_id: String,
    pub server_id: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RetryLater {
    pub local_id: String,
    pub error: String,
    /// The server could not be reached at all (the phone is offline or the server is down).
    pub offline: bool,
    pub next_attempt_at: i64,
}

/// A complaint (or its photo) the server refused, and the server's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Refusal {
    pub local_id: String,
    pub reason: String,
}

/// What a flush did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ComplaintFlushReport {
    pub sent: Vec<SentComplaint>,
    /// Refused by the server: the citizen can fix and resend, or cancel.
    pub needs_attention: Vec<Refusal>,
    /// The complaint that failed transiently and ended the flush.
    pub retry_later: Option<RetryLater>,
    /// Queued complaints left after this flush.
    pub remaining: u32,
    /// Photos that reached the server after their complaint, in this flush.
    pub photos_uploaded: u32,
    /// Photos the server refused, by their complaint's tracking id.
    pub photos_refused: Vec<Refusal>,
    /// The complaint whose photos failed transiently and ended the photo uploads.
    pub photos_retry_later: Option<RetryLater>,
    /// Photos of sent complaints still to upload after this flush.
    pub photos_remaining: u32,
    /// Feedback and reopenings the server took in this flush ([`super::followup`]).
    pub followups_sent: Vec<SentFollowUp>,
    /// Feedback and reopenings the server refused, with its reason.
    pub followups_refused: Vec<FollowUpRefusal>,
    /// The follow-up that failed transiently and ended the follow-ups.
    pub followups_retry_later: Option<RetryLater>,
    /// Feedback and reopenings still queued after this flush.
    pub followups_remaining: u32,
    /// The time budget ran out before the queue did.
    pub out_of_time: bool,
}

/// One flush's view of the world: the store, the server (any [`Open311Transport`]), the clock
/// every decision reads, and where its events go.
pub struct Flusher<'a, T: Open311Transport> {
    pub store: &'a Store,
    pub client: &'a T,
    pub clock: &'a dyn Clock,
    /// Where its events go.
    pub announce: &'a Announce,
    /// The complaint being sent right now, which may not be edited or cancelled meanwhile.
    pub in_flight: &'a std::sync::Mutex<Option<String>>,
    /// The network is metered (photos waiting for Wi-Fi stay).
    pub metered: bool,
}

impl<T: Open311Transport> Flusher<'_, T> {
    /// Send what is due (everything queued when `force`), until the queue is empty, a transient
    /// failure, or `deadline_ms` on the core's clock. (The Open311 client's memory of refused
    /// extension fields is the caller's: [`super::extensions::around`].)
    pub async fn run(&self, force: bool, deadline_ms: Option<i64>) -> Result<ComplaintFlushReport> {
        let mut report = ComplaintFlushReport::default();
        let mut after_seq = 0;
        loop {
            let now = self.clock.now_ms();
            if deadline_ms.is_some_and(|d| now >= d) {
                report.out_of_time = true;
                break;
            }
            let Some((seq, pending)) = self.store.read(|c| outbox::next_pending(c, force, now, after_seq))?
            else {
                break;
            };
            after_seq = seq;
            // Cleared on drop too: a flush cancelled mid-request must not pin the complaint.
            let _sending = InFlight::set(self.in_flight, &pending.local_id);
            if !pending.maybe_delivered {
                self.store.write(|tx| outbox::mark_attempting(tx, &pending.local_id))?;
            }
            let outcome = self.send(&pending).await;
            if self.record(&pending, outcome, &mut report)? {
                break;
            }
        }
        if report.retry_later.is_none() && !report.out_of_time {
            // What the citizen said after a closing is small: before the photos.
            let f = self.send_followups(force, deadline_ms).await?;
            report.followups_sent = f.sent;
            report.followups_refused = f.refused;
            report.followups_retry_later = f.retry_later;
            report.out_of_time |= f.out_of_time;
        }
        if report.retry_later.is_none() && report.followups_retry_later.is_none() && !report.out_of_time {
            self.send_photos(force, deadline_ms, &mut report).await?;
        }
        report.followups_remaining = self.store.read(super::followup::remaining)?;
        (report.remaining, report.photos_remaining) = self.store.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM complaints WHERE state = 'queued'),
                        (SELECT COUNT(*) FROM complaint_photos p JOIN complaints c USING (local_id)
                         WHERE c.state = 'sent' AND p.state = 'pending')",
                [],
                |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32)),
            )?)
        })?;
        Ok(report)
    }

    /// The complaint's text, and its photos too unless they can follow as uploads. Returns what
    /// the server answered and whether the photos went with it.
    async fn send(&self, p: &Pending) -> Result<(crate::open311::Created, bool)> {
        let definition = self.store.read(|c| categories::get(c, &p.draft.service_code))?.and_then(|(_, d)| d);
        let fields = form_fields(&p.draft, definition.as_deref());
        if p.photos.is_empty() || self.client.supports_uploads().await? {
            let created = self.client.post_request(&fields, &[], &p.idempotency_key, None).await?;
            return Ok((created, p.photos.is_empty()));
        }
        let ticker = Ticker::new(Arc::clone(self.announce));
        let (local_id, count) = (p.local_id.clone(), p.photos.len() as u32);
        let progress: crate::transfer::ProgressFn = Arc::new(move |sent, total| {
            ticker.tell(
                UploadProgress {
                    local_id: local_id.clone(),
                    photo_index: 0,
                    photo_count: count,
                    photo_bytes_sent: sent,
                    photo_bytes_total: total,
                    bytes_sent: sent,
                    bytes_total: total,
                },
                sent == total,
            )
        });
        let created =
            self.client.post_request(&fields, &p.photos, &p.idempotency_key, Some(progress)).await?;
        Ok((created, true))
    }

    /// Upload the photos of sent complaints, oldest first, until a transient failure, the
    /// deadline, or none is left.
    async fn send_photos(
        &self,
        force: bool,
        deadline_ms: Option<i64>,
        report: &mut ComplaintFlushReport,
    ) -> Result<()> {
        let mut after_seq = 0;
        loop {
            let now = self.clock.now_ms();
            if deadline_ms.is_some_and(|d| now >= d) {
                report.out_of_time = true;
                return Ok(());
            }
            let Some(pending) =
                self.store.read(|c| outbox::next_photos(c, force, self.metered, now, after_seq))?
            else {
                return Ok(());
            };
            after_seq = pending.seq;
            let sender = PhotoSender {
                store: self.store,
                client: self.client,
                ticker: Ticker::new(Arc::clone(self.announce)),
            };
            let outcome = sender.send(&pending).await?;
            report.photos_uploaded += outcome.uploaded;
            for (_, reason) in &outcome.refused {
                report
                    .photos_refused
                    .push(Refusal { local_id: pending.local_id.clone(), reason: reason.clone() });
            }
            if let Some(e) = outcome.failed {
                let retry_after = match &e {
                    Error::Throttled { retry_after } => Some(*retry_after),
                    _ => None,
                };
                let mut rng = fastrand::Rng::new();
                let wait = super::backoff::delay(pending.attempts + 1, retry_after, &mut rng);
                let next = self.clock.now_ms() + wait.min(Duration::from_secs(24 * 3600)).as_millis() as i64;
                let error = e.to_string();
                self.store.write(|tx| outbox::mark_photos_retry(tx, &pending.local_id, &error, next))?;
                report.photos_retry_later = Some(RetryLater {
                    local_id: pending.local_id.clone(),
                    error,
                    offline: matches!(e, Error::Offline),
                    next_attempt_at: next,
                });
                return Ok(());
            }
            let (uploaded, refused) = self.store.read(|c| {
                Ok(c.query_row(
                    "SELECT COUNT(*) FILTER (WHERE state = 'uploaded'), COUNT(*) FILTER (WHERE state = 'refused')
                     FROM complaint_photos WHERE local_id = ?1",
                    [&pending.local_id],
                    |r| Ok((r.get::<_, i64>(0)? as u32, r.get::<_, i64>(1)? as u32)),
                )?)
            })?;
            (self.announce)(ComplaintEvent::PhotosSent {
                local_id: pending.local_id.clone(),
                uploaded,
                refused,
            });
        }
    }

    /// Store the outcome; true when the flush should stop.
    fn record(
        &self,
        p: &Pending,
        outcome: Result<(crate::open311::Created, bool)>,
        report: &mut ComplaintFlushReport,
    ) -> Result<bool> {
        let now = self.clock.now_ms();
        match outcome {
            Ok((created, photos_sent)) => {
                self.store.write(|tx| {
                    outbox::mark_sent(tx, &p.local_id, created.id.as_deref(), created.token.as_deref(), now)?;
                    if photos_sent {
                        outbox::mark_photos_sent_with_post(tx, &p.local_id)?;
                    }
                    Ok(())
                })?;
                (self.announce)(ComplaintEvent::Sent {
                    local_id: p.local_id.clone(),
                    server_id: created.id.clone(),
                });
                report.sent.push(SentComplaint {
                    local_id: p.local_id.clone(),
                    server_id: created.id,
                    token: created.token,
                });
                Ok(false)
            }
            Err(Error::Rejected { reason, .. }) => {
                self.store.write(|tx| outbox::mark_needs_attention(tx, &p.local_id, &reason))?;
                (self.announce)(ComplaintEvent::NeedsAttention {
                    local_id: p.local_id.clone(),
                    reason: reason.clone(),
                });
                report.needs_attention.push(Refusal { local_id: p.local_id.clone(), reason });
                Ok(false)
            }
            // The phone's own store failed (or was found damaged and rebuilt): not the send's fault.
            Err(e @ (Error::Storage(_) | Error::StoreCorrupt(_))) => Err(e),
            Err(e) => {
                let retry_after = match &e {
                    Error::Throttled { retry_after } => Some(*retry_after),
                    _ => None,
                };
                let mut rng = fastrand::Rng::new();
                let wait = super::backoff::delay(p.attempts + 1, retry_after, &mut rng);
                let next = now + wait.min(Duration::from_secs(24 * 3600)).as_millis() as i64;
                let error = e.to_string();
                // A refused connection cannot have delivered anything; every other failure may have.
                let offline = matches!(e, Error::Offline);
                let maybe_delivered = p.maybe_delivered || !offline;
                self.store.write(|tx| outbox::mark_retry(tx, &p.local_id, &error, next, maybe_delivered))?;
                report.retry_later =
                    Some(RetryLater { local_id: p.local_id.clone(), error, offline, next_attempt_at: next });
                Ok(true)
            }
        }
    }
}

/// Marks a complaint as being sent for as long as it lives.
struct InFlight<'a>(&'a std::sync::Mutex<Option<String>>);

impl<'a> InFlight<'a> {
    fn set(slot: &'a std::sync::Mutex<Option<String>>, local_id: &str) -> Self {
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(local_id.to_owned());
        InFlight(slot)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

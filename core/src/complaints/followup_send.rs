//! Sending the queued feedback and reopenings ([`super::followup`]), oldest first, each under the
//! idempotency key it was stored with: after the complaints' text and before their photos, in the
//! same flush. The outcomes are a complaint's: the server's answer marks it sent (a reopening's
//! answer is the request, open again, stored like a refresh's); a refusal (4xx) marks it refused
//! with the server's reason and the flush goes on; a transient failure schedules a retry with
//! backoff and ends the follow-ups, so a feedback written before a reopening arrives before it.

use std::time::Duration;

use super::flush::{Flusher, RetryLater};
use super::followup::{self, FollowUpKind};
use super::transport::Open311Transport;
use super::{ComplaintEvent, ComplaintUpdate};
use crate::error::{Error, Result};
use crate::open311::{FormField, RemoteRequest};

/// A follow-up the server took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SentFollowUp {
    pub local_id: String,
    pub kind: FollowUpKind,
}

/// A follow-up the server refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FollowUpRefusal {
    pub local_id: String,
    pub kind: FollowUpKind,
    pub reason: String,
}

/// What the follow-ups of one flush did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub sent: Vec<SentFollowUp>,
    pub refused: Vec<FollowUpRefusal>,
    pub retry_later: Option<RetryLater>,
    pub out_of_time: bool,
}

fn fields(p: &followup::Pending) -> Vec<FormField> {
    match p.kind {
        FollowUpKind::Feedback => {
            let mut f = vec![
                ("resolved".to_owned(), p.resolved.to_string()),
                ("rating".to_owned(), p.rating.to_string()),
            ];
            if let Some(c) = &p.comment {
                f.push(("comment".to_owned(), c.clone()));
            }
            f
        }
        FollowUpKind::Reopen => vec![("reason".to_owned(), p.reason.clone())],
    }
}

impl<T: Open311Transport> Flusher<'_, T> {
    /// Send the due follow-ups (every queued one when `force`) until none is left, a transient
    /// failure, or `deadline_ms`.
    pub(crate) async fn send_followups(&self, force: bool, deadline_ms: Option<i64>) -> Result<Outcome> {
        let mut out = Outcome::default();
        let mut after_id = 0;
        loop {
            let now = self.clock.now_ms();
            if deadline_ms.is_some_and(|d| now >= d) {
                out.out_of_time = true;
                return Ok(out);
            }
            let Some(p) = self.store.read(|c| followup::next_pending(c, after_id))? else { return Ok(out) };
            after_id = p.id;
            // One waiting for its retry time holds back those behind it, so they arrive in order.
            if !force && p.next_attempt_at > now {
                return Ok(out);
            }
            let answer = self
                .client
                .post_followup(&p.server_id, &p.token, p.kind, &fields(&p), &p.idempotency_key)
                .await;
            if self.record_followup(&p, answer, &mut out)? {
                return Ok(out);
            }
        }
    }

    /// Store the outcome; true when the follow-ups should stop.
    fn record_followup(
        &self,
        p: &followup::Pending,
        answer: Result<Option<RemoteRequest>>,
        out: &mut Outcome,
    ) -> Result<bool> {
        let now = self.clock.now_ms();
        match answer {
            Ok(request) => {
                let new: Vec<(ComplaintUpdate, bool)> = self.store.write(|tx| {
                    followup::mark_sent(tx, p.id, now)?;
                    match &request {
                        // The reopened request as the server has it now: status and history.
                        Some(r) if r.id == p.server_id => super::refresh::apply(tx, &p.local_id, r, now),
                        _ => Ok(Vec::new()),
                    }
                })?;
                for (update, worth_an_event) in new {
                    if worth_an_event {
                        (self.announce)(ComplaintEvent::Updated {
                            local_id: p.local_id.clone(),
                            server_id: p.server_id.clone(),
                            update,
                        });
                    }
                }
                (self.announce)(ComplaintEvent::FollowUpSent { local_id: p.local_id.clone(), kind: p.kind });
                out.sent.push(SentFollowUp { local_id: p.local_id.clone(), kind: p.kind });
                Ok(false)
            }
            Err(Error::Rejected { reason, .. }) => {
                self.store.write(|tx| followup::mark_refused(tx, p.id, &reason))?;
                (self.announce)(ComplaintEvent::FollowUpRefused {
                    local_id: p.local_id.clone(),
                    kind: p.kind,
                    reason: reason.clone(),
                });
                out.refused.push(FollowUpRefusal { local_id: p.local_id.clone(), kind: p.kind, reason });
                Ok(false)
            }
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
                self.store.write(|tx| followup::mark_retry(tx, p.id, &error, next))?;
                out.retry_later = Some(RetryLater {
                    local_id: p.local_id.clone(),
                    error,
                    offline: matches!(e, Error::Offline),
                    next_attempt_at: next,
                });
                Ok(true)
            }
        }
    }
}

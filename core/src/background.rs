//! One background sync for the shells (Android WorkManager, iOS BGTaskScheduler), within a time
//! budget of a few seconds: flush the complaint outbox, refresh the citizen's complaints, refresh
//! news, sync the guide, in that order of priority. When the budget runs out the step in progress
//! is dropped at its next await point, which every step tolerates: the outbox resends under the
//! same idempotency key, and every store write is one transaction that either landed or did not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::client::Baladiya;
use crate::error::Error;
use crate::events::BaladiyaEvent;
/// What a background sync reports; defined beside the [`BaladiyaEvent`] that carries it.
pub use crate::events::{Notification, NotificationKind, SyncSummary};

enum Step {
    Flush,
    Complaints,
    News,
    Guide,
}

impl Baladiya {
    /// Run the sync steps in priority order within `budget`; never fails as a whole (each step's
    /// error is in the report). Raises `BaladiyaEvent::SyncFinished` with the report.
    pub async fn background_sync(&self, budget: Duration) -> SyncSummary {
        // The budget is counted on the core's clock, as the flush's own deadline is (a test's
        // fake clock drives both); each step is still bounded in real time by `bounded`.
        let started = self.clock_ms();
        let deadline = started.saturating_add(budget.as_millis().min(i64::MAX as u128) as i64);
        let mut report = SyncSummary::default();

        // Listen for what the steps announce, to turn it into notifications.
        let heard: Arc<Mutex<Vec<Notification>>> = Arc::default();
        let sink = Arc::clone(&heard);
        let subscription = self.subscribe(Arc::new(move |e: &BaladiyaEvent| {
            let n = match e {
                BaladiyaEvent::ComplaintUpdated { local_id, update, .. } => Notification {
                    kind: NotificationKind::ComplaintUpdate,
                    subject_id: local_id.clone(),
                    text: update.description.clone(),
                    detailed_status: update.detailed_status.clone(),
                },
                BaladiyaEvent::ComplaintNeedsAttention { local_id, reason } => Notification {
                    kind: NotificationKind::ComplaintNeedsAttention,
                    subject_id: local_id.clone(),
                    text: reason.clone(),
                    detailed_status: None,
                },
                _ => return,
            };
            sink.lock().unwrap_or_else(|p| p.into_inner()).push(n);
        }));

        for step in [Step::Flush, Step::Complaints, Step::News, Step::Guide] {
            let left = Duration::from_millis(deadline.saturating_sub(self.clock_ms()).max(0) as u64);
            if left.is_zero() {
                report.out_of_time = true;
                break;
            }
            let r = &mut report;
            let outcome = match step {
                Step::Flush => {
                    bounded(left, "flush", self.flush(false, Some(deadline)), r).await.and_then(|f| {
                        let unreachable =
                            f.as_ref().and_then(|f| f.retry_later.as_ref()).is_some_and(|x| x.offline);
                        if let Some(f) = f {
                            r.out_of_time |= f.out_of_time;
                            r.flush = Some(f);
                        }
                        // The outbox found the server unreachable: so would every other step.
                        if unreachable {
                            r.offline = true;
                            Err(Offline)
                        } else {
                            Ok(())
                        }
                    })
                }
                Step::Complaints => {
                    bounded(left, "complaints", self.refresh_complaints(), r).await.map(|c| r.complaints = c)
                }
                Step::News => bounded(left, "news", self.refresh_news(), r).await.map(|n| {
                    if let Some(n) = &n {
                        r.notifications.extend(n.important.iter().map(|item| Notification {
                            kind: NotificationKind::ImportantNews,
                            subject_id: item.id.clone(),
                            text: item.title.ar.clone(),
                            detailed_status: None,
                        }));
                    }
                    r.news = n;
                }),
                Step::Guide => bounded(left, "guide", self.sync_guide(), r).await.map(|g| r.guide = g),
            };
            // Offline: the other steps would only fail the same way.
            if outcome.is_err() {
                break;
            }
        }
        self.unsubscribe(subscription);
        let mut notes = std::mem::take(&mut *heard.lock().unwrap_or_else(|p| p.into_inner()));
        notes.append(&mut report.notifications);
        report.notifications = notes;
        report.elapsed_ms = self.clock_ms().saturating_sub(started).max(0) as u64;
        self.emit(&BaladiyaEvent::SyncFinished { summary: report.clone() });
        report
    }
}

/// The network is gone: stop here.
struct Offline;

/// Run one step with a time limit. `Ok(Some)` on success; `Ok(None)` when it failed or ran out of
/// time (recorded in the report); `Err(Offline)` when there is no network.
async fn bounded<T>(
    left: Duration,
    name: &str,
    step: impl std::future::Future<Output = Result<T, Error>>,
    report: &mut SyncSummary,
) -> Result<Option<T>, Offline> {
    match tokio::time::timeout(left, step).await {
        Ok(Ok(value)) => Ok(Some(value)),
        Ok(Err(Error::Offline)) => {
            report.offline = true;
            report.errors.push(format!("{name}: {}", Error::Offline));
            Err(Offline)
        }
        Ok(Err(e)) => {
            report.errors.push(format!("{name}: {e}"));
            Ok(None)
        }
        Err(_) => {
            report.out_of_time = true;
            report.errors.push(format!("{name}: stopped when the time budget ran out"));
            Ok(None)
        }
    }
}

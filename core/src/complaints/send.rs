//! "Send and refresh", the citizen's refresh button and what the apps do when the network comes
//! back: send what is queued, then ask for the municipality's answers — decided here once, so
//! both apps behave alike. When the server cannot be reached, asking for answers would fail the
//! same way, so the refresh is skipped and the report says why and when the outbox tries again
//! (the app schedules a wake-up then and shows the reason); a transient failure of the refresh
//! itself is reported the same way rather than thrown, because nothing was lost.

use std::future::Future;

use super::flush::{ComplaintFlushReport, RetryLater};
use super::refresh::RefreshReport;
use crate::error::{Error, Result};

/// What "send and refresh" did, and what the app should do next.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SendAndRefreshReport {
    pub flush: ComplaintFlushReport,
    /// `None` when the refresh was skipped (the server could not be reached) or failed for now.
    pub refresh: Option<RefreshReport>,
    /// Set when the server could not be reached or failed for now: show `offline` or the detail.
    pub unreachable: Option<Unreachable>,
}

/// Why nothing more could be done now, and when the outbox tries again on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Unreachable {
    /// No connection at all (the phone is offline or the server is down), rather than a failed
    /// exchange.
    pub offline: bool,
    pub detail: String,
    /// When a complaint or photo still waiting is due again (milliseconds since the epoch, on the
    /// core's clock): wake the app then, with a network. `None` when nothing waits to be sent.
    pub retry_at: Option<i64>,
}

/// The policy itself: `flush` sends, then `refresh` asks for answers unless the flush could not
/// reach the server. Generic over how each is done, so the same steps run over the real client
/// ([`super::service::Complaints::send_and_refresh`]) and a scripted transport in the tests.
pub async fn send_and_refresh<R>(
    flush: impl Future<Output = Result<ComplaintFlushReport>>,
    refresh: impl FnOnce() -> R,
) -> Result<SendAndRefreshReport>
where
    R: Future<Output = Result<RefreshReport>>,
{
    let flush = flush.await?;
    let mut unreachable = after_flush(&flush);
    let mut refreshed = None;
    if !refresh_is_pointless(&flush) {
        match refresh().await {
            Ok(r) => refreshed = Some(r),
            Err(e) => unreachable = Some(after_refresh_error(e, unreachable)?),
        }
    }
    Ok(SendAndRefreshReport { flush, refresh: refreshed, unreachable })
}

/// Why a flush stopped early, if it did: the earliest of the complaint and photo that wait.
pub(crate) fn after_flush(flush: &ComplaintFlushReport) -> Option<Unreachable> {
    let waiting: Vec<&RetryLater> = flush
        .retry_later
        .iter()
        .chain(flush.photos_retry_later.iter())
        .chain(flush.followups_retry_later.iter())
        .collect();
    let first = waiting.iter().min_by_key(|r| r.next_attempt_at)?;
    Some(Unreachable {
        offline: waiting.iter().any(|r| r.offline),
        detail: first.error.clone(),
        retry_at: Some(first.next_attempt_at),
    })
}

/// Whether the send stopped short of the server itself (a complaint could not go), so asking for
/// answers is pointless; a photo that failed alone does not stop the refresh.
pub(crate) fn refresh_is_pointless(flush: &ComplaintFlushReport) -> bool {
    flush.retry_later.is_some()
}

/// A failed refresh: transient failures become the report's `unreachable`; the rest (a damaged
/// request, a refused key) are errors for the caller.
pub(crate) fn after_refresh_error(error: Error, waiting: Option<Unreachable>) -> Result<Unreachable> {
    if !error.is_transient() {
        return Err(error);
    }
    Ok(Unreachable {
        offline: matches!(error, Error::Offline),
        detail: error.to_string(),
        retry_at: waiting.and_then(|w| w.retry_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(local_id: &str, at: i64, offline: bool) -> RetryLater {
        RetryLater {
            local_id: local_id.into(),
            error: format!("{local_id} failed"),
            offline,
            next_attempt_at: at,
        }
    }

    #[test]
    fn a_complete_flush_leaves_nothing_waiting_and_the_refresh_runs() {
        let flush = ComplaintFlushReport::default();
        assert_eq!(after_flush(&flush), None);
        assert!(!refresh_is_pointless(&flush));
    }

    #[test]
    fn a_complaint_that_could_not_go_skips_the_refresh_and_names_its_retry_time() {
        let flush =
            ComplaintFlushReport { retry_later: Some(waiting("c1", 5_000, true)), ..Default::default() };
        assert!(refresh_is_pointless(&flush));
        assert_eq!(
            after_flush(&flush),
            Some(Unreachable { offline: true, detail: "c1 failed".into(), retry_at: Some(5_000) })
        );
    }

    #[test]
    fn a_photo_that_could_not_go_still_lets_the_refresh_run_and_the_earliest_retry_wins() {
        let photo_only = ComplaintFlushReport {
            photos_retry_later: Some(waiting("p", 9_000, false)),
            ..Default::default()
        };
        assert!(!refresh_is_pointless(&photo_only));
        assert_eq!(after_flush(&photo_only).and_then(|u| u.retry_at), Some(9_000));

        let both = ComplaintFlushReport {
            retry_later: Some(waiting("c", 7_000, false)),
            photos_retry_later: Some(waiting("p", 3_000, false)),
            ..Default::default()
        };
        let u = after_flush(&both).unwrap();
        assert_eq!((u.retry_at, u.detail.as_str(), u.offline), (Some(3_000), "p failed", false));
    }

    #[test]
    fn a_transient_refresh_failure_is_reported_and_any_other_is_an_error() {
        let u = after_refresh_error(Error::Offline, None).unwrap();
        assert!(u.offline && u.retry_at.is_none());
        let photo = after_flush(&ComplaintFlushReport {
            photos_retry_later: Some(waiting("p", 4_000, false)),
            ..Default::default()
        });
        let u = after_refresh_error(Error::Server { status: 503 }, photo).unwrap();
        assert_eq!((u.offline, u.retry_at), (false, Some(4_000)));
        assert!(matches!(after_refresh_error(Error::Unauthorized, None), Err(Error::Unauthorized)));
    }
}

//! The `Baladiya` object: the whole core for a shell, one method per feature.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use baladiya_core::api::HttpSettings;
use baladiya_core::background::SyncSummary;
use baladiya_core::complaints::flush::ComplaintFlushReport;
use baladiya_core::complaints::follow::{NearbyCheck, NearbyRequest};
use baladiya_core::complaints::followup::FeedbackDraft;
use baladiya_core::complaints::GeoPoint;
use baladiya_core::wire::{Category, Department, Service, Violation};
use baladiya_core::{Config, GuideHit, GuideSyncReport, Lang};

use crate::error::ApiError;
use crate::events::{self, EventListener, Subscription};
use crate::page::GuidePage;
use crate::runtime::{guard, spawn};
use baladiya_core::bills::{BillLookup, SavedAccount};
use baladiya_core::complaints::refresh::RefreshReport;
use baladiya_core::complaints::send::SendAndRefreshReport;
use baladiya_core::complaints::{Complaint, ComplaintDraft};
use baladiya_core::news::{NewsReport, StoredNews};
use baladiya_core::open311::{AttributeDef, ComplaintCategory};
use baladiya_core::store::StoreRecovery;
use baladiya_core::usage::{DataUsage, MonthUsage};
use baladiya_core::wire::VerificationInfo;

#[derive(Debug, Clone, uniffi::Record)]
pub struct BaladiyaConfig {
    /// The app's private files directory.
    pub data_dir: String,
    /// The municipal API (https; plain http only to loopback).
    pub server_url: String,
    /// Whole-request timeout; 0 keeps the default (30 s).
    #[uniffi(default = 0)]
    pub request_timeout_ms: u64,
    /// `ar` or `en`: the app's language. Search rows are shown in it (see `set_language`), and
    /// it is the language asked of the complaints server.
    #[uniffi(default = "ar")]
    pub locale: String,
    /// The Open311 api_key of this app.
    #[uniffi(default = None)]
    pub api_key: Option<String>,
    /// Another GeoReport v2 endpoint for complaints; by default the server's own `open311/v2/`.
    #[uniffi(default = None)]
    pub open311_endpoint: Option<String>,
    #[uniffi(default = None)]
    pub jurisdiction_id: Option<String>,
}

#[derive(uniffi::Object)]
pub struct Baladiya {
    core: Arc<baladiya_core::Baladiya>,
    /// The language search rows are shown in: a setting of the object rather than an argument,
    /// because every enum crossing into a call costs Kotlin an extra native allocation.
    english: AtomicBool,
}

#[uniffi::export]
impl Baladiya {
    /// Open (or create) the local store. No network; fast enough for app start.
    #[uniffi::constructor]
    pub fn open(config: BaladiyaConfig) -> Result<Arc<Self>, ApiError> {
        guard(|| {
            let mut core_config = Config::new(config.data_dir, config.server_url);
            core_config.open311.locale = config.locale;
            core_config.open311.api_key = config.api_key;
            core_config.open311.jurisdiction_id = config.jurisdiction_id;
            if let Some(endpoint) = config.open311_endpoint {
                core_config.open311.endpoint = endpoint;
            }
            if config.request_timeout_ms > 0 {
                core_config.http = HttpSettings {
                    request_timeout: Duration::from_millis(config.request_timeout_ms),
                    ..HttpSettings::default()
                };
            }
            let english = AtomicBool::new(locale_is_english(&core_config.open311.locale));
            let core = baladiya_core::Baladiya::open(core_config)?;
            Ok(Arc::new(Baladiya { core: Arc::new(core), english }))
        })
    }

    /// Bring the procedures guide up to date (304 when unchanged, delta when possible).
    pub async fn sync_guide(&self) -> Result<GuideSyncReport, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.sync_guide().await?) }).await
    }

    /// Search the offline guide: one page of hits, each in the app's language (`language`) unless
    /// the query matched only the other one, with highlight spans. Local: microseconds on a city's
    /// catalogue once its index is in memory (built after each guide sync, else by the first search).
    pub fn search_guide(&self, query: String, limit: u32) -> Result<Vec<GuideHit>, ApiError> {
        guard(|| {
            let lang = self.language();
            let hits = self.core.search_guide(&query, limit as usize)?;
            Ok(hits.into_iter().map(|h| GuideHit::from(h.shown(lang))).collect())
        })
    }

    /// `search_guide` as one compact page (see `GuidePage`): the same hits, in one buffer the
    /// facades decode, because lifting 20 hits value by value costs Swift ~100 µs.
    pub fn search_guide_page(&self, query: String, limit: u32) -> Result<GuidePage, ApiError> {
        guard(|| {
            let lang = self.language();
            let hits = self.core.search_guide(&query, limit as usize)?;
            let hits: Vec<GuideHit> = hits.into_iter().map(|h| GuideHit::from(h.shown(lang))).collect();
            Ok(GuidePage::encode(&hits))
        })
    }

    /// The app's language: from the config's `locale` at open, until `set_language`.
    pub fn language(&self) -> Lang {
        if self.english.load(Ordering::Relaxed) {
            Lang::En
        } else {
            Lang::Ar
        }
    }

    /// Follow the app when the citizen switches its language: search rows at once; complaint
    /// categories are asked for in it from now on (`refresh_complaint_categories` brings their
    /// names in it).
    pub fn set_language(&self, lang: Lang) {
        self.english.store(lang == Lang::En, Ordering::Relaxed);
        self.core.set_complaints_locale(if lang == Lang::En { "en" } else { "ar" });
    }

    pub fn service(&self, id: String) -> Result<Service, ApiError> {
        guard(|| Ok(self.core.service(&id)?))
    }

    /// All services, or those of one category.
    pub fn services(&self, category_id: Option<String>) -> Result<Vec<Service>, ApiError> {
        guard(|| Ok(self.core.services(category_id.as_deref())?))
    }

    pub fn violation(&self, id: String) -> Result<Violation, ApiError> {
        guard(|| Ok(self.core.violation(&id)?))
    }

    pub fn violations(&self) -> Result<Vec<Violation>, ApiError> {
        guard(|| Ok(self.core.violations()?))
    }

    pub fn departments(&self) -> Result<Vec<Department>, ApiError> {
        guard(|| Ok(self.core.departments()?))
    }

    pub fn categories(&self) -> Result<Vec<Category>, ApiError> {
        guard(|| Ok(self.core.categories()?))
    }

    /// The guide version held locally; `None` before the first sync.
    pub fn guide_version(&self) -> Result<Option<i64>, ApiError> {
        guard(|| Ok(self.core.guide_version()?))
    }

    /// Fetch the complaint categories and definitions for offline use; returns how many.
    pub async fn refresh_complaint_categories(&self) -> Result<u32, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.refresh_complaint_categories().await? as u32) }).await
    }

    pub fn complaint_categories(&self) -> Result<Vec<ComplaintCategory>, ApiError> {
        guard(|| Ok(self.core.complaint_categories()?))
    }

    pub fn complaint_definition(&self, code: String) -> Result<Vec<AttributeDef>, ApiError> {
        guard(|| Ok(self.core.complaint_definition(&code)?))
    }

    /// File a complaint offline: checked, photos prepared, written to the outbox; returns the
    /// tracking number. Photo preparation takes a moment: call off the UI thread.
    pub fn submit_complaint(&self, draft: ComplaintDraft, photos: Vec<Vec<u8>>) -> Result<String, ApiError> {
        guard(|| Ok(self.core.submit_complaint(draft, &photos)?))
    }

    /// `submit_complaint` with the citizen's choice: `full_quality` keeps photos full size on a
    /// slow link (else 1280 px, ~150 KB there); `on_wifi_only` sends the complaint now and its
    /// photos only while `set_metered(false)` (the "send photos later, on Wi-Fi" option).
    pub fn submit_complaint_with(
        &self,
        draft: ComplaintDraft,
        photos: Vec<Vec<u8>>,
        full_quality: bool,
        on_wifi_only: bool,
    ) -> Result<String, ApiError> {
        let choice = baladiya_core::complaints::PhotoChoice { full_quality, on_unmetered_only: on_wifi_only };
        guard(|| Ok(self.core.submit_complaint_with(draft, &photos, choice)?))
    }

    /// Tell the library whether the network is metered (mobile data) or not (Wi-Fi), on every
    /// change the platform reports; photos kept for Wi-Fi go only while it is not. Metered until told.
    pub fn set_metered(&self, metered: bool) {
        self.core.set_metered(metered)
    }

    /// The link's throughput in bytes per second from recent transfers (none yet after opening).
    pub fn link_throughput(&self) -> Option<u64> {
        self.core.link_throughput()
    }

    pub fn complaints(&self) -> Result<Vec<Complaint>, ApiError> {
        guard(|| Ok(self.core.complaints()?))
    }

    pub fn complaint(&self, local_id: String) -> Result<Complaint, ApiError> {
        guard(|| Ok(self.core.complaint(&local_id)?))
    }

    pub fn cancel_complaint(&self, local_id: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core.cancel_complaint(&local_id)?))
    }

    pub fn edit_complaint(&self, local_id: String, draft: ComplaintDraft) -> Result<(), ApiError> {
        guard(|| Ok(self.core.edit_complaint(&local_id, draft)?))
    }

    pub fn resend_complaint(&self, local_id: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core.resend_complaint(&local_id)?))
    }

    /// Say whether a closed complaint was really resolved (yes or no, 1 to 5 stars, a comment),
    /// once per closing, with no network: queued, and sent exactly once by the next flush
    /// (`Complaint.can_give_feedback`, `Complaint.feedback`).
    pub fn give_complaint_feedback(&self, local_id: String, feedback: FeedbackDraft) -> Result<(), ApiError> {
        guard(|| Ok(self.core.give_complaint_feedback(&local_id, feedback)?))
    }

    /// Ask to reopen a closed complaint with the reason, within 14 days of its closing
    /// (`Complaint.can_reopen`, `Complaint.reopen_until`); queued as feedback is.
    pub fn reopen_complaint(&self, local_id: String, reason: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core.reopen_complaint(&local_id, &reason)?))
    }

    /// Send every queued complaint now.
    pub async fn flush_complaints(&self) -> Result<ComplaintFlushReport, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.flush_complaints().await?) }).await
    }

    /// The refresh button: send what is queued, then bring the municipality's answers. When the
    /// server could not be reached the refresh is skipped and `unreachable` says why and when the
    /// outbox tries again (schedule a wake-up then); nothing is thrown for a transient failure.
    pub async fn send_and_refresh(&self) -> Result<SendAndRefreshReport, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.send_and_refresh().await?) }).await
    }

    /// Before filing ("this is my problem too"): the open requests of this category already
    /// reported within 50 m of `location`, nearest first; `Skipped` (file as usual) offline,
    /// without a location or against a server without the extension. Never throws for the
    /// network: a failure there is `Skipped { reason: Offline }`.
    pub async fn nearby_requests(
        &self,
        service_code: String,
        location: Option<GeoPoint>,
    ) -> Result<NearbyCheck, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.nearby_requests(&service_code, location).await?) }).await
    }

    /// Follow a request `nearby_requests` found, instead of filing the same problem again; no
    /// network needed. It then appears among the complaints (`followed`), its changes raise
    /// events, and the municipality counts the citizen on the next refresh. Returns its local id.
    pub fn follow_request(&self, request: NearbyRequest) -> Result<String, ApiError> {
        guard(|| Ok(self.core.follow_request(&request)?))
    }

    /// Bring status changes and replies (each new entry also arrives as an event).
    pub async fn refresh_complaints(&self) -> Result<RefreshReport, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.refresh_complaints().await?) }).await
    }

    /// What to ask for beside the account number (`phone` or `national_id`, with a label).
    pub async fn bill_verification(&self) -> Result<VerificationInfo, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.bill_verification().await?) }).await
    }

    /// Look a bill up (digits of any script accepted). Offline, a saved account's last
    /// statement comes back with `stale = true` and its date, if the factor matches.
    pub async fn lookup_bill(&self, account: String, verification: String) -> Result<BillLookup, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.lookup_bill(&account, &verification).await?) }).await
    }

    /// Save an account under a nickname after verifying it online.
    pub async fn save_bill_account(
        &self,
        account: String,
        nickname: String,
        verification: String,
    ) -> Result<BillLookup, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.save_bill_account(&account, &nickname, &verification).await?) }).await
    }

    pub fn saved_bill_accounts(&self) -> Result<Vec<SavedAccount>, ApiError> {
        guard(|| Ok(self.core.saved_bill_accounts()?))
    }

    pub fn forget_bill_account(&self, account: String) -> Result<(), ApiError> {
        guard(|| Ok(self.core.forget_bill_account(&account)?))
    }

    /// Forget every saved account and its offline copy (settings); how many there were.
    pub fn forget_all_bill_accounts(&self) -> Result<u32, ApiError> {
        guard(|| Ok(self.core.forget_all_bill_accounts()?))
    }

    /// Bytes the app has moved per feature since it was installed: guide, complaints, bills, news.
    pub fn data_usage(&self) -> Result<Vec<DataUsage>, ApiError> {
        guard(|| Ok(self.core.data_usage()?))
    }

    /// Bytes moved per feature in each of the last `months` calendar months (UTC), newest first,
    /// this month included even when nothing moved yet: what the settings screen shows beside
    /// the totals.
    pub fn data_usage_by_month(&self, months: u32) -> Result<Vec<MonthUsage>, ApiError> {
        guard(|| Ok(self.core.data_usage_by_month(months)?))
    }

    /// Refresh the offline news (conditional: a few hundred bytes when nothing changed).
    pub async fn refresh_news(&self) -> Result<NewsReport, ApiError> {
        let core = Arc::clone(&self.core);
        spawn(async move { Ok(core.refresh_news().await?) }).await
    }

    /// The offline news, newest first.
    pub fn news(&self, unread_only: bool) -> Result<Vec<StoredNews>, ApiError> {
        guard(|| Ok(self.core.news(unread_only)?))
    }

    pub fn unread_news_count(&self) -> Result<u32, ApiError> {
        guard(|| Ok(self.core.unread_news_count()?))
    }

    /// Mark one item read, or all with `None`.
    pub fn mark_news_read(&self, id: Option<String>) -> Result<(), ApiError> {
        guard(|| Ok(self.core.mark_news_read(id.as_deref())?))
    }

    /// For WorkManager / BGTaskScheduler: flush the outbox, refresh complaints, news and the
    /// guide within `budget_ms`, stopping cleanly when it runs out. Never throws: step errors are
    /// in the summary.
    pub async fn background_sync(&self, budget_ms: u64) -> SyncSummary {
        let core = Arc::clone(&self.core);
        let budget = Duration::from_millis(budget_ms);
        match spawn(async move { Ok(core.background_sync(budget).await) }).await {
            Ok(summary) => summary,
            Err(e) => SyncSummary {
                errors: vec![e.to_string()],
                offline: matches!(e, ApiError::Offline { .. }),
                ..SyncSummary::default()
            },
        }
    }

    /// Each time the local database was found damaged since `open` (at open included), set aside
    /// and rebuilt, oldest first; empty when it never was. Read it after `open`: damage found at
    /// open raises no event (no listener is registered yet).
    pub fn store_recoveries(&self) -> Vec<StoreRecovery> {
        self.core.store_recoveries()
    }

    /// Receive events until the returned subscription is cancelled or dropped.
    pub fn subscribe(&self, listener: Arc<dyn EventListener>) -> Arc<Subscription> {
        Arc::new(events::subscribe(&self.core, listener))
    }

    /// For tests of the FFI boundary: panics inside the library. The panic must come back to the
    /// caller as `ApiError::Internal`, never crash the app.
    pub fn debug_panic(&self) -> Result<(), ApiError> {
        guard(|| panic!("debug_panic was called"))
    }

    /// The async twin of `debug_panic`: the panic happens on the library's runtime.
    pub async fn debug_panic_async(&self) -> Result<(), ApiError> {
        spawn(async { panic!("debug_panic_async was called") }).await
    }
}

/// `en`, `en-GB`, `en_US`: English; anything else is Arabic, the app's first language.
fn locale_is_english(locale: &str) -> bool {
    locale.get(..2).is_some_and(|l| l.eq_ignore_ascii_case("en"))
        && locale.get(2..3).is_none_or(|sep| sep == "-" || sep == "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_names_the_language_of_search_rows() {
        for (locale, english) in [
            ("en", true),
            ("en-GB", true),
            ("EN_us", true),
            ("ar", false),
            ("ar-PS", false),
            ("eng", false),
            ("", false),
        ] {
            assert_eq!(locale_is_english(locale), english, "{locale}");
        }
        let dir = tempfile::tempdir().unwrap();
        let b = Baladiya::open(BaladiyaConfig {
            data_dir: dir.path().to_string_lossy().into_owned(),
            server_url: "http://127.0.0.1:9/".into(),
            request_timeout_ms: 0,
            locale: "en-GB".into(),
            api_key: None,
            open311_endpoint: None,
            jurisdiction_id: None,
        })
        .unwrap();
        assert_eq!(b.language(), Lang::En);
        b.set_language(Lang::Ar);
        assert_eq!(b.language(), Lang::Ar);
    }

    #[test]
    fn panics_come_back_as_internal_errors() {
        let dir = std::env::temp_dir().join(format!("baladiya-ffi-test-{}", std::process::id()));
        let b = Baladiya::open(BaladiyaConfig {
            data_dir: dir.to_string_lossy().into_owned(),
            server_url: "http://127.0.0.1:9/".into(),
            request_timeout_ms: 0,
            locale: "ar".into(),
            api_key: None,
            open311_endpoint: None,
            jurisdiction_id: None,
        })
        .unwrap();
        assert!(matches!(b.debug_panic(), Err(ApiError::Internal { .. })));
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        assert!(matches!(rt.block_on(b.debug_panic_async()), Err(ApiError::Internal { .. })));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_damaged_store_at_open_is_reported_and_its_event_crosses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(baladiya_core::store::FILE_NAME), b"not a database, just text")
            .unwrap();
        let b = Baladiya::open(BaladiyaConfig {
            data_dir: dir.path().to_string_lossy().into_owned(),
            server_url: "http://127.0.0.1:9/".into(),
            request_timeout_ms: 0,
            locale: "ar".into(),
            api_key: None,
            open311_endpoint: None,
            jurisdiction_id: None,
        })
        .unwrap();
        let recoveries = b.store_recoveries();
        assert_eq!(recoveries.len(), 1);
        assert!(recoveries[0].at_open && recoveries[0].set_aside.contains(".corrupt-"));
    }

    #[test]
    fn invalid_config_is_a_validation_error_naming_the_field() {
        let err = Baladiya::open(BaladiyaConfig {
            data_dir: std::env::temp_dir().to_string_lossy().into_owned(),
            server_url: "http://example.org/".into(),
            request_timeout_ms: 0,
            locale: "ar".into(),
            api_key: None,
            open311_endpoint: None,
            jurisdiction_id: None,
        })
        .err()
        .unwrap();
        assert!(matches!(err, ApiError::Validation { ref field, .. } if field == "server_url"));
        assert!(err.to_string().contains("plain http"));
    }
}

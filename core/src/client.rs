//! `Baladiya`: the one object a shell or the CLI holds, a facade over the feature services —
//! [`Guide`], [`Complaints`], [`Bills`], [`News`] — each owning its store access and network
//! calls. The facade opens the store and the HTTP clients, composes the services, and is the one
//! place that raises [`BaladiyaEvent`]s (the services return reports, or announce through a callback the
//! facade gives them). Reads are answered from the local store at once; network work runs on the
//! caller's tokio runtime and writes in one short transaction.

use std::path::PathBuf;
use std::sync::Arc;

use baladiya_wire::{Category, Department, Service, Violation};

use crate::api::{ApiClient, HttpSettings};
use crate::bills::{BillLookup, Bills, SavedAccount};
use crate::clock::{Clock, SystemClock};
use crate::complaints::follow::{NearbyCheck, NearbyRequest};
use crate::complaints::followup::FeedbackDraft;
use crate::complaints::service::Complaints;
use crate::complaints::{
    self, flush::ComplaintFlushReport, refresh::RefreshReport, send::SendAndRefreshReport, Area, Complaint,
    ComplaintDraft, GeoPoint, PhotoChoice,
};
use crate::error::Result;
use crate::events::{BaladiyaEvent, Events, Listener};
use crate::guide::search::SearchHit;
use crate::guide::{service::Guide, sync::GuideSyncReport};
use crate::news::{News, NewsReport, StoredNews};
use crate::open311::{AttributeDef, ComplaintCategory, Open311Client, Open311Config};
use crate::store::{FeatureHooks, Store, StoreRecovery};
use crate::throughput::Throughput;
use crate::usage::{self, DataUsage, Feature, MonthUsage, StoreMeter};
use baladiya_wire::VerificationInfo;

/// How the core is opened.
#[derive(Clone)]
pub struct Config {
    /// Where the app keeps its database (the app's private files directory on a phone).
    pub data_dir: PathBuf,
    /// The municipal API, e.g. `https://api.example.ps/`.
    pub server_url: String,
    pub http: HttpSettings,
    /// Where complaints go: by default the municipal server's own Open311 endpoint; any other
    /// city's GeoReport v2 server works too.
    pub open311: Open311Config,
    /// Complaints must point inside this area (or give an address).
    pub area: Area,
    pub clock: Arc<dyn Clock>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>, server_url: impl Into<String>) -> Self {
        let server_url = server_url.into();
        let base = if server_url.ends_with('/') { server_url.clone() } else { format!("{server_url}/") };
        Config {
            data_dir: data_dir.into(),
            open311: Open311Config {
                endpoint: format!("{base}open311/v2/"),
                jurisdiction_id: None,
                api_key: None,
                locale: "ar".into(),
            },
            server_url,
            http: HttpSettings::default(),
            area: Area::GAZA_CITY,
            clock: Arc::new(SystemClock),
        }
    }
}

pub struct Baladiya {
    store: Arc<Store>,
    guide: Guide,
    bills: Bills,
    news: News,
    complaints: Complaints,
    clock: Arc<dyn Clock>,
    events: Arc<Events>,
}

/// What the store does with the features' data (it imports none of them).
pub const STORE_HOOKS: FeatureHooks = FeatureHooks {
    rebuild_search_index: crate::guide::index::rebuild,
    draft_is_readable: |doc| serde_json::from_str::<ComplaintDraft>(doc).is_ok(),
};

impl Baladiya {
    /// Open the store (creating and migrating it) and prepare the API client. No network.
    pub fn open(config: Config) -> Result<Self> {
        let api = ApiClient::new(&config.server_url, &config.http)?;
        let open311 = Open311Client::new(config.open311.clone(), &config.http)?
            .with_municipal_server(&config.server_url);
        let store = Arc::new(Store::open(&config.data_dir, STORE_HOOKS)?);
        let events = Arc::new(Events::default());
        let to_listeners = Arc::clone(&events);
        store.on_recovery(Arc::new(move |r| {
            to_listeners.emit(&BaladiyaEvent::StoreRecovered { recovery: r.clone() })
        }));
        let throughput = Arc::new(Throughput::default());
        let api = api
            .with_meter(StoreMeter::shared(&store, None, Arc::clone(&config.clock)))
            .with_throughput(Arc::clone(&throughput));
        let open311 = open311
            .with_meter(StoreMeter::shared(&store, Some(Feature::Complaints), Arc::clone(&config.clock)))
            .with_throughput(Arc::clone(&throughput));
        let api = Arc::new(api);
        let to_listeners = Arc::clone(&events);
        let announce: complaints::Announce =
            Arc::new(move |e: complaints::ComplaintEvent| to_listeners.emit(&BaladiyaEvent::from(e)));
        Ok(Baladiya {
            complaints: Complaints::new(
                Arc::clone(&store),
                open311,
                Arc::clone(&config.clock),
                config.area,
                throughput,
                announce,
            ),
            guide: Guide::new(Arc::clone(&store), Arc::clone(&api)),
            bills: Bills::new(Arc::clone(&store), Arc::clone(&api), Arc::clone(&config.clock)),
            news: News::new(Arc::clone(&store), api),
            store,
            clock: config.clock,
            events,
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Bytes moved per feature since the app was installed (guide, complaints, bills, news).
    pub fn data_usage(&self) -> Result<Vec<DataUsage>> {
        self.store.read(usage::totals)
    }

    /// Bytes moved per feature in each of the last `months` calendar months (UTC), newest first,
    /// the current month included even when nothing moved yet.
    pub fn data_usage_by_month(&self, months: u32) -> Result<Vec<MonthUsage>> {
        let now = self.clock.now_ms();
        self.store.read(|c| usage::by_month(c, now, months))
    }

    /// Each time the local database was found damaged since this client was opened (at open
    /// included), set aside and rebuilt, oldest first; empty when it never was. The ones found
    /// while the app runs are also raised as [`BaladiyaEvent::StoreRecovered`].
    pub fn store_recoveries(&self) -> Vec<StoreRecovery> {
        self.store.recoveries()
    }

    /// Register a listener for events; the id unsubscribes it.
    pub fn subscribe(&self, listener: Listener) -> u64 {
        self.events.subscribe(listener)
    }

    pub fn unsubscribe(&self, id: u64) {
        self.events.unsubscribe(id)
    }

    /// Bring the guide up to date ([`Guide::sync`]); a sync that changed something raises
    /// `BaladiyaEvent::GuideSynced`.
    pub async fn sync_guide(&self) -> Result<GuideSyncReport> {
        let report = self.guide.sync().await?;
        if !report.not_modified {
            self.events.emit(&BaladiyaEvent::GuideSynced { report: report.clone() });
        }
        Ok(report)
    }

    /// Search the offline guide; never touches the network.
    pub fn search_guide(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.guide.search(query, limit)
    }

    /// Diagnostics: heap bytes the in-memory search index holds (roughly); `None` when the
    /// catalogue is searched on disk or before the first search.
    pub fn search_index_bytes(&self) -> Option<usize> {
        self.guide.search_index_bytes()
    }

    pub fn service(&self, id: &str) -> Result<Service> {
        self.guide.service(id)
    }

    pub fn services(&self, category_id: Option<&str>) -> Result<Vec<Service>> {
        self.guide.services(category_id)
    }

    pub fn violation(&self, id: &str) -> Result<Violation> {
        self.guide.violation(id)
    }

    pub fn violations(&self) -> Result<Vec<Violation>> {
        self.guide.violations()
    }

    pub fn departments(&self) -> Result<Vec<Department>> {
        self.guide.departments()
    }

    pub fn categories(&self) -> Result<Vec<Category>> {
        self.guide.categories()
    }

    /// The catalogue version held locally; `None` before the first successful sync.
    pub fn guide_version(&self) -> Result<Option<i64>> {
        self.guide.version()
    }
}

/// Complaints and suggestions ([`Complaints`]).
impl Baladiya {
    /// The language asked of the complaints server from now on (`ar`, `en`): the app's, when the
    /// citizen switches it. The cached categories keep their names until the next refresh.
    pub fn set_complaints_locale(&self, locale: &str) {
        self.complaints.set_locale(locale)
    }

    /// Fetch the complaint categories and their definitions into the offline cache.
    pub async fn refresh_complaint_categories(&self) -> Result<usize> {
        self.complaints.refresh_categories().await
    }

    /// The cached categories (complaints and suggestions), in the server's order.
    pub fn complaint_categories(&self) -> Result<Vec<ComplaintCategory>> {
        self.complaints.categories()
    }

    /// The attributes to fill in for one category (empty when it has none).
    pub fn complaint_definition(&self, code: &str) -> Result<Vec<AttributeDef>> {
        self.complaints.definition(code)
    }

    /// File a complaint with no network ([`Complaints::submit`]); returns the tracking number at
    /// once; sending happens on `flush`.
    pub fn submit_complaint(&self, draft: ComplaintDraft, photos: &[Vec<u8>]) -> Result<String> {
        self.complaints.submit(draft, photos)
    }

    /// [`Baladiya::submit_complaint`] with the citizen's choice for the photos
    /// ([`Complaints::submit_with`]).
    pub fn submit_complaint_with(
        &self,
        draft: ComplaintDraft,
        photos: &[Vec<u8>],
        choice: PhotoChoice,
    ) -> Result<String> {
        self.complaints.submit_with(draft, photos, choice)
    }

    /// The link's throughput in bytes per second as recent transfers measured it (none yet after
    /// opening).
    pub fn link_throughput(&self) -> Option<u64> {
        self.complaints.link_throughput()
    }

    /// The shell tells whether the network is metered (mobile data) or not (Wi-Fi); photos the
    /// citizen chose to send on Wi-Fi go only while it is not. Until told, it is metered.
    pub fn set_metered(&self, metered: bool) {
        self.complaints.set_metered(metered)
    }

    /// Every complaint on this phone, newest first, with its state and history.
    pub fn complaints(&self) -> Result<Vec<Complaint>> {
        self.complaints.list()
    }

    pub fn complaint(&self, local_id: &str) -> Result<Complaint> {
        self.complaints.get(local_id)
    }

    /// Withdraw a complaint that has not left the phone (or that the server refused).
    pub fn cancel_complaint(&self, local_id: &str) -> Result<()> {
        self.complaints.cancel(local_id)
    }

    /// Replace a refused (or not yet attempted) complaint's draft and queue it again.
    pub fn edit_complaint(&self, local_id: &str, draft: ComplaintDraft) -> Result<()> {
        self.complaints.edit(local_id, draft)
    }

    /// Say whether a closed complaint was really resolved, once per closing, with no network: it
    /// goes to the outbox and the next flush sends it exactly once ([`Complaint::can_give_feedback`]).
    pub fn give_complaint_feedback(&self, local_id: &str, feedback: FeedbackDraft) -> Result<()> {
        self.complaints.give_feedback(local_id, feedback)
    }

    /// Ask to reopen a closed complaint with the reason, within 14 days of its closing
    /// ([`Complaint::reopen_until`]); with no network, through the outbox.
    pub fn reopen_complaint(&self, local_id: &str, reason: &str) -> Result<()> {
        self.complaints.reopen(local_id, reason)
    }

    /// Queue a refused complaint again unchanged.
    pub fn resend_complaint(&self, local_id: &str) -> Result<()> {
        self.complaints.resend(local_id)
    }

    /// Send every queued complaint now (the citizen asked, or the network came back).
    pub async fn flush_complaints(&self) -> Result<ComplaintFlushReport> {
        self.complaints.flush(true, None).await
    }

    /// Send what is due by its retry schedule, stopping at `deadline_ms` on the core's clock.
    pub async fn flush(&self, force: bool, deadline_ms: Option<i64>) -> Result<ComplaintFlushReport> {
        self.complaints.flush(force, deadline_ms).await
    }

    /// The refresh button: send what is queued, then bring the answers, unless the server could
    /// not be reached (then the report says why and when the outbox tries again).
    pub async fn send_and_refresh(&self) -> Result<SendAndRefreshReport> {
        self.complaints.send_and_refresh().await
    }

    /// Before filing: the open requests of this category already reported within 50 m of the
    /// complaint's point, nearest first, for "this is my problem too"
    /// ([`crate::complaints::follow`]). Skipped, never an error for the network, offline (or
    /// after 4 s), without a point inside the municipality or against a server without the
    /// extension: then file as usual. Errors only for the phone's store.
    pub async fn nearby_requests(&self, service_code: &str, point: Option<GeoPoint>) -> Result<NearbyCheck> {
        self.complaints.nearby(service_code, point).await
    }

    /// Follow a request found nearby instead of filing it again, with no network: it is watched
    /// from now on like the citizen's own complaints (its changes raise events) and counted by the
    /// municipality on the next refresh. Returns its local id.
    pub fn follow_request(&self, request: &NearbyRequest) -> Result<String> {
        self.complaints.follow(request)
    }

    /// Bring status changes and replies for the citizen's sent complaints; raises one event per
    /// new history entry.
    pub async fn refresh_complaints(&self) -> Result<RefreshReport> {
        self.complaints.refresh().await
    }
}

/// Bills: lookup with verification, saved accounts, the offline copy ([`Bills`]).
impl Baladiya {
    /// What the app must ask for beside the account number (`phone` or `national_id`).
    pub async fn bill_verification(&self) -> Result<VerificationInfo> {
        self.bills.verification().await
    }

    /// Look a bill up ([`Bills::lookup`]): online, or a saved account's offline copy.
    pub async fn lookup_bill(&self, account: &str, verification: &str) -> Result<BillLookup> {
        self.bills.lookup(account, verification).await
    }

    /// Save an account under a nickname (home, shop, parents) after verifying it online; its
    /// statement is kept for offline use.
    pub async fn save_bill_account(
        &self,
        account: &str,
        nickname: &str,
        verification: &str,
    ) -> Result<BillLookup> {
        self.bills.save(account, nickname, verification).await
    }

    pub fn saved_bill_accounts(&self) -> Result<Vec<SavedAccount>> {
        self.bills.saved()
    }

    /// Forget every saved account and its offline copy (settings); how many there were.
    pub fn forget_all_bill_accounts(&self) -> Result<u32> {
        self.bills.forget_all()
    }

    /// Forget a saved account and its offline copy.
    pub fn forget_bill_account(&self, account: &str) -> Result<()> {
        self.bills.forget(account)
    }
}

/// News ([`News`]).
impl Baladiya {
    /// Refresh the offline news (one conditional request); new items raise `BaladiyaEvent::NewsArrived`.
    pub async fn refresh_news(&self) -> Result<NewsReport> {
        let (report, new) = self.news.refresh().await?;
        if !new.is_empty() {
            self.events
                .emit(&BaladiyaEvent::NewsArrived { items: new, important: report.important.len() as u32 });
        }
        Ok(report)
    }

    /// The offline news, newest first.
    pub fn news(&self, unread_only: bool) -> Result<Vec<StoredNews>> {
        self.news.list(unread_only)
    }

    pub fn unread_news_count(&self) -> Result<u32> {
        self.news.unread_count()
    }

    /// Mark one item read, or all of them with `None`.
    pub fn mark_news_read(&self, id: Option<&str>) -> Result<()> {
        self.news.mark_read(id)
    }

    pub(crate) fn clock_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub(crate) fn emit(&self, event: &BaladiyaEvent) {
        self.events.emit(event)
    }
}

//! `Baladiya`: the one object a shell or the CLI holds. Reads are answered from the local store at
//! once; network work (sync) runs on the caller's tokio runtime and writes in one short transaction.

use std::path::PathBuf;
use std::sync::Arc;

use baladiya_wire::{Category, Department, Service, Violation};

use crate::api::{ApiClient, HttpSettings};
use crate::bills::{BillLookup, Bills, SavedAccount};
use crate::clock::{Clock, SystemClock};
use crate::complaints::{
    self, flush::FlushReport, refresh::RefreshReport, Area, Complaint, ComplaintDraft, PhotoChoice,
};
use crate::error::{Error, Result};
use crate::events::{Event, Events, Listener};
use crate::guide::search::SearchHit;
use crate::guide::{service::Guide, sync::GuideSyncReport};
use crate::news::{News, NewsReport, StoredNews};
use crate::open311::{AttributeDef, ComplaintCategory, Open311Client, Open311Config};
use crate::photo;
use crate::store::{Store, StoreRecovery};
use crate::throughput::Throughput;
use crate::usage::{self, DataUsage, Feature, StoreMeter};
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
    open311: Open311Client,
    clock: Arc<dyn Clock>,
    area: Area,
    events: Arc<Events>,
    /// The complaints' announcements, turned into events for the listeners.
    announce: complaints::Announce,
    /// One flush at a time: a second caller waits and then finds the queue already sent.
    flushing: tokio::sync::Mutex<()>,
    /// The complaint a flush is sending right now (not to be edited or cancelled meanwhile).
    in_flight: std::sync::Mutex<Option<String>>,
    /// The link's throughput from recent transfers (photo sizes on a slow link).
    throughput: Arc<Throughput>,
    /// The shell says the network is metered (until told otherwise, it is).
    metered: std::sync::atomic::AtomicBool,
}

impl Baladiya {
    /// Open the store (creating and migrating it) and prepare the API client. No network.
    pub fn open(config: Config) -> Result<Self> {
        let api = ApiClient::new(&config.server_url, &config.http)?;
        let open311 = Open311Client::new(config.open311.clone(), &config.http)?
            .with_municipal_server(&config.server_url);
        let store = Arc::new(Store::open(&config.data_dir)?);
        let events = Arc::new(Events::default());
        let to_listeners = Arc::clone(&events);
        store.on_recovery(Arc::new(move |r| to_listeners.emit(&Event::StoreRecovered(r.clone()))));
        let throughput = Arc::new(Throughput::default());
        let api = api.with_meter(StoreMeter::shared(&store, None)).with_throughput(Arc::clone(&throughput));
        let open311 = open311
            .with_meter(StoreMeter::shared(&store, Some(Feature::Complaints)))
            .with_throughput(Arc::clone(&throughput));
        let api = Arc::new(api);
        let to_listeners = Arc::clone(&events);
        let announce: complaints::Announce =
            Arc::new(move |e: complaints::ComplaintEvent| to_listeners.emit(&Event::from(e)));
        Ok(Baladiya {
            announce,
            guide: Guide::new(Arc::clone(&store), Arc::clone(&api)),
            bills: Bills::new(Arc::clone(&store), Arc::clone(&api), Arc::clone(&config.clock)),
            news: News::new(Arc::clone(&store), api),
            store,
            open311,
            clock: config.clock,
            area: config.area,
            events,
            flushing: tokio::sync::Mutex::new(()),
            in_flight: std::sync::Mutex::new(None),
            throughput,
            metered: std::sync::atomic::AtomicBool::new(true),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Bytes moved per feature since the app was installed (guide, complaints, bills, news).
    pub fn data_usage(&self) -> Result<Vec<DataUsage>> {
        self.store.read(usage::totals)
    }

    /// Each time the local database was found damaged since this client was opened (at open
    /// included), set aside and rebuilt, oldest first; empty when it never was. The ones found
    /// while the app runs are also raised as [`Event::StoreRecovered`].
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
    /// `Event::GuideSynced`.
    pub async fn sync_guide(&self) -> Result<GuideSyncReport> {
        let report = self.guide.sync().await?;
        if !report.not_modified {
            self.events.emit(&Event::GuideSynced(report.clone()));
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

/// Complaints and suggestions.
impl Baladiya {
    /// The language asked of the complaints server from now on (`ar`, `en`): the app's, when the
    /// citizen switches it. The cached categories keep their names until the next refresh.
    pub fn set_complaints_locale(&self, locale: &str) {
        self.open311.set_locale(locale);
    }

    /// Fetch the complaint categories and their definitions into the offline cache.
    pub async fn refresh_complaint_categories(&self) -> Result<usize> {
        complaints::categories::refresh(&self.store, &self.open311).await
    }

    /// The cached categories (complaints and suggestions), in the server's order.
    pub fn complaint_categories(&self) -> Result<Vec<ComplaintCategory>> {
        self.store.read(complaints::categories::list)
    }

    /// The attributes to fill in for one category (empty when it has none).
    pub fn complaint_definition(&self, code: &str) -> Result<Vec<AttributeDef>> {
        match self.store.read(|c| complaints::categories::get(c, code))? {
            Some((_, definition)) => Ok(definition.unwrap_or_default()),
            None => Err(Error::NotFound(format!("category {code}"))),
        }
    }

    /// File a complaint with no network: check it against the cached definition, prepare the
    /// photos (downscaled, re-encoded, metadata stripped), and write it to the outbox with them in
    /// one transaction. Returns the tracking number at once; sending happens on `flush`.
    pub fn submit_complaint(&self, draft: ComplaintDraft, photos: &[Vec<u8>]) -> Result<String> {
        self.submit_complaint_with(draft, photos, PhotoChoice::default())
    }

    /// [`Baladiya::submit_complaint`] with the citizen's choice for the photos: on a link the
    /// core has seen to be slow ([`crate::throughput`]) they are prepared smaller
    /// ([`photo::PhotoSize::SLOW_LINK`]) unless `full_quality`; `on_unmetered_only` keeps them
    /// until the shell reports a network that is not metered ([`Baladiya::set_metered`]).
    pub fn submit_complaint_with(
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
            let id = complaints::outbox::insert(tx, &draft, &prepared, now)?;
            if choice.on_unmetered_only && !prepared.is_empty() {
                complaints::outbox::set_photos_unmetered_only(tx, &id)?;
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
        self.metered.store(metered, std::sync::atomic::Ordering::Relaxed);
    }

    fn checked(&self, draft: ComplaintDraft) -> Result<ComplaintDraft> {
        let (known, entry) = self.store.read(|c| {
            Ok((
                complaints::categories::any_cached(c)?,
                complaints::categories::get(c, draft.service_code.trim())?,
            ))
        })?;
        let (category, definition) = match &entry {
            Some((c, d)) => (Some(c), d.as_deref()),
            None => (None, None),
        };
        complaints::validate::check(draft, known, category, definition, &self.area)
    }

    /// Every complaint on this phone, newest first, with its state and history.
    pub fn complaints(&self) -> Result<Vec<Complaint>> {
        self.store.read(complaints::outbox::list)
    }

    pub fn complaint(&self, local_id: &str) -> Result<Complaint> {
        self.store.read(|c| complaints::outbox::get(c, local_id))
    }

    /// Withdraw a complaint that has not left the phone (or that the server refused).
    pub fn cancel_complaint(&self, local_id: &str) -> Result<()> {
        self.not_in_flight(local_id)?;
        self.store.write(|tx| complaints::outbox::cancel(tx, local_id))
    }

    /// Replace a refused (or not yet attempted) complaint's draft and queue it again.
    pub fn edit_complaint(&self, local_id: &str, draft: ComplaintDraft) -> Result<()> {
        self.not_in_flight(local_id)?;
        let draft = self.checked(draft)?;
        self.store.write(|tx| complaints::outbox::replace_draft(tx, local_id, &draft))
    }

    /// Queue a refused complaint again unchanged.
    pub fn resend_complaint(&self, local_id: &str) -> Result<()> {
        self.not_in_flight(local_id)?;
        self.store.write(|tx| complaints::outbox::requeue(tx, local_id))
    }

    fn not_in_flight(&self, local_id: &str) -> Result<()> {
        let busy = self.in_flight.lock().unwrap_or_else(|p| p.into_inner()).as_deref() == Some(local_id);
        if busy {
            return Err(Error::validation("local_id", "being sent right now"));
        }
        Ok(())
    }

    /// Send every queued complaint now (the citizen asked, or the network came back).
    pub async fn flush_complaints(&self) -> Result<FlushReport> {
        self.flush(true, None).await
    }

    /// Send what is due by its retry schedule, stopping at `deadline_ms` on the core's clock.
    pub async fn flush(&self, force: bool, deadline_ms: Option<i64>) -> Result<FlushReport> {
        let _one_at_a_time = self.flushing.lock().await;
        let flusher = complaints::flush::Flusher {
            store: &self.store,
            client: &self.open311,
            clock: self.clock.as_ref(),
            announce: &self.announce,
            in_flight: &self.in_flight,
            metered: self.metered.load(std::sync::atomic::Ordering::Relaxed),
        };
        complaints::extensions::around(&self.store, &self.open311, flusher.run(force, deadline_ms)).await
    }

    /// Bring status changes and replies for the citizen's sent complaints; raises one event per
    /// new history entry.
    pub async fn refresh_complaints(&self) -> Result<RefreshReport> {
        let refresh =
            complaints::refresh::refresh(&self.store, &self.open311, self.clock.as_ref(), &self.announce);
        complaints::extensions::around(&self.store, &self.open311, refresh).await
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
    /// Refresh the offline news (one conditional request); new items raise `Event::NewsArrived`.
    pub async fn refresh_news(&self) -> Result<NewsReport> {
        let (report, new) = self.news.refresh().await?;
        if !new.is_empty() {
            self.events.emit(&Event::NewsArrived { items: new, important: report.important.len() as u32 });
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

    pub(crate) fn emit(&self, event: &Event) {
        self.events.emit(event)
    }
}

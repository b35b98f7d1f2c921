//! `Baladiya`: the one object a shell or the CLI holds. Reads are answered from the local store at
//! once; network work (sync) runs on the caller's tokio runtime and writes in one short transaction.

use std::path::PathBuf;
use std::sync::Arc;

use baladiya_wire::{Category, Department, GuideResponse, Service, Violation};

use crate::api::{ApiClient, Fetched, HttpSettings};
use crate::error::{Error, Result};
use crate::events::{Event, Events, Listener};
use crate::guide::search::{SearchHit, Vocabulary};
use crate::guide::{self, sync::GuideSyncReport};
use crate::store::Store;

/// How the core is opened.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the app keeps its database (the app's private files directory on a phone).
    pub data_dir: PathBuf,
    /// The municipal API, e.g. `https://api.example.ps/`.
    pub server_url: String,
    pub http: HttpSettings,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>, server_url: impl Into<String>) -> Self {
        Config { data_dir: data_dir.into(), server_url: server_url.into(), http: HttpSettings::default() }
    }
}

pub struct Baladiya {
    store: Arc<Store>,
    api: ApiClient,
    vocabulary: Vocabulary,
    events: Events,
}

impl Baladiya {
    /// Open the store (creating and migrating it) and prepare the API client. No network.
    pub fn open(config: Config) -> Result<Self> {
        let api = ApiClient::new(&config.server_url, &config.http)?;
        let store = Arc::new(Store::open(&config.data_dir)?);
        Ok(Baladiya { store, api, vocabulary: Vocabulary::default(), events: Events::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Register a listener for events; the id unsubscribes it.
    pub fn subscribe(&self, listener: Listener) -> u64 {
        self.events.subscribe(listener)
    }

    pub fn unsubscribe(&self, id: u64) {
        self.events.unsubscribe(id)
    }

    /// Bring the guide up to date: a conditional request (304 when nothing changed), a delta since
    /// the local version when there is one, the whole catalogue otherwise. On any error the local
    /// catalogue is left exactly as it was.
    pub async fn sync_guide(&self) -> Result<GuideSyncReport> {
        let (version, etag) = self.store.read(|c| Ok((guide::local_version(c)?, guide::meta(c, "etag")?)))?;
        let path = match version {
            Some(v) => format!("api/v1/guide?since={v}"),
            None => "api/v1/guide".to_owned(),
        };
        let etag = version.and(etag);
        match self.api.get_json::<GuideResponse>(&path, etag.as_deref()).await? {
            Fetched::NotModified { wire_bytes } => Ok(GuideSyncReport {
                not_modified: true,
                version: version.unwrap_or_default(),
                bytes_received: wire_bytes,
                ..Default::default()
            }),
            Fetched::Fresh { value, etag, wire_bytes } => {
                check_response(&value, version)?;
                let store = Arc::clone(&self.store);
                // The write may take a while for a full catalogue: keep it off the async workers.
                let mut report = tokio::task::spawn_blocking(move || {
                    store.write(|tx| guide::sync::apply(tx, &value, etag.as_deref()))
                })
                .await
                .map_err(|e| Error::Storage(format!("sync write did not finish: {e}")))??;
                report.bytes_received = wire_bytes;
                self.events.emit(&Event::GuideSynced(report.clone()));
                Ok(report)
            }
        }
    }

    /// Search the offline guide; never touches the network.
    pub fn search_guide(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.store.read(|c| guide::search::search(c, &self.vocabulary, query, limit))
    }

    pub fn service(&self, id: &str) -> Result<Service> {
        self.store.read(|c| guide::service(c, id))?.ok_or_else(|| Error::NotFound(format!("service {id}")))
    }

    pub fn services(&self, category_id: Option<&str>) -> Result<Vec<Service>> {
        self.store.read(|c| guide::services(c, category_id))
    }

    pub fn violation(&self, id: &str) -> Result<Violation> {
        self.store
            .read(|c| guide::violation(c, id))?
            .ok_or_else(|| Error::NotFound(format!("violation {id}")))
    }

    pub fn violations(&self) -> Result<Vec<Violation>> {
        self.store.read(guide::violations)
    }

    pub fn departments(&self) -> Result<Vec<Department>> {
        self.store.read(guide::departments)
    }

    pub fn categories(&self) -> Result<Vec<Category>> {
        self.store.read(guide::categories)
    }

    /// The catalogue version held locally; `None` before the first successful sync.
    pub fn guide_version(&self) -> Result<Option<i64>> {
        self.store.read(guide::local_version)
    }
}

/// A response that parses but cannot be right is refused before it touches the store.
fn check_response(resp: &GuideResponse, local: Option<i64>) -> Result<()> {
    if let Some(since) = resp.since {
        if Some(since) != local {
            return Err(Error::MalformedResponse(format!(
                "delta since {since} does not apply to this catalogue"
            )));
        }
    }
    if resp.services.iter().any(|s| s.id.is_empty()) || resp.violations.iter().any(|v| v.id.is_empty()) {
        return Err(Error::MalformedResponse("a guide entry has no id".into()));
    }
    Ok(())
}

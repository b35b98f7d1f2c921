//! The guide as a feature service: its store access, its one network call (the conditional sync)
//! and its search index. It raises no events: the facade ([`crate::Baladiya`]) announces a sync
//! that changed something.

use std::sync::Arc;

use baladiya_wire::{Category, Department, GuideResponse, Service, Violation};

use super::search::{SearchHit, SearchState};
use super::sync::GuideSyncReport;
use crate::api::{ApiClient, Fetched};
use crate::error::{Error, Result};
use crate::store::Store;

pub struct Guide {
    store: Arc<Store>,
    api: Arc<ApiClient>,
    search: Arc<SearchState>,
}

impl Guide {
    pub fn new(store: Arc<Store>, api: Arc<ApiClient>) -> Guide {
        // A weak handle: a background index build must not keep a closed store open.
        let weak = Arc::downgrade(&store);
        let search = SearchState::new(Arc::new(move || match weak.upgrade() {
            Some(store) => store.open_reader(),
            None => Err(Error::Storage("the store was closed".into())),
        }));
        Guide { store, api, search: Arc::new(search) }
    }

    /// Bring the guide up to date: a conditional request (304 when nothing changed), a delta since
    /// the local version when there is one, the whole catalogue otherwise. On any error the local
    /// catalogue is left exactly as it was. `not_modified` in the report when nothing changed.
    pub async fn sync(&self) -> Result<GuideSyncReport> {
        let (version, etag) = self.store.read(|c| Ok((super::local_version(c)?, super::meta(c, "etag")?)))?;
        let path = match version {
            Some(v) => format!("api/v1/guide?since={v}"),
            None => "api/v1/guide".to_owned(),
        };
        let etag = version.and(etag);
        match self.api.get_json::<GuideResponse>(&path, etag.as_deref()).await? {
            Fetched::NotModified { wire_bytes } => {
                self.prepare_search().await;
                Ok(GuideSyncReport {
                    not_modified: true,
                    version: version.unwrap_or_default(),
                    bytes_received: wire_bytes,
                    ..Default::default()
                })
            }
            Fetched::Fresh { value, etag, wire_bytes } => {
                check_response(&value, version)?;
                let store = Arc::clone(&self.store);
                // The write may take a while for a full catalogue: keep it off the async workers.
                let mut report = tokio::task::spawn_blocking(move || {
                    store.write(|tx| {
                        // A delta applies only to the catalogue it was asked for: not to a store
                        // rebuilt empty (after damage) while it was downloading.
                        if value.since.is_some() && super::local_version(tx)? != version {
                            return Err(Error::Storage(
                                "the local guide changed during the sync; sync again".into(),
                            ));
                        }
                        super::sync::apply(tx, &value, etag.as_deref())
                    })
                })
                .await
                .map_err(|e| Error::Storage(format!("sync write did not finish: {e}")))??;
                report.bytes_received = wire_bytes;
                self.prepare_search().await;
                Ok(report)
            }
        }
    }

    /// Build the search index of the catalogue now, off the async workers, rather than in the
    /// citizen's first search. A failure here only means that search builds it (or says why).
    async fn prepare_search(&self) {
        let (store, search) = (Arc::clone(&self.store), Arc::clone(&self.search));
        match tokio::task::spawn_blocking(move || store.read(|c| search.prepare(c))).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "search index not prepared after sync"),
            Err(e) => tracing::warn!(error = %e, "search index preparation did not finish"),
        }
    }

    /// Search the offline guide; never touches the network.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<SearchHit>> {
        self.store.read(|c| super::search::search(c, &self.search, query, limit))
    }

    /// Heap bytes the in-memory search index holds (roughly); `None` when the catalogue is
    /// searched on disk or before the first search.
    pub fn search_index_bytes(&self) -> Option<usize> {
        self.search.resident_bytes()
    }

    pub fn service(&self, id: &str) -> Result<Service> {
        self.store.read(|c| super::service(c, id))?.ok_or_else(|| Error::NotFound(format!("service {id}")))
    }

    pub fn services(&self, category_id: Option<&str>) -> Result<Vec<Service>> {
        self.store.read(|c| super::services(c, category_id))
    }

    pub fn violation(&self, id: &str) -> Result<Violation> {
        self.store
            .read(|c| super::violation(c, id))?
            .ok_or_else(|| Error::NotFound(format!("violation {id}")))
    }

    pub fn violations(&self) -> Result<Vec<Violation>> {
        self.store.read(super::violations)
    }

    pub fn departments(&self) -> Result<Vec<Department>> {
        self.store.read(super::departments)
    }

    pub fn categories(&self) -> Result<Vec<Category>> {
        self.store.read(super::categories)
    }

    /// The catalogue version held locally; `None` before the first successful sync.
    pub fn version(&self) -> Result<Option<i64>> {
        self.store.read(super::local_version)
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

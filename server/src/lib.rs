//! The reference municipal API of Baladiya.
//!
//! - `GET /healthz`: live (the process answers; the database is not asked)
//! - `GET /readyz`: ready (the database answers within 2 s and its schema is this server's)
//! - `GET /api/v1/guide[?since=N]`: the procedures and violations guide (ETag, 304, gzip, deltas)
//! - `PUT|DELETE /api/v1/staff/guide/services/{id}` and `/violations/{id}`: staff edits
//! - `/open311/v2/…`: Open311 GeoReport v2 complaints and suggestions, and
//!   `/api/v1/staff/requests…`: the staff workflow over them (see [`open311`])
//! - `GET /api/v1/bills/verification` and `GET /api/v1/bills/{account}`: bill lookup behind a
//!   verification factor, throttled (see [`bills`])
//! - `GET /api/v1/news`, `POST /api/v1/staff/news`, `DELETE /api/v1/staff/news/{id}`: news
//!   (see [`news`])
//! - `GET|POST /webhooks/whatsapp` and `/webhooks/messenger`: inbound channel messages, signed,
//!   into intake items for the console (see [`channels`]); only when the channel's secrets are set
//! - `/staff/…`: the staff console, HTML pages behind staff accounts (see [`console`])
//!
//! SQLite (embedded) under a data directory, or PostgreSQL (`--database`; see [`sql`] and
//! [`DatabaseUrl`]). Logs name the route template, never the concrete path
//! or query, so account numbers and tracking ids added later cannot leak into logs.

pub mod bills;
mod catalogue;
pub mod channels;
mod conditional;
pub mod console;
mod db;
mod error;
#[cfg(feature = "graph-standin")]
pub mod graph_standin;
mod guide;
pub mod listener;
pub mod news;
pub mod open311;
mod pg;
pub mod sql;
mod staff;
pub mod text;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, put};
use axum::Router;
use tokio::sync::RwLock;

pub use bills::{BillsConfig, VerificationKind};
pub use channels::ChannelsConfig;
pub use db::{migrate_url, test_database_for, DatabaseUrl, Db, DbError, TEST_POSTGRES_ENV};
pub use listener::Limits;
pub use open311::Open311Config;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Load the sample catalogue into an empty database.
    pub demo: bool,
    /// Bearer token of the staff API; `None` disables it.
    pub staff_token: Option<String>,
}

/// Settings of the server's features beyond [`ServerConfig`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub open311: Open311Config,
    pub bills: BillsConfig,
    /// Connection timeouts and cap (see [`listener`]).
    pub limits: Limits,
    /// The WhatsApp and Messenger webhooks' secrets; a channel without them has no webhook.
    pub channels: ChannelsConfig,
    /// The database; by default `server.db` under [`ServerConfig::data_dir`].
    pub database: Option<DatabaseUrl>,
}

pub struct AppState {
    db: Db,
    staff_token: Option<String>,
    /// The whole catalogue, serialised and compressed for its current version.
    full_guide: RwLock<Option<Arc<conditional::Representation>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("sample data: {0}")]
    Sample(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

/// Open the database (seeding the sample catalogue when asked) and build the router, with the
/// default Open311 settings (jurisdiction `gaza.ps`; with `demo`, the demo API key and department
/// tokens).
pub fn app(config: &ServerConfig) -> Result<Router, ServerError> {
    app_with(config, &Open311Config::default())
}

/// [`app`] with Open311 settings of its own.
pub fn app_with(config: &ServerConfig, open311: &Open311Config) -> Result<Router, ServerError> {
    app_with_options(config, &Options { open311: open311.clone(), ..Options::default() })
}

/// [`app`] with settings of its own for every feature. Serve it with [`listener::serve`] (as
/// [`serve`] does), which adds the connection's limits and the peer address that bill lookups are
/// throttled by.
pub fn app_with_options(config: &ServerConfig, options: &Options) -> Result<Router, ServerError> {
    let open311 = &options.open311;
    let url = match &options.database {
        Some(url) => url.clone(),
        // Tests run the same suite on PostgreSQL with the test cluster's variable set.
        None => db::test_database_for(&config.data_dir)?
            .unwrap_or_else(|| DatabaseUrl::default_for(&config.data_dir)),
    };
    let db = Db::open_url(&url)?;
    if config.demo {
        let seed = catalogue::sample().map_err(|e| ServerError::Sample(e.to_string()))?;
        let seeded = db
            .with(|c| catalogue::seed_if_empty(c, &seed))
            .map_err(|e| ServerError::Sample(e.to_string()))?;
        if seeded {
            tracing::info!(
                services = seed.services.len(),
                violations = seed.violations.len(),
                "loaded sample catalogue"
            );
        }
    }
    let (complaints, open311_state) = open311::router(
        db.clone(),
        config.demo,
        config.staff_token.as_deref(),
        open311,
        options.limits.body_timeout,
    )
    .map_err(ServerError::Sample)?;
    let console = console::router(open311_state, config.demo).map_err(ServerError::Sample)?;
    let bills = bills::router(db.clone(), config.demo, &options.bills).map_err(ServerError::Sample)?;
    let webhooks = channels::router(db.clone(), &options.channels);
    let news =
        news::router(db.clone(), config.demo, config.staff_token.as_deref()).map_err(ServerError::Sample)?;
    let state =
        Arc::new(AppState { db, staff_token: config.staff_token.clone(), full_guide: RwLock::new(None) });
    Ok(Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/api/v1/guide", get(guide::get_guide))
        .route("/api/v1/staff/guide/services/{id}", put(staff::put_service).delete(staff::delete_service))
        .route(
            "/api/v1/staff/guide/violations/{id}",
            put(staff::put_violation).delete(staff::delete_violation),
        )
        .with_state(state)
        .merge(complaints)
        .merge(console)
        .merge(bills)
        .merge(news)
        .merge(webhooks)
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        // Making a request of a WhatsApp message fetches its photos (console and staff API).
        .layer(axum::Extension(Arc::new(channels::media::MediaFetcher::new(options.channels.graph.clone()))))
        .layer(middleware::from_fn(log_request)))
}

/// Liveness: the process is up and serving. The database is not asked, so an orchestrator does
/// not restart every process while the database is away (readiness says that).
async fn healthz() -> &'static str {
    "ok"
}

/// How long readiness waits for the database.
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness: the database answers, within [`READY_TIMEOUT`], and its schema is the one this
/// server migrated it to (a newer server's migration makes this one unready rather than wrong).
async fn readyz(State(state): State<Arc<AppState>>) -> axum::response::Response {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let asked = tokio::time::timeout(READY_TIMEOUT, state.db.call(|c| Ok(db::version_of(c)?))).await;
    let problem = match asked {
        Ok(Ok(v)) if v == db::LATEST => return "ready".into_response(),
        Ok(Ok(v)) => format!("the database's schema is version {v}, this server's {}", db::LATEST),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database did not answer");
            "the database did not answer".to_owned()
        }
        Err(_) => "the database did not answer in time".to_owned(),
    };
    (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "error": problem }))).into_response()
}

/// One structured line per request: method, route template, status, latency.
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "-".into());
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::info!(%method, %route, status = resp.status().as_u16(), ms = started.elapsed().as_secs_f64() * 1e3, "request");
    resp
}

/// Serve on `listener` until `shutdown` resolves, then finish in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve_with_options(listener, config, Options::default(), shutdown).await
}

/// [`serve`] with Open311 settings of its own.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    open311: Open311Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve_with_options(listener, config, Options { open311, ..Options::default() }, shutdown).await
}

/// [`serve`] with settings of its own for every feature.
pub async fn serve_with_options(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = app_with_options(&config, &options)?;
    listener::serve(listener, app, options.limits, shutdown).await?;
    Ok(())
}

/// A server running on its own thread and runtime, for the CLI demo and tests.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), ServerError>>>,
}

impl RunningServer {
    /// Start on `addr` (port 0 picks a free port) and return once it accepts connections.
    pub fn start(config: ServerConfig, addr: SocketAddr) -> Result<Self, ServerError> {
        Self::start_with(config, Open311Config::default(), addr)
    }

    /// [`RunningServer::start`] with Open311 settings of its own.
    pub fn start_with(
        config: ServerConfig,
        open311: Open311Config,
        addr: SocketAddr,
    ) -> Result<Self, ServerError> {
        Self::start_with_options(config, Options { open311, ..Options::default() }, addr)
    }

    /// [`RunningServer::start`] with settings of its own for every feature.
    pub fn start_with_options(
        config: ServerConfig,
        options: Options,
        addr: SocketAddr,
    ) -> Result<Self, ServerError> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let router = app_with_options(&config, &options)?;
        let limits = options.limits;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("baladiya-server".into()).spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            rt.block_on(async move {
                let tcp = tokio::net::TcpListener::from_std(std_listener)?;
                listener::serve(tcp, router, limits, async move {
                    let _ = stopped.await;
                })
                .await?;
                Ok(())
            })
        })?;
        Ok(RunningServer { addr, stop: Some(stop), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stop accepting, finish in-flight requests, and wait for the thread.
    pub fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(ServerError::Io(std::io::Error::other("server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

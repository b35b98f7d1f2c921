//! `baladiya-server`: the reference municipal API.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use baladiya_server::bills::throttle::Limit;
use baladiya_server::{
    app_with_options, listener, BillsConfig, ChannelsConfig, DatabaseUrl, Limits, Open311Config, Options,
    ServerConfig, VerificationKind,
};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Baladiya reference municipal API (SQLite embedded)")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the server's database (when --database is not given).
    #[arg(long, default_value = "./baladiya-server-data", global = true)]
    data_dir: PathBuf,
    /// The database: sqlite://PATH (by default server.db under --data-dir) or postgres://…
    /// (or DATABASE_URL; it may hold a password, so prefer the environment).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true, value_parser = database_url)]
    database: Option<DatabaseUrl>,
    /// Load the sample catalogue (labelled sample data) into an empty database.
    #[arg(long)]
    demo: bool,
    /// Bearer token for the staff API (or BALADIYA_STAFF_TOKEN); without one the staff API is off.
    #[arg(long, env = "BALADIYA_STAFF_TOKEN", hide_env_values = true)]
    staff_token: Option<String>,
    /// Open311 jurisdiction_id this server answers for.
    #[arg(long, env = "BALADIYA_JURISDICTION_ID", default_value = baladiya_server::open311::DEFAULT_JURISDICTION)]
    jurisdiction_id: String,
    /// An API key accepted on Open311 POST (repeatable, or comma-separated in
    /// BALADIYA_OPEN311_API_KEYS). With --demo, `demo-app-key` is accepted too.
    #[arg(
        long = "open311-api-key",
        env = "BALADIYA_OPEN311_API_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    open311_api_keys: Vec<String>,
    /// A department's staff token, as DEPARTMENT_ID=TOKEN (repeatable, or comma-separated in
    /// BALADIYA_DEPARTMENT_TOKENS). The --staff-token is the dispatcher's. With --demo, every
    /// department also gets `demo-dept-<id>`.
    #[arg(long = "department-token", env = "BALADIYA_DEPARTMENT_TOKENS", value_delimiter = ',', value_parser = department_token, hide_env_values = true)]
    department_tokens: Vec<(String, String)>,
    /// Public base URL (e.g. https://api.gaza-city.ps) for media URLs and Open311 discovery;
    /// by default http:// and the request's Host.
    #[arg(long, env = "BALADIYA_PUBLIC_URL")]
    public_url: Option<String>,
    /// What a bill lookup must prove besides the account number: `phone` (the number registered
    /// on the account) or `national_id` (the holder's id number).
    #[arg(long, env = "BALADIYA_BILL_VERIFICATION", default_value = "phone", value_parser = verification_kind)]
    bill_verification: VerificationKind,
    /// Failed bill verifications allowed per account number and client address together, in
    /// each --bill-failure-window.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    bill_failures_per_pair: u32,
    /// Failed bill verifications allowed per account number from all clients.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    bill_failures_per_account: u32,
    /// Failed bill verifications allowed per client address over all accounts.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    bill_failures_per_client: u32,
    /// Seconds a failed bill verification is counted for.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    bill_failure_window: u64,
    /// Seconds a client has, from the first byte of a request, to send its whole head (request
    /// line and headers).
    #[arg(long, default_value_t = listener::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a connection may stay open with no request running or arriving (keep-alive).
    #[arg(long, default_value_t = listener::DEFAULT_IDLE_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,
    /// Seconds a client has, after a request's headers, to send its whole body (uploads).
    #[arg(long, default_value_t = listener::DEFAULT_BODY_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Connections open at once; at the cap the longest-idle connection is closed, and a new one
    /// is refused only when all are busy. Keep it below `ulimit -n`.
    #[arg(long, default_value_t = listener::DEFAULT_MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Largest photo accepted with a complaint, in megapixels (width × height / 10^6).
    #[arg(long, default_value_t = baladiya_server::open311::photo::DEFAULT_MAX_PIXELS as f64 / 1e6)]
    max_photo_megapixels: f64,
    /// Complaints whose photos may be in memory at once; more wait (their body unread) for a
    /// slot until their body timeout.
    #[arg(long, default_value_t = baladiya_server::open311::DEFAULT_MAX_UPLOADS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_uploads: u64,
    /// Days a channel message (intake item) is kept after its latest message; then its messages
    /// and its sender's number and name are erased.
    #[arg(long, default_value_t = baladiya_server::channels::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
    intake_retention_days: u32,
    /// Seconds of silence before TCP keepalive probes a client; 0 turns keepalive off.
    #[arg(long, default_value_t = listener::DEFAULT_TCP_KEEPALIVE.as_secs())]
    tcp_keepalive: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Apply the schema's migrations to the database (--database, or the one under --data-dir)
    /// and exit; a database written by a newer server is refused. The server also migrates at
    /// start; this lets a deployment migrate before it starts new processes.
    Migrate,
    /// Staff accounts of the console (/staff/). A password is read from standard input (one
    /// line), never from the command line.
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
}

#[derive(Subcommand)]
enum StaffCommand {
    /// Create an account: `staff add NAME --role dispatcher|verifier|department|editor|admin
    /// [--department ID]`, the password on standard input.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        /// The department of a department account (e.g. `water`).
        #[arg(long)]
        department: Option<String>,
    },
    /// Disable an account (its sessions end at once).
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Set a new password (from standard input); the account's sessions end.
    Reset { username: String },
    /// Print a new bearer token of the staff API for an account (shown once); it acts with the
    /// account's role and stops when the account is disabled.
    Token {
        username: String,
        /// What the token is for (e.g. the integration's name).
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke every bearer token of an account.
    Revoke { username: String },
    /// List the accounts.
    List,
}

/// Run a `staff` subcommand against the database.
fn staff_command(database: &DatabaseUrl, action: StaffCommand) -> Result<String, String> {
    use baladiya_server::console::accounts::{self, AccountRole};
    let read_password = || -> Result<String, String> {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
        let pw = line.trim_end_matches(['\n', '\r']).to_owned();
        accounts::hash_password(&pw)
    };
    let db = baladiya_server::Db::open_url(database).map_err(|e| format!("database: {e}"))?;
    match action {
        StaffCommand::Add { username, role, department } => {
            let username = username.trim().to_lowercase();
            accounts::check_username(&username)?;
            let role = AccountRole::parse(&role, department.as_deref())?;
            let hash = read_password()?;
            db.with(|c| accounts::add(c, &username, &role, &hash)).map_err(|e| e.to_string())?;
            Ok(format!("added {username} ({})", role.name()))
        }
        StaffCommand::Disable { username } => {
            db.with(|c| accounts::set_disabled(c, &username, true)).map_err(|e| e.to_string())?;
            Ok(format!("disabled {username}"))
        }
        StaffCommand::Enable { username } => {
            db.with(|c| accounts::set_disabled(c, &username, false)).map_err(|e| e.to_string())?;
            Ok(format!("enabled {username}"))
        }
        StaffCommand::Reset { username } => {
            let hash = read_password()?;
            db.with(|c| accounts::reset(c, &username, &hash)).map_err(|e| e.to_string())?;
            Ok(format!("new password set for {username}; its sessions ended"))
        }
        StaffCommand::Token { username, label } => {
            db.with(|c| accounts::create_token(c, &username, label.as_deref())).map_err(|e| e.to_string())
        }
        StaffCommand::Revoke { username } => {
            let n = db.with(|c| accounts::revoke_tokens(c, &username)).map_err(|e| e.to_string())?;
            Ok(format!("revoked {n} token(s) of {username}"))
        }
        StaffCommand::List => {
            let list = db.with(|c| accounts::list(c)).map_err(|e| e.to_string())?;
            Ok(list
                .iter()
                .map(|a| {
                    let dept = a.role.department().map(|d| format!(" {d}")).unwrap_or_default();
                    let state = if a.disabled { " disabled" } else { "" };
                    format!("{}\t{}{dept}{state}", a.username, a.role.name())
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
    }
}

fn database_url(s: &str) -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(s)
}

fn verification_kind(s: &str) -> Result<VerificationKind, String> {
    VerificationKind::parse(s).ok_or_else(|| "expected phone or national_id".into())
}

fn department_token(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((d, t)) if !d.is_empty() && !t.is_empty() => Ok((d.to_owned(), t.to_owned())),
        _ => Err("expected DEPARTMENT_ID=TOKEN".into()),
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let database = args.database.clone().unwrap_or_else(|| DatabaseUrl::default_for(&args.data_dir));
    if let Some(Command::Migrate) = args.command {
        // Off the async workers: PostgreSQL's client runs its own runtime.
        let url = database.clone();
        let done = tokio::task::spawn_blocking(move || baladiya_server::migrate_url(&url)).await;
        return match done {
            Ok(Ok((from, to))) if from == to => {
                println!("{database}: at schema version {to}, nothing to do");
                std::process::ExitCode::SUCCESS
            }
            Ok(Ok((from, to))) => {
                println!("{database}: migrated from schema version {from} to {to}");
                std::process::ExitCode::SUCCESS
            }
            Ok(Err(e)) => {
                eprintln!("error: {database}: {e}");
                std::process::ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Staff { action }) = args.command {
        return match staff_command(&database, action) {
            Ok(out) => {
                println!("{out}");
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config = ServerConfig { data_dir: args.data_dir, demo: args.demo, staff_token: args.staff_token };
    // The channel webhooks' secrets come from the environment only (never the command line, where
    // other users of the machine could read them).
    let (mut channels, warnings) = ChannelsConfig::from_env();
    channels.retention_days = args.intake_retention_days;
    for w in warnings {
        tracing::warn!("{w}");
    }
    tracing::info!(
        whatsapp = channels.whatsapp.is_some(),
        messenger = channels.messenger.is_some(),
        sending = channels.graph.is_some(),
        "channel webhooks"
    );
    tracing::info!(%database, "database");
    let options = Options {
        database: Some(database),
        channels,
        open311: Open311Config {
            jurisdiction_id: args.jurisdiction_id,
            api_keys: args.open311_api_keys,
            department_tokens: args.department_tokens,
            public_url: args.public_url,
            max_photo_pixels: (args.max_photo_megapixels.max(0.0) * 1e6) as u64,
            max_uploads: usize::try_from(args.max_uploads).unwrap_or(usize::MAX),
        },
        bills: {
            let window = Duration::from_secs(args.bill_failure_window);
            BillsConfig {
                verification: args.bill_verification,
                per_pair: Limit { max: args.bill_failures_per_pair, window },
                per_account: Limit { max: args.bill_failures_per_account, window },
                per_client: Limit { max: args.bill_failures_per_client, window },
            }
        },
        limits: Limits {
            header_timeout: Duration::from_secs(args.header_timeout),
            idle_timeout: Duration::from_secs(args.idle_timeout),
            body_timeout: Duration::from_secs(args.body_timeout),
            max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
            tcp_keepalive: (args.tcp_keepalive > 0).then(|| Duration::from_secs(args.tcp_keepalive)),
        },
    };
    // The database is opened, migrated and seeded before the address is announced, so a script
    // (or a second process on the same database) that waits for it finds the server ready.
    let app = match app_with_options(&config, &options) {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start");
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, listen = %args.listen, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    // One plain line on stdout with the real address (the port may have been 0), for scripts and
    // tests that start the server.
    println!("listening on http://{addr}/");
    tracing::info!(listen = %addr, "serving");
    match listener::serve(listener, app, options.limits, shutdown_signal()).await {
        Ok(()) => {
            tracing::info!("stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

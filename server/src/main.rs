//! `baladiya-server`: the reference municipal API.

use std::net::SocketAddr;
use std::path::PathBuf;

use baladiya_server::{serve, ServerConfig};
use clap::Parser;

#[derive(Parser)]
#[command(version, about = "Baladiya reference municipal API (SQLite embedded)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the server's database.
    #[arg(long, default_value = "./baladiya-server-data")]
    data_dir: PathBuf,
    /// Load the sample catalogue (labelled sample data) into an empty database.
    #[arg(long)]
    demo: bool,
    /// Bearer token for the staff API (or BALADIYA_STAFF_TOKEN); without one the staff API is off.
    #[arg(long, env = "BALADIYA_STAFF_TOKEN", hide_env_values = true)]
    staff_token: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let config = ServerConfig { data_dir: args.data_dir, demo: args.demo, staff_token: args.staff_token };
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
    match serve(listener, config, shutdown_signal()).await {
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

//! `baladiya`: the terminal harness over the core.
//!
//! `baladiya demo` runs the whole story against an embedded reference server; `baladiya guide ...`
//! talks to any server given with `--server`.

#[macro_use]
mod out;

mod bill;
mod complaint;
mod demo;
mod demo_channels;
mod followup;
mod news;
mod render;
mod usage;

use std::path::PathBuf;
use std::process::ExitCode;

use baladiya_core::{Baladiya, Config};
use clap::{Parser, Subcommand};
use render::Langs;

#[derive(Parser)]
#[command(name = "baladiya", version, about = "Baladiya — Gaza Municipality's citizen app, in a terminal")]
struct Cli {
    /// The municipal API.
    #[arg(long, global = true, env = "BALADIYA_SERVER", default_value = "http://127.0.0.1:8080/")]
    server: String,
    /// Where the local database lives.
    #[arg(long, global = true, env = "BALADIYA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The Open311 endpoint for complaints (default: the server's own `open311/v2/`).
    #[arg(long, global = true, env = "BALADIYA_OPEN311")]
    open311: Option<String>,
    /// The Open311 api_key (the reference server's demo key is `demo-app-key`).
    #[arg(
        long,
        global = true,
        env = "BALADIYA_API_KEY",
        default_value = baladiya_server::open311::DEMO_API_KEY,
        hide_env_values = true
    )]
    api_key: String,
    #[arg(long, global = true, env = "BALADIYA_JURISDICTION")]
    jurisdiction: Option<String>,
    /// Languages to print.
    #[arg(long, global = true, value_enum, default_value = "both")]
    lang: Langs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the reference server with sample data in-process and walk through the app.
    Demo,
    /// The procedures guide.
    #[command(subcommand)]
    Guide(GuideCommand),
    /// Complaints and suggestions.
    #[command(subcommand)]
    Complaint(complaint::ComplaintCommand),
    /// Say whether a closed complaint was really resolved (queued; sent by `complaint flush`).
    Feedback {
        local_id: String,
        #[arg(long, value_enum)]
        resolved: followup::Resolved,
        /// 1 to 5.
        #[arg(long)]
        stars: u8,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reopen a closed complaint within 14 days of its closing (queued; sent by `complaint flush`).
    Reopen {
        local_id: String,
        /// Why the problem is not solved.
        #[arg(long)]
        reason: String,
    },
    /// Water, sewage and waste bills.
    #[command(subcommand)]
    Bill(bill::BillCommand),
    /// News from the municipality.
    News {
        /// Only what has not been read.
        #[arg(long)]
        unread: bool,
        /// Mark everything read afterwards.
        #[arg(long)]
        mark_read: bool,
    },
    /// The data the app has moved per feature: by month (newest first) and since installed.
    Usage {
        /// How many calendar months to show, this one included.
        #[arg(long, default_value_t = 3)]
        months: u32,
    },
    /// One background sync, as the phone runs it: outbox, complaints, news, guide.
    Sync {
        /// Time budget in seconds.
        #[arg(long, default_value_t = 10.0)]
        budget: f64,
    },
}

#[derive(Subcommand)]
enum GuideCommand {
    /// Bring the guide up to date (conditional, delta when possible).
    Sync,
    /// Search offline; Arabic spelling is forgiven.
    Search {
        /// Words to look for (Arabic or English).
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
    /// Show one service in full.
    Show { id: String },
    /// List the violations guide.
    Violations,
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("baladiya")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(run(cli));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in error_lines(e.as_ref()) {
                eprintln!("error: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Every line of an error: each problem of a validation error (a draft missing two answers names
/// both), and each line of a server's reason, never only the first.
fn error_lines(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
    if let Some(core) = e.downcast_ref::<baladiya_core::Error>() {
        let problems = core.problems();
        if !problems.is_empty() {
            return problems.iter().map(|p| format!("invalid {}: {}", p.field, p.reason)).collect();
        }
    }
    e.to_string().lines().filter(|l| !l.trim().is_empty()).map(str::to_owned).collect()
}

fn config(cli: &Cli, data_dir: PathBuf) -> Config {
    let mut config = Config::new(data_dir, cli.server.clone());
    if let Some(endpoint) = &cli.open311 {
        config.open311.endpoint = endpoint.clone();
    }
    config.open311.api_key = Some(cli.api_key.clone());
    config.open311.jurisdiction_id = cli.jurisdiction.clone();
    config
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let cfg = config(&cli, data_dir);
    match cli.command {
        Command::Demo => demo::run(cli.lang).await,
        Command::Guide(cmd) => guide(&open(cfg)?, cmd, cli.lang).await,
        Command::Complaint(cmd) => complaint::run(&open(cfg)?, cmd, cli.lang).await,
        Command::Feedback { local_id, resolved, stars, comment } => {
            followup::feedback(&open(cfg)?, &local_id, resolved, stars, comment)
        }
        Command::Reopen { local_id, reason } => followup::reopen(&open(cfg)?, &local_id, &reason),
        Command::Bill(cmd) => bill::run(&open(cfg)?, cmd, cli.lang).await,
        Command::News { unread, mark_read } => news::run(&open(cfg)?, unread, mark_read, cli.lang).await,
        Command::Usage { months } => Ok(usage::run(&open(cfg)?, months)?),
        Command::Sync { budget } => {
            let core = open(cfg)?;
            let r = core.background_sync(std::time::Duration::from_secs_f64(budget.max(0.0))).await;
            say!("{r:#?}");
            Ok(())
        }
    }
}

/// Open the core, and say on stderr whenever the local database is found damaged: at open (said
/// at once) or during the command (said when it happens), whatever the command.
fn open(cfg: Config) -> Result<Baladiya, baladiya_core::Error> {
    let core = Baladiya::open(cfg)?;
    for r in core.store_recoveries() {
        for line in recovery_lines(&r) {
            eprintln!("{line}");
        }
    }
    core.subscribe(std::sync::Arc::new(|e: &baladiya_core::BaladiyaEvent| {
        if let baladiya_core::BaladiyaEvent::StoreRecovered { recovery: r } = e {
            for line in recovery_lines(r) {
                eprintln!("{line}");
            }
        }
    }));
    Ok(core)
}

/// What a citizen (or support) needs to know about a damaged database that was set aside.
fn recovery_lines(r: &baladiya_core::store::StoreRecovery) -> Vec<String> {
    let when = if r.at_open { "when it was opened" } else { "during this command" };
    let mut lines = vec![
        format!("warning: the local database was found damaged {when} ({})", r.reason),
        format!("warning: it was moved aside, not deleted: {}", r.set_aside),
        format!(
            "warning: a new one was made with what could be read: {} complaint(s), {} of them not yet sent \
             (`complaint flush` sends them), {} photo(s), {} saved bill account(s)",
            r.complaints_recovered,
            r.unsent_complaints_recovered,
            r.photos_recovered,
            r.bill_accounts_recovered
        ),
        "warning: the guide will be downloaded again in full by `guide sync`".to_owned(),
    ];
    if !r.complete {
        lines.push(
            "warning: some complaints or saved accounts could not be read; the file moved aside still has \
             whatever remains of them"
                .to_owned(),
        );
    }
    lines
}

async fn guide(core: &Baladiya, cmd: GuideCommand, langs: Langs) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        GuideCommand::Sync => {
            let r = core.sync_guide().await?;
            demo::print_sync(&r);
        }
        GuideCommand::Search { text, limit } => {
            let query = text.join(" ");
            let hits = core.search_guide(&query, limit)?;
            if hits.is_empty() {
                say!("لا نتائج / no results");
            }
            for h in &hits {
                render::hit(h, langs);
            }
        }
        GuideCommand::Show { id } => render::service(core, &core.service(&id)?, langs),
        GuideCommand::Violations => {
            for v in core.violations()? {
                render::violation(&v, langs);
                say!();
            }
        }
    }
    Ok(())
}

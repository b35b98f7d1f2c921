//! `baladiya demo`: the reference server with the sample catalogue on a free loopback port, a fresh
//! app data directory, and a walk through what the app does today.

use std::time::Instant;

use baladiya_core::{Baladiya, Config, GuideSyncReport};
use baladiya_server::{RunningServer, ServerConfig};

use crate::render::{self, Langs};

/// A token for the demo's staff edit; the server lives only as long as the demo.
const DEMO_STAFF_TOKEN: &str = "demo-staff-token";

pub fn print_sync(r: &GuideSyncReport) {
    if r.not_modified {
        println!("  unchanged (304) — version {}, {} bytes received", r.version, r.bytes_received);
    } else {
        println!(
            "  {} — version {}: {} added, {} updated, {} removed services; {} violations changed, {} removed; {} bytes received",
            if r.full { "full catalogue" } else { "delta" },
            r.version,
            r.services_added,
            r.services_updated,
            r.services_removed,
            r.violations_changed,
            r.violations_removed,
            r.bytes_received
        );
    }
}

fn step(title: &str) {
    println!("\n━━ {title}");
}

pub async fn run(langs: Langs) -> Result<(), Box<dyn std::error::Error>> {
    let server_dir = tempfile::tempdir()?;
    let app_dir = tempfile::tempdir()?;
    let server = RunningServer::start(
        ServerConfig {
            data_dir: server_dir.path().to_owned(),
            demo: true,
            staff_token: Some(DEMO_STAFF_TOKEN.into()),
        },
        "127.0.0.1:0".parse()?,
    )?;
    println!("Baladiya demo — reference server (sample data) at {}", server.url());
    println!("app data directory: {}", app_dir.path().display());

    let core = Baladiya::open(Config::new(app_dir.path(), server.url()))?;

    step("1. First sync of the procedures guide");
    print_sync(&core.sync_guide().await?);
    step("2. Sync again: nothing changed, so the server answers 304 with no body");
    print_sync(&core.sync_guide().await?);

    step("3. Offline search — spelling forgiven (no hamza, ta marbuta as ha, harakat, prefixes, typos)");
    let queries = [
        ("رخصه بناء", "ta marbuta typed as ha"),
        ("براءه ذمه", "clearance certificate, without hamza/ta marbuta"),
        ("اضافة طابق", "alef without hamza"),
        ("رُخْصَة هدم", "with harakat"),
        ("والمياه", "attached و + ال"),
        ("بالعداد", "attached ب + ال"),
        ("عدا", "prefix while typing"),
        ("building permit", "English"),
        ("permt", "English with a typo"),
        ("ترخيص لافته", "ta marbuta at the end"),
    ];
    for (q, why) in queries {
        let started = Instant::now();
        let hits = core.search_guide(q, 3)?;
        let took = started.elapsed();
        println!("\n  «{q}»  ({why}; {} hits in {:.2} ms)", hits.len(), took.as_secs_f64() * 1e3);
        for h in &hits {
            render::hit(h, langs);
        }
    }

    step("4. One service in full");
    render::service(&core, &core.service("building-permit")?, langs);

    step("5. The municipality edits a service; the next sync is a small delta");
    let mut s = core.service("clearance-certificate")?;
    s.summary.ar.push_str(" (تُصدر خلال يوم عمل واحد)");
    s.summary.en.push_str(" (issued within one working day)");
    baladiya_core::api::install_crypto_provider();
    let resp = reqwest::Client::new()
        .put(format!("{}api/v1/staff/guide/services/clearance-certificate", server.url()))
        .bearer_auth(DEMO_STAFF_TOKEN)
        .json(&s)
        .send()
        .await?;
    println!("  staff edit: HTTP {}", resp.status());
    print_sync(&core.sync_guide().await?);

    step("6. The violations guide (first three)");
    for v in core.violations()?.iter().take(3) {
        render::violation(v, langs);
        println!();
    }

    step("7. The server goes away; the guide still works");
    server.stop()?;
    match core.sync_guide().await {
        Err(e) => println!("  sync: {e}"),
        Ok(r) => print_sync(&r),
    }
    let hits = core.search_guide("براءة", 1)?;
    println!("  search «براءة» offline: {} hit(s)", hits.len());
    for h in &hits {
        render::hit(h, langs);
    }
    println!("\nDemo finished.");
    Ok(())
}

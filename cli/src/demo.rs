//! `baladiya demo`: the reference server with the sample catalogue on a free loopback port, a fresh
//! app data directory, and a walk through what the app does today.

use std::time::Instant;

use baladiya_core::complaints::follow::NearbyCheck;
use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, Contact, GeoPoint};
use baladiya_core::{Baladiya, BaladiyaEvent, Config, GuideSyncReport};
use baladiya_server::graph_standin::StandIn;
use baladiya_server::open311::DEMO_API_KEY;
use baladiya_server::{Options, RunningServer, ServerConfig};

use crate::demo_channels;
use crate::render::{self, Langs};

/// A token for the demo's staff edits; the server lives only as long as the demo.
const DEMO_STAFF_TOKEN: &str = "demo-staff-token";

pub fn print_sync(r: &GuideSyncReport) {
    if r.not_modified {
        say!("  unchanged (304) — version {}, {} bytes received", r.version, r.bytes_received);
    } else {
        say!(
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

/// The reference server with the sample data, the demo's staff token, and WhatsApp sending to
/// the stand-in `graph`.
fn start_server(
    dir: &std::path::Path,
    addr: std::net::SocketAddr,
    graph: &StandIn,
) -> Result<RunningServer, Box<dyn std::error::Error>> {
    let config =
        ServerConfig { data_dir: dir.to_owned(), demo: true, staff_token: Some(DEMO_STAFF_TOKEN.into()) };
    let options = Options { channels: demo_channels::config(graph), ..Options::default() };
    Ok(RunningServer::start_with_options(config, options, addr)?)
}

fn step(title: &str) {
    say!("\n━━ {title}");
}

pub async fn run(langs: Langs) -> Result<(), Box<dyn std::error::Error>> {
    let server_dir = tempfile::tempdir()?;
    let app_dir = tempfile::tempdir()?;
    let graph = demo_channels::start_graph().await;
    let server = start_server(server_dir.path(), "127.0.0.1:0".parse()?, &graph)?;
    say!("Baladiya demo — reference server (sample data) at {}", server.url());
    say!("app data directory: {}", app_dir.path().display());

    let mut config = Config::new(app_dir.path(), server.url());
    config.open311.api_key = Some(DEMO_API_KEY.into());
    let core = Baladiya::open(config)?;

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
        say!("\n  «{q}»  ({why}; {} hits in {:.2} ms)", hits.len(), took.as_secs_f64() * 1e3);
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
    say!("  staff edit: HTTP {}", resp.status());
    print_sync(&core.sync_guide().await?);

    step("6. The violations guide (first three)");
    for v in core.violations()?.iter().take(3) {
        render::violation(v, langs);
        say!();
    }

    let server = complaints(&core, server, server_dir.path(), &graph, langs).await?;
    bills_and_news(&core, &server).await?;

    step("14. A complaint on WhatsApp: into the tracker, and the answers back on WhatsApp");
    demo_channels::whatsapp_round_trip(&server.url(), DEMO_STAFF_TOKEN, &graph).await?;

    step("15. The server goes away; the guide, the saved bill and the news still work");
    server.stop()?;
    match core.sync_guide().await {
        Err(e) => say!("  sync: {e}"),
        Ok(r) => print_sync(&r),
    }
    let hits = core.search_guide("براءة", 1)?;
    say!("  search «براءة» offline: {} hit(s)", hits.len());
    for h in &hits {
        render::hit(h, langs);
    }
    let offline = core.lookup_bill(SAMPLE_ACCOUNT, SAMPLE_PHONE).await?;
    let fetched = chrono::DateTime::from_timestamp_millis(offline.fetched_at)
        .map(|d| d.to_rfc3339())
        .unwrap_or_default();
    say!(
        "  bill {} offline: {} (stale: {}, fetched {fetched})",
        SAMPLE_ACCOUNT,
        render::money(offline.statement.total_due_minor, &offline.statement.currency),
        offline.stale
    );
    say!("  news offline: {} items, {} unread", core.news(false)?.len(), core.unread_news_count()?);
    say!("\nDemo finished.");
    Ok(())
}

/// A sample account of the reference server and the phone registered on it (sample data).
const SAMPLE_ACCOUNT: &str = "10561203";
const SAMPLE_PHONE: &str = "0567654321";

/// Steps 11–13: a bill looked up with Arabic-Indic digits, saved for offline use; the news;
/// one background sync as the phone runs it.
async fn bills_and_news(core: &Baladiya, server: &RunningServer) -> Result<(), Box<dyn std::error::Error>> {
    step("11. A water bill, typed in Arabic-Indic digits, verified by the registered phone");
    say!("  the server asks for: {}", core.bill_verification().await?.label.ar);
    match core.lookup_bill("١٠٥٦-١٢٠٣", "٠٥٦٧٦٥٤٠٠٠").await {
        Err(e) => say!("  with a wrong phone: {e}"),
        Ok(_) => say!("  with a wrong phone: accepted?!"),
    }
    let b = core.save_bill_account("١٠٥٦-١٢٠٣", "البيت", "٠٥٦٧ ٦٥٤ ٣٢١").await?;
    let s = &b.statement;
    let c = &s.current;
    say!("  account {} ({}, {}) saved as «البيت»", s.account, s.account_type, s.holder_masked);
    say!(
        "  {}: {} → {} m³ = {} m³, due {}",
        c.period,
        c.meter_previous,
        c.meter_current,
        c.consumption_m3,
        c.due_date
    );
    for l in &c.lines {
        say!("    {:<28} {:>14}", l.label.ar, render::money(l.amount_minor, &s.currency));
    }
    say!(
        "  total due now {} ({} months of history)",
        render::money(s.total_due_minor, &s.currency),
        s.history.len()
    );

    step("12. News from the municipality");
    let r = core.refresh_news().await?;
    say!("  {} items, {} bytes", r.new_items, r.bytes_received);
    for n in core.news(false)?.iter().take(3) {
        say!(
            "  {} {}{}",
            n.item.published_at.get(..10).unwrap_or(""),
            if n.item.important { "! " } else { "" },
            n.item.title.ar
        );
    }
    let again = core.refresh_news().await?;
    say!(
        "  refresh again: unchanged (304) in {} bytes; {} unread",
        again.bytes_received,
        core.unread_news_count()?
    );

    step("13. One background sync, as WorkManager or BGTaskScheduler would run it (budget 5 s)");
    baladiya_core::api::install_crypto_provider();
    reqwest::Client::new()
        .post(format!("{}api/v1/staff/news", server.url()))
        .bearer_auth(DEMO_STAFF_TOKEN)
        .json(&serde_json::json!({
            "title": {"ar": "انقطاع المياه غداً عن حي الرمال للصيانة", "en": "Water cut in Rimal tomorrow for maintenance"},
            "body": {"ar": "من الساعة 8 صباحاً حتى 2 ظهراً.", "en": "From 8 am to 2 pm."},
            "category": "service_interruption",
            "important": true
        }))
        .send()
        .await?;
    let summary = core.background_sync(std::time::Duration::from_secs(5)).await;
    say!(
        "  {} ms: outbox {} queued, complaints {} checked, news {} new, guide {}",
        summary.elapsed_ms,
        summary.flush.as_ref().map(|f| f.remaining).unwrap_or(0),
        summary.complaints.as_ref().map(|c| c.checked).unwrap_or(0),
        summary.news.as_ref().map(|n| n.new_items).unwrap_or(0),
        summary.guide.as_ref().map(|g| if g.not_modified { "unchanged" } else { "updated" }).unwrap_or("-")
    );
    for n in &summary.notifications {
        say!("  notification ({:?}): {}", n.kind, n.text);
    }
    Ok(())
}

/// Steps 7–10: a complaint filed with no network, sent exactly once when the server is back,
/// then verified, routed, answered and fixed by staff, each change reaching the citizen.
/// Step 9's second half: a neighbour 20 m away starts reporting the same leak; the app looks for
/// what is already reported nearby first, and they follow it instead of filing it again. Their app
/// (on its own data directory), to hear the fix in step 10.
async fn neighbour_follows(
    server: &RunningServer,
    dir: &std::path::Path,
) -> Result<Option<Baladiya>, Box<dyn std::error::Error>> {
    let mut config = Config::new(dir, server.url());
    config.open311.api_key = Some(DEMO_API_KEY.into());
    let neighbour = Baladiya::open(config)?;
    say!("  a neighbour 20 m away starts reporting the same leak; their app looks nearby first:");
    let here = GeoPoint { lat: 31.52368, long: 34.4422 };
    let requests = match neighbour.nearby_requests("water-leak", Some(here)).await? {
        NearbyCheck::Found { requests } => requests,
        NearbyCheck::Skipped { reason } => {
            say!("    nearby step skipped ({reason:?})");
            return Ok(None);
        }
    };
    for r in &requests {
        say!(
            "    #{} {} m away — {} ({} following)",
            r.service_request_id,
            r.distance_m,
            r.description.as_deref().unwrap_or(&r.service_name),
            r.followers
        );
    }
    let Some(first) = requests.first() else { return Ok(None) };
    neighbour.follow_request(first)?;
    neighbour.refresh_complaints().await?;
    let counted = neighbour.complaints()?.into_iter().find_map(|c| c.followers).unwrap_or(0);
    say!(
        "    «this is my problem too»: they follow #{} instead ({counted} follower)",
        first.service_request_id
    );
    Ok(Some(neighbour))
}

async fn complaints(
    core: &Baladiya,
    server: RunningServer,
    server_dir: &std::path::Path,
    graph: &StandIn,
    langs: Langs,
) -> Result<RunningServer, Box<dyn std::error::Error>> {
    step("7. Complaint categories, cached for offline use");
    say!("  {} categories", core.refresh_complaint_categories().await?);
    for c in core.complaint_categories()?.iter().take(5) {
        say!("  • {:<20} [{}] {}", c.code, c.group, c.name);
    }
    let severity = core.complaint_definition("water-leak")?;
    if let Some(a) = severity.first() {
        let values: Vec<&str> = a.values.iter().map(|v| v.name.as_str()).collect();
        say!("  water-leak asks for «{}»: {}", a.description, values.join(" / "));
    }

    step("8. The network drops; a complaint is filed anyway");
    let addr = server.addr();
    server.stop()?;
    let draft = ComplaintDraft {
        service_code: "water-leak".into(),
        description: "تسرب مياه مستمر من خط رئيسي أمام مدرسة الرمال".into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.5235, long: 34.4422 }),
        address: None,
        contact: Some(Contact {
            first_name: Some("سامي".into()),
            last_name: None,
            phone: Some("٠٥٩٩١٢٣٤٥٦".into()),
            email: None,
        }),
    };
    let id = core.submit_complaint(draft, &[])?;
    say!("  tracking number {id} — queued at once, no network needed");
    let r = core.flush_complaints().await?;
    if let Some(retry) = &r.retry_later {
        say!("  flush: not sent ({}); {} queued, retried later", retry.error, r.remaining);
    }
    let invalid = ComplaintDraft {
        service_code: "water-leak".into(),
        description: "تسرب".into(),
        attributes: vec![],
        location: Some(GeoPoint { lat: 32.08, long: 34.78 }),
        address: None,
        contact: None,
    };
    if let Err(e) = core.submit_complaint(invalid, &[]) {
        say!("  a draft outside the city and without severity is refused at once: {e}");
    }

    step("9. The network is back: the queued complaint is sent exactly once; a neighbour follows it");
    let server = start_server(server_dir, addr, graph)?;
    let r = core.flush_complaints().await?;
    for s in &r.sent {
        say!("  sent {} as request #{}", s.local_id, s.server_id.as_deref().unwrap_or("?"));
    }
    let again = core.flush_complaints().await?;
    say!("  a second flush sends {} more", again.sent.len());
    let neighbour_dir = tempfile::tempdir()?;
    let neighbour = neighbour_follows(&server, neighbour_dir.path()).await?;

    step("10. The municipality verifies, routes, answers and fixes it");
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let h = std::sync::Arc::clone(&heard);
    let sub = core.subscribe(std::sync::Arc::new(move |e: &BaladiyaEvent| {
        if let BaladiyaEvent::ComplaintUpdated { update, .. } = e {
            h.lock().unwrap_or_else(|p| p.into_inner()).push(update.clone());
        }
    }));
    let server_id = core.complaint(&id)?.server_id.unwrap_or_default();
    let http = reqwest::Client::new();
    for action in [
        serde_json::json!({"action": "verify", "note": "تم التحقق من البلاغ ميدانياً"}),
        serde_json::json!({"action": "route", "department_id": "water", "note": "أحيل إلى دائرة المياه والصرف الصحي"}),
        serde_json::json!({"action": "reply", "note": "شكراً لك، الطاقم في طريقه إلى الموقع"}),
        serde_json::json!({"action": "status", "detailed_status": "fixed", "note": "تم إصلاح الخط وإغلاق البلاغ"}),
    ] {
        let resp = http
            .post(format!("{}api/v1/staff/requests/{server_id}/actions", server.url()))
            .bearer_auth(DEMO_STAFF_TOKEN)
            .json(&action)
            .send()
            .await?;
        say!("  staff {}: HTTP {}", action["action"].as_str().unwrap_or(""), resp.status().as_u16());
    }
    let r = core.refresh_complaints().await?;
    say!("  refresh: {} checked, {} new updates; the app was told:", r.checked, r.new_updates);
    for u in heard.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        say!("    [{}] {}", u.detailed_status.as_deref().unwrap_or(&u.status), u.description);
    }
    core.unsubscribe(sub);
    if let Some(neighbour) = &neighbour {
        let r = neighbour.refresh_complaints().await?;
        let followed = neighbour.complaints()?.into_iter().find(|c| c.followed);
        say!(
            "  the neighbour who follows it heard {} updates too; it is now {} with {} follower(s)",
            r.new_updates,
            followed.as_ref().and_then(|c| c.detailed_status.as_deref()).unwrap_or("?"),
            followed.as_ref().and_then(|c| c.followers).unwrap_or(0)
        );
    }
    let c = core.complaint(&id)?;
    say!(
        "  {} is now {} ({}) with {} entries in its history",
        c.local_id,
        c.status.as_deref().unwrap_or("?"),
        c.detailed_status.as_deref().unwrap_or("?"),
        c.updates.len()
    );
    let _ = langs;
    Ok(server)
}

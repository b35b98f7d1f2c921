//! The staff console in a real headless browser (Debian's `chromium`, driven through
//! `chromedriver` by WebDriver), against the real server, with a citizen's core synced to it.
//!
//! The dispatcher signs in and enters a complaint that came by WhatsApp; the verifier verifies
//! it; the dispatcher routes it to water; water's staff set it in progress, reply and mark it
//! fixed — each step by clicking the console's own forms. The same steps are taken on a complaint
//! the citizen's core filed, and the core receives each change as an event; the WhatsApp
//! complaint's public history shows each change too.
//!
//! Every page on the way is checked with axe-core (npm's `axe-core`, run inside the page through
//! WebDriver): a serious or critical finding fails the test.
//!
//! Without `chromium` and `chromedriver`, or without axe-core (`BALADIYA_AXE`, the path of its
//! `axe.min.js`; by default under `target/axe/`), the test says what it skipped, unless
//! `BALADIYA_REQUIRE_BROWSER` is set (scripts/test-all.sh installs all three and sets it).

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, Contact, GeoPoint};
use baladiya_core::BaladiyaEvent;
use baladiya_tests::{complaints_app, free_addr, http_client, TestServer};
use fantoccini::{Client, ClientBuilder, Locator};

const TIMEOUT: Duration = Duration::from_secs(10);
const PASSWORD: &str = "baladiya-demo";

/// chromedriver on a free loopback port, ended with the test.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Option<Driver> {
        let found = |bin: &str| {
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
                .unwrap_or(false)
        };
        if !found("chromedriver") || !found("chromium") {
            if std::env::var_os("BALADIYA_REQUIRE_BROWSER").is_some() {
                panic!("chromium and chromedriver are required (apt-get install chromium chromium-driver)");
            }
            eprintln!(
                "SKIPPED staff_console_browser: chromium and chromedriver are not installed \
                 (apt-get install chromium chromium-driver; scripts/test-all.sh does it)"
            );
            return None;
        }
        let port = free_addr().port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let until = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Driver { child, port })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// axe-core's source, or `None` (said on stderr) when it is not installed and not required.
fn axe_source() -> Option<String> {
    let path = std::env::var_os("BALADIYA_AXE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/axe/node_modules/axe-core/axe.min.js")
    });
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(e) if std::env::var_os("BALADIYA_REQUIRE_BROWSER").is_some() => {
            panic!("axe-core is required at {} ({e}); scripts/test-all.sh installs it", path.display())
        }
        Err(_) => {
            eprintln!(
                "SKIPPED the accessibility checks: no axe-core at {} (scripts/test-all.sh installs it)",
                path.display()
            );
            None
        }
    }
}

/// Run axe-core in the page now shown; fail on any serious or critical violation.
async fn axe(b: &Client, src: Option<&str>) {
    let Some(src) = src else { return };
    let script = format!(
        "{src}\n;return axe.run(document, {{ resultTypes: ['violations'] }}).then(r => JSON.stringify(\
         r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
         .map(v => ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) }}))));"
    );
    let found = b.execute(&script, vec![]).await.expect("axe-core runs");
    let url = b.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    let found = found.as_str().expect("axe-core answers with its findings").to_owned();
    assert_eq!(found, "[]", "axe-core: serious or critical findings at {url}");
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,768", "--lang=ar"],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session")
}

/// Click a submit button and wait for the page it leads to (the old document gone, the new one
/// loaded): a click returns before the navigation it starts has finished.
async fn click(b: &Client, xpath: &str) {
    let old = b.find(Locator::Css("html")).await.unwrap();
    b.find(Locator::XPath(xpath)).await.unwrap_or_else(|e| panic!("{xpath}: {e}")).click().await.unwrap();
    let until = Instant::now() + TIMEOUT;
    while old.tag_name().await.is_ok() {
        assert!(Instant::now() < until, "{xpath}: no new page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while b
        .execute("return document.readyState", vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        != Some("complete".into())
    {
        assert!(Instant::now() < until, "{xpath}: the new page did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn type_into(b: &Client, css: &str, text: &str) {
    b.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).send_keys(text).await.unwrap();
}

async fn choose(b: &Client, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .select_by_value(value)
        .await
        .unwrap();
}

/// The page confirms the step (the green notice after a redirect).
async fn done(b: &Client, what: &str) {
    let url = b.current_url().await.unwrap();
    assert!(
        url.as_str().contains(&format!("done={what}")),
        "{what}: at {url}: {}",
        b.source().await.unwrap_or_default()
    );
    b.find(Locator::Css("p.notice.ok")).await.unwrap_or_else(|e| panic!("{what}: no confirmation: {e}"));
}

async fn sign_in(b: &Client, base: &str, user: &str, axe_src: Option<&str>) {
    b.goto(&format!("{base}staff/login")).await.unwrap();
    axe(b, axe_src).await;
    type_into(b, "#username", user).await;
    type_into(b, "#password", PASSWORD).await;
    click(b, "//form[@action='/staff/login']//button").await;
    // The answer is a redirect into the console.
    let until = Instant::now() + TIMEOUT;
    while b.current_url().await.unwrap().path().starts_with("/staff/login") {
        assert!(Instant::now() < until, "{user} signed in: {}", b.source().await.unwrap_or_default());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn sign_out(b: &Client) {
    click(b, "//form[@action='/staff/logout']//button").await;
    assert_eq!(b.current_url().await.unwrap().path(), "/staff/login");
}

/// Open a request's page and submit the action form whose hidden `action` is `action`.
async fn act(b: &Client, base: &str, id: &str, action: &str) {
    b.goto(&format!("{base}staff/requests/{id}")).await.unwrap();
    click(b, &format!("//form[input[@name='action' and @value='{action}']]//button")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whatsapp_complaint_walks_through_the_console_and_the_citizen_sees_each_change() {
    let Some(driver) = Driver::start() else { return };
    let axe_src = axe_source();
    let ax = axe_src.as_deref();
    let server = TestServer::start();
    let base = server.url();

    // The citizen files a complaint from the app.
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &base, TIMEOUT);
    assert!(core.refresh_complaint_categories().await.unwrap() >= 15);
    let seen: Arc<Mutex<Vec<BaladiyaEvent>>> = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| s.lock().unwrap().push(e.clone())));
    let draft = ComplaintDraft {
        service_code: "water-leak".into(),
        description: "تسرب مياه في الشارع".into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.52, long: 34.45 }),
        address: None,
        contact: Some(Contact {
            first_name: Some("سامي".into()), last_name: None, phone: None, email: None
        }),
    };
    let local = core.submit_complaint(draft, &[]).unwrap();
    core.flush_complaints().await.unwrap();
    let app_id = core.complaint(&local).unwrap().server_id.expect("sent");

    let b = browser(&driver).await;

    // The dispatcher enters the WhatsApp complaint.
    sign_in(&b, &base, "dispatcher", ax).await;
    b.goto(&format!("{base}staff/intake")).await.unwrap();
    choose(&b, "#category", "water-leak").await;
    click(&b, "//form[@action='/staff/intake' and @method='get']//button").await;
    axe(&b, ax).await;
    choose(&b, "#source", "whatsapp").await;
    type_into(&b, "#description", "رسالة واتساب: ماسورة مكسورة أمام مدرسة الرمال").await;
    choose(&b, "#attr-severity", "burst").await;
    type_into(&b, "#address", "حي الرمال، قرب المدرسة").await;
    type_into(&b, "#first_name", "أم محمد").await;
    type_into(&b, "#phone", "0599555111").await;
    click(&b, "//form[contains(@class,'intake')]//button[@type='submit']").await;
    done(&b, "intake").await;
    let url = b.current_url().await.unwrap();
    let wa_id = url.path().trim_start_matches("/staff/requests/").to_owned();
    let page = b.source().await.unwrap();
    assert!(page.contains("واتساب") && page.contains("0599555111"), "{page}");
    axe(&b, ax).await;
    // It is in the inbox, newest first, under the WhatsApp filter.
    b.goto(&format!("{base}staff/inbox?source=whatsapp")).await.unwrap();
    let first = b.find(Locator::Css("table.requests tbody tr td a")).await.unwrap();
    assert_eq!(first.text().await.unwrap(), format!("#{wa_id}"));
    axe(&b, ax).await;
    b.goto(&format!("{base}staff/dashboard")).await.unwrap();
    axe(&b, ax).await;
    sign_out(&b).await;

    // The verifier verifies both.
    sign_in(&b, &base, "verifier", ax).await;
    for id in [&wa_id, &app_id] {
        b.goto(&format!("{base}staff/requests/{id}")).await.unwrap();
        axe(&b, ax).await;
        act(&b, &base, id, "verify").await;
        done(&b, "verify").await;
    }
    sign_out(&b).await;

    // The dispatcher routes both to water.
    sign_in(&b, &base, "dispatcher", ax).await;
    for id in [&wa_id, &app_id] {
        b.goto(&format!("{base}staff/requests/{id}")).await.unwrap();
        choose(&b, "#route-dept", "water").await;
        click(&b, "//form[input[@name='action' and @value='route']]//button").await;
        done(&b, "route").await;
    }
    // The README's screenshots, when asked for: the inbox and a request, in Arabic, on a desktop
    // and on a tablet.
    if let Some(out) = std::env::var_os("BALADIYA_SCREENSHOTS") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for (w, h) in [(1366u32, 768u32), (768, 1024)] {
            // The window's own frame taken into account, so the page itself is w × h.
            b.set_window_size(w, h).await.unwrap();
            let inner = b.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
            let (iw, ih) =
                (inner[0].as_u64().unwrap_or(w as u64) as u32, inner[1].as_u64().unwrap_or(h as u64) as u32);
            b.set_window_size(w + w.saturating_sub(iw), h + h.saturating_sub(ih)).await.unwrap();
            for (name, path) in
                [("inbox", "staff/inbox".to_owned()), ("request", format!("staff/requests/{wa_id}"))]
            {
                b.goto(&format!("{base}{path}")).await.unwrap();
                let png = b.screenshot().await.unwrap();
                std::fs::write(out.join(format!("{name}-ar-{w}x{h}.png")), png).unwrap();
            }
        }
        b.set_window_size(1366, 768).await.unwrap();
    }
    sign_out(&b).await;

    // Water's staff: in progress, a reply, fixed.
    sign_in(&b, &base, "water", ax).await;
    assert_eq!(b.current_url().await.unwrap().path(), "/staff/queue");
    axe(&b, ax).await;
    for id in [&wa_id, &app_id] {
        b.goto(&format!("{base}staff/requests/{id}")).await.unwrap();
        choose(&b, "#status-value", "in_progress").await;
        click(&b, "//form[input[@name='action' and @value='status']]//button").await;
        done(&b, "status").await;

        type_into(&b, "#reply-note", "الفريق في الموقع الآن، شكراً لبلاغك").await;
        click(&b, "//form[input[@name='action' and @value='reply']]//button").await;
        done(&b, "reply").await;

        choose(&b, "#status-value", "fixed").await;
        type_into(&b, "#status-note", "تم إصلاح الماسورة").await;
        click(&b, "//form[input[@name='action' and @value='status']]//button").await;
        done(&b, "status").await;
    }
    // A request's page after its whole story, and in English.
    axe(&b, ax).await;
    b.goto(&format!("{base}staff/lang/en?next=/staff/requests/{wa_id}")).await.unwrap();
    assert!(b.source().await.unwrap().contains("lang=\"en\""));
    axe(&b, ax).await;
    sign_out(&b).await;
    // The admin's accounts and audit log.
    sign_in(&b, &base, "admin", ax).await;
    b.goto(&format!("{base}staff/accounts")).await.unwrap();
    axe(&b, ax).await;
    sign_out(&b).await;
    // The editor's news: a preview, then published.
    sign_in(&b, &base, "editor", ax).await;
    assert_eq!(b.current_url().await.unwrap().path(), "/staff/news");
    type_into(&b, "#title_ar", "انقطاع المياه غداً في حي الرمال").await;
    type_into(&b, "#title_en", "Water cut tomorrow in Rimal").await;
    type_into(&b, "#body_ar", "من الثامنة حتى الظهر.").await;
    type_into(&b, "#body_en", "From eight until noon.").await;
    choose(&b, "#category", "water_schedule").await;
    click(&b, "//button[@value='preview']").await;
    b.find(Locator::Css("section.preview")).await.expect("a preview");
    axe(&b, ax).await;
    click(&b, "//button[@value='publish']").await;
    b.find(Locator::Css("p.notice.ok")).await.expect("published");
    // The guide: a service's page, one more step, saved as a new version.
    b.goto(&format!("{base}staff/guide")).await.unwrap();
    axe(&b, ax).await;
    click(&b, "(//a[starts-with(@href, '/staff/guide/services/')])[1]").await;
    axe(&b, ax).await;
    type_into(&b, "#steps_ar", "\nاستلم الرخصة").await;
    type_into(&b, "#steps_en", "\nCollect the permit").await;
    click(&b, "//form[contains(@class,'intake')]//button[@type='submit']").await;
    b.find(Locator::Css("p.notice.ok")).await.expect("saved");
    sign_out(&b).await;
    b.close().await.unwrap();

    // The citizen's core receives each change of its complaint as an event, in order.
    core.refresh_complaints().await.unwrap();
    let changes: Vec<(String, String)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::ComplaintUpdated { local_id, update, .. }
                if *local_id == local && update.detailed_status.as_deref() != Some("received") =>
            {
                Some((update.detailed_status.clone().unwrap_or_default(), update.description.clone()))
            }
            _ => None,
        })
        .collect();
    let states: Vec<&str> = changes.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(states, ["verified", "routed", "in_progress", "in_progress", "fixed"], "{changes:?}");
    assert_eq!(changes[3].1, "الفريق في الموقع الآن، شكراً لبلاغك");
    assert_eq!(changes[4].1, "تم إصلاح الماسورة");

    // The WhatsApp complaint's public history, as any citizen's app reads it.
    let public: serde_json::Value = http_client()
        .get(format!("{base}open311/v2/requests/{wa_id}.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history: Vec<&str> = public[0]["servicerequestupdates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["detailed_status"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(history, ["received", "verified", "routed", "in_progress", "in_progress", "fixed"]);
    assert_eq!(public[0]["source"], "whatsapp");
    assert!(!public.to_string().contains("0599555111"));
    let news = core.refresh_news().await;
    assert!(news.is_ok(), "{news:?}");
    assert!(core.news(false).unwrap().iter().any(|n| n.item.title.en == "Water cut tomorrow in Rimal"));
}

/// The channel messages' pages in the browser: a WhatsApp message waiting as an intake item, a
/// reply the sender gave up on listed above it, both pages checked with axe-core, and the team
/// sending the failed reply again with its button.
#[tokio::test(flavor = "multi_thread")]
async fn channel_messages_pass_axe_and_a_failed_reply_is_sent_again() {
    use baladiya_server::channels::{self, AppSecrets, ChannelsConfig};
    const SECRET: &str = "browser-test-wa-secret";
    const FIXTURE: &str = include_str!("../../server/tests/fixtures/whatsapp_text_image_location.json");
    let Some(driver) = Driver::start() else { return };
    let axe_src = axe_source();
    let ax = axe_src.as_deref();
    let whatsapp = AppSecrets { app_secret: SECRET.into(), verify_token: "browser-test-verify".into() };
    let channels = ChannelsConfig { whatsapp: Some(whatsapp), ..ChannelsConfig::default() };
    let server = TestServer::start_with_options(baladiya_server::Options { channels, ..Default::default() });
    let base = server.url();
    let taken = http_client()
        .post(format!("{base}webhooks/whatsapp"))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", channels::sign(FIXTURE.as_bytes(), SECRET))
        .body(FIXTURE)
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 200);
    // A reply that kept failing (as the sender leaves one after its last attempt).
    let url = baladiya_server::test_database_for(server.dir.path())
        .unwrap()
        .unwrap_or_else(|| baladiya_server::DatabaseUrl::default_for(server.dir.path()));
    let db = baladiya_server::Db::open_url(&url).unwrap();
    let state = |db: &baladiya_server::Db| {
        db.with(|c| {
            c.query_row("SELECT state FROM channel_outbound WHERE id = 1", (), |r| r.get::<_, String>(0))
        })
        .unwrap()
    };
    db.with(|c| {
        c.execute(
            "INSERT INTO channel_outbound (id, idem_key, channel, recipient, kind, body, state, attempts, next_at, last_error, created_at)
             VALUES (1, 'update:1:1', 'whatsapp', '970599123456', 'update', 'x', 'failed', 8, '2026-11-30T10:00:00.000000Z', 'HTTP 500 (code 2)', '2026-11-30T09:00:00.000000Z')",
            (),
        )
    })
    .unwrap();

    let b = browser(&driver).await;
    sign_in(&b, &base, "dispatcher", ax).await;
    b.goto(&format!("{base}staff/messages")).await.unwrap();
    let page = b.source().await.unwrap();
    assert!(page.contains("outbound-failed") && page.contains("HTTP 500"), "{page}");
    axe(&b, ax).await;
    if let Some(out) = std::env::var_os("BALADIYA_SCREENSHOTS") {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("messages-ar-1366x768.png"), b.screenshot().await.unwrap()).unwrap();
        b.goto(&format!("{base}staff/messages/1")).await.unwrap();
        std::fs::write(out.join("message-ar-1366x768.png"), b.screenshot().await.unwrap()).unwrap();
    }
    b.goto(&format!("{base}staff/messages/1")).await.unwrap();
    axe(&b, ax).await;
    b.goto(&format!("{base}staff/messages")).await.unwrap();
    click(&b, "//form[contains(@action, '/staff/messages/outbound/1/retry')]//button").await;
    assert_eq!(b.current_url().await.unwrap().path(), "/staff/messages");
    assert!(!b.source().await.unwrap().contains("outbound-failed"), "no longer listed as failed");
    assert_eq!(state(&db), "pending", "queued again");
    axe(&b, ax).await;
    sign_out(&b).await;
}

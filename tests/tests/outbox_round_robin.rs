//! Issue 14.4, the last multi-process test: the core's outbox flushing through a round-robin over
//! three server processes on one PostgreSQL arrives exactly once.
//!
//! Three server processes (this test binary run again as [`server_process_child`], which starts
//! the reference server on the database it is given) share one throwaway database on the cluster of
//! `scripts/with-postgres.sh`. The fault proxy in round-robin mode sends each request (a new
//! connection each) to the next process in turn, and loses some answers after the server has done
//! the work (so the retry under the same Idempotency-Key lands on *another* process). The core
//! files complaints offline, then flushes them through the proxy; while it flushes, one process is
//! killed with SIGKILL and stays in the rotation (502 through the proxy, a transient failure for
//! the core, which tries again and reaches the next). Afterwards every complaint is on the server
//! exactly once, under the tracking number the core holds, and the outbox is empty.
//!
//! Without PostgreSQL (`BALADIYA_TEST_POSTGRES_URL`) the test is skipped, unless
//! `BALADIYA_REQUIRE_POSTGRES` is set.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint};
use baladiya_core::{Baladiya, Config};
use baladiya_tests::proxy::{Fault, FaultKind, FaultPlan, FaultProxy};
use baladiya_tests::{DEMO_API_KEY, STAFF_TOKEN};

const COMPLAINTS: usize = 45;

/// A throwaway database on the test cluster, dropped with everything in it at the end.
struct PgDatabase {
    admin: String,
    name: String,
    url: String,
}

impl PgDatabase {
    fn create() -> Option<PgDatabase> {
        let Ok(admin) = std::env::var(baladiya_server::TEST_POSTGRES_ENV) else {
            assert!(
                std::env::var_os("BALADIYA_REQUIRE_POSTGRES").is_none(),
                "BALADIYA_REQUIRE_POSTGRES is set but BALADIYA_TEST_POSTGRES_URL is not \
                 (run the test under scripts/with-postgres.sh)"
            );
            eprintln!("no PostgreSQL (BALADIYA_TEST_POSTGRES_URL): skipped");
            return None;
        };
        let name = format!("rr_{:016x}", fastrand::u64(..));
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        let db = PgDatabase { admin, name, url };
        db.admin_run(format!("CREATE DATABASE {}", db.name));
        Some(db)
    }

    /// A statement on the cluster's admin database (the client runs its own runtime: a thread).
    fn admin_run(&self, sql: String) {
        let admin = self.admin.clone();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connect to PostgreSQL");
            c.batch_execute(&sql).expect("admin statement");
        })
        .join()
        .expect("admin statement");
    }

    /// Requests stored in this database.
    fn requests(&self) -> i64 {
        let url = self.url.clone();
        std::thread::spawn(move || requests_in(&url)).join().expect("count requests")
    }
}

/// Requests stored in the database `url` (not on an async worker).
fn requests_in(url: &str) -> i64 {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL");
    c.query_one("SELECT COUNT(*) FROM open311_requests", &[]).expect("count requests").get::<_, i64>(0)
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, sql) =
            (self.admin.clone(), format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        let _ = std::thread::spawn(move || {
            if let Ok(mut c) = postgres::Client::connect(&admin, postgres::NoTls) {
                let _ = c.batch_execute(&sql);
            }
        })
        .join();
    }
}

/// One server process (this binary as [`server_process_child`]); SIGKILLed when dropped.
struct ServerProcess {
    child: Child,
    addr: std::net::SocketAddr,
    url: String,
}

impl ServerProcess {
    fn start(database: &str, data_dir: &std::path::Path) -> ServerProcess {
        let exe = std::env::current_exe().expect("this test binary");
        let mut child = Command::new(exe)
            .args(["server_process_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("BALADIYA_RR_DATABASE", database)
            .env("BALADIYA_RR_DIR", data_dir)
            // Its standard input is how it knows this test is still there.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a server process");
        let stdout = child.stdout.take().expect("its stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    // (After the harness's "test server_process_child ... ", on the same line.)
                    if let Some((_, url)) = line.split_once("listening on ") {
                        break url.trim().to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("the server process exited before listening: {:?}", child.wait());
                }
            }
        };
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        let addr =
            url.trim_start_matches("http://").trim_end_matches('/').parse().expect("the server's address");
        ServerProcess { child, addr, url }
    }

    /// SIGKILL: nothing is drained, no claim released.
    fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// A server process: the reference server (demo catalogue, the test staff token) on the
/// database `BALADIYA_RR_DATABASE`, on a free loopback port it prints, until its standard input
/// closes (the test ended, or died) or it is killed. Run only by the test below.
#[test]
#[ignore = "a child process of the round-robin test"]
fn server_process_child() {
    let (Ok(database), Ok(dir)) = (std::env::var("BALADIYA_RR_DATABASE"), std::env::var("BALADIYA_RR_DIR"))
    else {
        return;
    };
    let config = baladiya_server::ServerConfig {
        data_dir: dir.into(),
        demo: true,
        staff_token: Some(STAFF_TOKEN.into()),
    };
    let mut options = baladiya_server::Options {
        database: Some(baladiya_server::DatabaseUrl::Postgres(database)),
        ..Default::default()
    };
    // A claim a killed process held lapses after the body timeout + 30 s.
    options.limits.body_timeout = Duration::from_secs(1);
    let server = baladiya_server::RunningServer::start_with_options(
        config,
        options,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .expect("the server starts");
    println!("listening on {}", server.url());
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    let _ = server.stop();
}

fn draft(description: String) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description,
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["drip".into()] }],
        location: Some(GeoPoint { lat: 31.51, long: 34.46 }),
        address: None,
        contact: None,
    }
}

/// Every request on the server (staff view), as description → ids.
async fn on_server(http: &reqwest::Client, base: &str) -> HashMap<String, Vec<u64>> {
    let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
    let mut page = 1;
    loop {
        let resp = http
            .get(format!("{base}api/v1/staff/requests?page_size=200&page={page}"))
            .bearer_auth(STAFF_TOKEN)
            .send()
            .await
            .expect("staff list");
        assert!(resp.status().is_success(), "staff list: {}", resp.status());
        let v: serde_json::Value = resp.json().await.expect("staff list json");
        let items = match v {
            serde_json::Value::Array(items) => items,
            serde_json::Value::Object(mut o) => {
                o.remove("requests").and_then(|r| r.as_array().cloned()).expect("a requests array")
            }
            other => panic!("unexpected staff list: {other}"),
        };
        if items.is_empty() {
            break;
        }
        for r in &items {
            let id: u64 =
                r["service_request_id"].as_str().and_then(|s| s.parse().ok()).expect("a numeric id");
            let description = r["description"].as_str().expect("a description").to_owned();
            seen.entry(description).or_default().push(id);
        }
        if items.len() < 200 {
            break;
        }
        page += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_through_a_round_robin_over_three_processes_arrives_exactly_once() {
    let Some(db) = PgDatabase::create() else { return };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().expect("temp dir")).collect();
    // Three at once on a new database: each migration step is applied once.
    let starting: Vec<_> = dirs
        .iter()
        .map(|d| {
            let (url, dir) = (db.url.clone(), d.path().to_owned());
            std::thread::spawn(move || ServerProcess::start(&url, &dir))
        })
        .collect();
    let mut servers: Vec<ServerProcess> =
        starting.into_iter().map(|t| t.join().expect("a server process")).collect();

    // Some answers lost after the server did the work, some refused before: the retry goes to the
    // next process, which must know the key the first one stored.
    let faults = [Fault::DropAfterForward, Fault::ResetAfterForward, Fault::Status(503)];
    let proxy = FaultProxy::start_round_robin(
        servers.iter().map(|s| s.addr).collect(),
        FaultPlan::seeded(1414, 0.25, faults),
    )
    .await
    .expect("the proxy");

    let app_dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::new(app_dir.path(), &servers[0].url);
    config.open311.endpoint = format!("{}open311/v2/", proxy.url());
    config.open311.api_key = Some(DEMO_API_KEY.into());
    let timeout = Duration::from_secs(5);
    config.http = baladiya_core::api::HttpSettings {
        connect_timeout: timeout,
        request_timeout: timeout,
        inactivity_timeout: timeout,
        ..Default::default()
    };
    let core = Baladiya::open(config).expect("core opens");

    // Filed offline: nothing has been sent yet.
    let local: Vec<String> = (0..COMPLAINTS)
        .map(|i| core.submit_complaint(draft(format!("round robin #{i:02}")), &[]).expect("filed"))
        .collect();
    assert_eq!(db.requests(), 0);

    // While the core flushes (trying again after each transient failure, as the app's background
    // sync would), a third of the way through, SIGKILL the second process; it stays in the
    // rotation.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (url, done) = (db.url.clone(), std::sync::Arc::clone(&done));
        let mut victim = servers.remove(1);
        std::thread::spawn(move || {
            let killed_at = loop {
                let n = requests_in(&url);
                if n >= (COMPLAINTS / 3) as i64 || done.load(std::sync::atomic::Ordering::SeqCst) {
                    break n;
                }
                std::thread::sleep(Duration::from_millis(5));
            };
            victim.sigkill();
            killed_at
        })
    };
    let started = Instant::now();
    let mut flushes = 0u32;
    loop {
        let report = core.flush_complaints().await.expect("flush");
        flushes += 1;
        assert!(report.needs_attention.is_empty(), "refused: {:?}", report.needs_attention);
        if report.remaining == 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the outbox does not drain: {report:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let killed_at = killer.join().expect("the killer thread");
    assert!((killed_at as usize) < COMPLAINTS, "the kill came after the flush ({killed_at} stored)");

    let stats = proxy.stats();
    eprintln!(
        "{flushes} flushes in {:?}, killed at {killed_at} stored; forwarded per process {:?}; \
         upstream errors {}; faults {:?}",
        started.elapsed(),
        stats.forwarded_to,
        stats.upstream_errors,
        stats.counts()
    );
    // Every process took requests, and the killed one was tried again after the kill.
    assert!(stats.forwarded_to.iter().all(|&n| n > 0), "a process took nothing: {:?}", stats.forwarded_to);
    assert!(stats.upstream_errors > 0, "nothing reached the killed process after the kill");
    assert!(stats.count(FaultKind::DropAfterForward) + stats.count(FaultKind::ResetAfterForward) > 0);

    // On the server (through a surviving process): each complaint exactly once, its own number,
    // the one the core holds, in the order written.
    let http = baladiya_tests::http_client();
    let seen = on_server(&http, &servers[1].url).await;
    let mut ids = Vec::new();
    for i in 0..COMPLAINTS {
        let copies = seen.get(&format!("round robin #{i:02}")).cloned().unwrap_or_default();
        assert_eq!(copies.len(), 1, "#{i} is on the server {} times: {copies:?}", copies.len());
        ids.push(copies[0]);
    }
    assert_eq!(seen.len(), COMPLAINTS, "requests nobody filed: {seen:?}");
    assert_eq!(db.requests(), COMPLAINTS as i64, "nothing lost, nothing twice");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "not in the order written: {ids:?}");
    for (i, id) in local.iter().enumerate() {
        let c = core.complaint(id).expect("the complaint");
        assert_eq!(c.state, ComplaintState::Sent, "#{i}");
        assert_eq!(c.server_id.as_deref(), Some(ids[i].to_string().as_str()), "#{i}'s tracking number");
    }
    // The outbox is empty.
    let report = core.flush_complaints().await.expect("flush");
    assert_eq!((report.remaining, report.sent.len()), (0, 0));
    assert!(core.complaints().expect("complaints").iter().all(|c| c.state == ComplaintState::Sent));

    proxy.stop().await;
    drop(servers);
}

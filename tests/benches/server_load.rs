//! Load at a city's scale (issue 14.5): the reference server's database seeded with a million
//! requests and their histories, then each endpoint a citizen's app or another city's client
//! calls, driven for a few seconds by concurrent keep-alive clients on loopback. Prints requests
//! per second and p50 / p99 latency per endpoint (a benchmark: it asserts nothing but that the
//! answers are the expected ones).
//!
//! Run (the server as deployed, processes of their own, whose resident memory is then reported):
//!   cargo build --release -p baladiya-server
//!   BALADIYA_SERVER_BIN=target/release/baladiya-server \
//!     cargo bench -p baladiya-tests --bench server_load -- [--requests N] [--seconds S] [--clients C] [--processes P]
//!       [--only NAME…] (only the endpoints whose name contains NAME; repeatable)
//!       [--rounds R] (every endpoint R times over, on the same seeded database)
//! To compare two builds under the same load, on one seeded database: BALADIYA_SERVER_BIN_B=PATH
//! (another server binary of the same schema) runs the endpoints with each binary in turn, A B A B…
//! for R rounds, the servers restarted between them (read-only endpoints only, e.g. `--only list`).
//! and on PostgreSQL, under a throwaway cluster (`--postgres` reads BALADIYA_TEST_POSTGRES_URL):
//!   BALADIYA_SERVER_BIN=… scripts/with-postgres.sh cargo bench -p baladiya-tests --bench server_load -- --postgres
//! Without BALADIYA_SERVER_BIN the server runs inside this process (SQLite, one process, memory
//! not reported). Defaults: 1,000,000 requests, 5 s per endpoint, 8 clients, 1 process; with
//! several, the clients take them in turn. Seeding writes the rows straight into the database
//! with the servers stopped (seconds for a million).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use baladiya_tests::{free_addr, TestServer, STAFF_TOKEN};
use rusqlite::params;

/// A demo bill account and its verification factor (server/data/sample-accounts.json).
const BILL_ACCOUNT: &str = "10234518";
const BILL_PHONE: &str = "0599123456";
const API_KEY: &str = "demo-app-key";

struct Args {
    requests: u64,
    seconds: u64,
    clients: usize,
    processes: usize,
    postgres: bool,
    rounds: u64,
    /// Only the endpoints whose name contains one of these (all without).
    only: Vec<String>,
}

fn args() -> Args {
    let mut a = Args {
        requests: 1_000_000,
        seconds: 5,
        clients: 8,
        processes: 1,
        postgres: false,
        rounds: 1,
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse::<u64>().ok());
        match flag.as_str() {
            "--requests" => a.requests = value().unwrap_or(a.requests),
            "--seconds" => a.seconds = value().unwrap_or(a.seconds).max(1),
            "--clients" => a.clients = value().map(|v| v.max(1) as usize).unwrap_or(a.clients),
            "--processes" => a.processes = value().map(|v| v.max(1) as usize).unwrap_or(a.processes),
            "--postgres" => a.postgres = true,
            "--rounds" => a.rounds = value().unwrap_or(a.rounds).max(1),
            "--only" => a.only.extend(it.next()),
            _ => {} // cargo bench passes --bench
        }
    }
    a
}

/// The server: a process of its own when a binary is given, else in this process.
enum Server {
    Process(Child),
    /// Kept running (and its directory kept) until the run ends.
    InProcess {
        _running: TestServer,
    },
}

impl Server {
    fn pid(&self) -> Option<u32> {
        match self {
            Server::Process(c) => Some(c.id()),
            Server::InProcess { .. } => None,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Server::Process(c) = self {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_process(bin: &Path, data_dir: &Path, database: Option<&str>, addr: SocketAddr) -> Server {
    let mut command = Command::new(bin);
    command.args(["--demo", "--listen", &addr.to_string(), "--data-dir"]).arg(data_dir);
    if let Some(url) = database {
        command.args(["--database", url]);
    }
    let child = command
        .env("BALADIYA_STAFF_TOKEN", STAFF_TOKEN)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    wait_ready(addr);
    Server::Process(child)
}

fn wait_ready(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not become ready at {addr}");
}

/// Write `n` requests with one to three history entries each, spread over two years, across the
/// categories the server knows, a quarter of them closed. Straight into the file, the server
/// stopped, in one transaction (progress on stderr).
fn seed(db: &Path, n: u64) -> (Vec<String>, i64) {
    let mut conn = rusqlite::Connection::open(db).expect("the server's database");
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA journal_mode = WAL;").expect("pragmas");
    let codes: Vec<String> = conn
        .prepare("SELECT service_code FROM open311_services ORDER BY position")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("categories");
    let first: i64 =
        conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM open311_requests", [], |r| r.get(0)).unwrap();
    let start = chrono::Utc::now() - chrono::Duration::days(730);
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let t0 = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut req = tx
            .prepare(
                "INSERT INTO open311_requests (id, token, service_code, status, detailed_status, department_id,
                    source, description, lat, lon, attributes, requested_at, updated_at, expected_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, 'app', ?6, ?7, ?8, '{}', ?9, ?10, ?11)",
            )
            .unwrap();
        let mut upd = tx
            .prepare(
                "INSERT INTO open311_updates (request_id, seq, action, status, detailed_status, note, actor, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
            )
            .unwrap();
        for i in 0..n {
            let id = first + i as i64;
            // Every category in turn, and a quarter of each closed (independent of the category:
            // a status from `i % 4` would be one per category when their number is a multiple
            // of four).
            let code = &codes[i as usize % codes.len()];
            let at = start + chrono::Duration::seconds((i * 63_072_000 / n.max(1)) as i64);
            let closed = (i / codes.len() as u64).is_multiple_of(4);
            let (status, detailed) = if closed { ("closed", "fixed") } else { ("open", "received") };
            let updated = at + chrono::Duration::hours(if closed { 30 } else { 0 });
            let lat = 31.45 + (i % 1500) as f64 * 0.0001;
            let lon = 34.38 + (i % 1400) as f64 * 0.0001;
            req.execute(params![
                id,
                format!("seed-{id}"),
                code,
                status,
                detailed,
                format!("بلاغ رقم {id} في شارع الوحدة"),
                lat,
                lon,
                stamp(at),
                stamp(updated),
                stamp(at + chrono::Duration::hours(72))
            ])
            .unwrap();
            upd.execute(params![id, 1, "create", "open", "received", "citizen", stamp(at)]).unwrap();
            if closed {
                upd.execute(params![id, 2, "status", "closed", "fixed", "department:water", stamp(updated)])
                    .unwrap();
            }
            if (i + 1) % 100_000 == 0 {
                eprintln!("seeded {} of {n} requests ({:.0} s)", i + 1, t0.elapsed().as_secs_f64());
            }
        }
    }
    // The request clock (migration 012) after the latest stamp written.
    tx.execute_batch(
        "UPDATE open311_clock SET micros = (SELECT
             CAST(strftime('%s', substr(MAX(updated_at), 1, 19)) AS INTEGER) * 1000000
             + COALESCE(CAST(NULLIF(substr(MAX(updated_at), 21, 6), '') AS INTEGER), 0)
           FROM open311_requests)",
    )
    .unwrap();
    tx.commit().unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;").unwrap();
    eprintln!("seeded {n} requests in {:.1} s", t0.elapsed().as_secs_f64());
    (codes, first + n as i64 - 1)
}

/// [`seed`] on PostgreSQL: the same rows, made by the database itself (`generate_series`).
fn seed_postgres(url: &str, n: u64) -> (Vec<String>, i64) {
    let mut db = postgres::Client::connect(url, postgres::NoTls).expect("PostgreSQL");
    let codes: Vec<String> = db
        .query("SELECT service_code FROM open311_services ORDER BY position", &[])
        .expect("categories")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let first: i64 =
        db.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM open311_requests", &[]).unwrap().get(0);
    let last = first + n as i64 - 1;
    let start = (chrono::Utc::now() - chrono::Duration::days(730)).format("%Y-%m-%d %H:%M:%S").to_string();
    let step = 63_072_000.0 / n.max(1) as f64;
    let t0 = Instant::now();
    let mut tx = db.transaction().unwrap();
    let time = |expr: &str| format!("to_char({expr}, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
    tx.execute(
        &format!(
            "INSERT INTO open311_requests (id, token, service_code, status, detailed_status, source, description,
                lat, lon, attributes, requested_at, updated_at, expected_at)
             SELECT g, 'seed-' || g, ($1::text[])[1 + (g % array_length($1::text[], 1))],
                CASE WHEN (g / array_length($1::text[], 1)) % 4 = 0 THEN 'closed' ELSE 'open' END,
                CASE WHEN (g / array_length($1::text[], 1)) % 4 = 0 THEN 'fixed' ELSE 'received' END,
                'app', 'بلاغ رقم ' || g || ' في شارع الوحدة', 31.45 + (g % 1500) * 0.0001, 34.38 + (g % 1400) * 0.0001,
                '{{}}', {}, {}, {}
             FROM generate_series($2::bigint, $3::bigint) g,
                LATERAL (SELECT $4::text::timestamp + (g - $2) * $5::float8 * interval '1 second' AS t) x",
            time("t"),
            time(
                "t + CASE WHEN (g / array_length($1::text[], 1)) % 4 = 0 THEN interval '30 hours' \
                 ELSE interval '0' END"
            ),
            time("t + interval '72 hours'")
        ),
        &[&codes, &first, &last, &start, &step],
    )
    .expect("requests");
    tx.execute(
        "INSERT INTO open311_updates (request_id, seq, action, status, detailed_status, note, actor, created_at)
         SELECT id, 1, 'create', 'open', 'received', NULL, 'citizen', requested_at
         FROM open311_requests WHERE id BETWEEN $1 AND $2",
        &[&first, &last],
    )
    .expect("histories");
    tx.execute(
        "INSERT INTO open311_updates (request_id, seq, action, status, detailed_status, note, actor, created_at)
         SELECT id, 2, 'status', 'closed', 'fixed', NULL, 'department:water', updated_at
         FROM open311_requests WHERE id BETWEEN $1 AND $2 AND status = 'closed'",
        &[&first, &last],
    )
    .expect("closings");
    // The id sequence and the request clock (migration 012) after the rows written.
    tx.batch_execute(
        "SELECT setval(pg_get_serial_sequence('open311_requests', 'id'), MAX(id) + 1, false)
           FROM open311_requests;
         UPDATE open311_clock SET micros = (SELECT
             CAST(EXTRACT(EPOCH FROM CAST(substr(MAX(updated_at), 1, 19) AS timestamp)) AS BIGINT) * 1000000
           FROM open311_requests)",
    )
    .expect("sequence and clock");
    tx.commit().unwrap();
    // As autovacuum would leave a table loaded long ago: statistics, and the visibility map that
    // lets counts be read from an index alone.
    db.batch_execute("VACUUM ANALYZE").unwrap();
    // Costs for data on SSD or in memory, as the README's deployment notes advise (the default 4
    // is for spinning disks, and makes the planner walk a month of the time index and filter it
    // rather than read one category's and status's entries: 10–30 ms instead of under 1 ms).
    db.batch_execute(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET random_page_cost = 1.1', current_database()); END $$",
    )
    .unwrap();
    eprintln!("seeded {n} requests in {:.1} s (PostgreSQL)", t0.elapsed().as_secs_f64());
    (codes, last)
}

/// The servers' base URLs, one after the other each time it is written (`format!("{base}…")`).
struct RoundRobin {
    bases: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
}

impl std::fmt::Display for RoundRobin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        f.write_str(&self.bases[i % self.bases.len()])
    }
}

/// One endpoint's figures.
struct Figures {
    name: &'static str,
    done: usize,
    failed: usize,
    /// The first failure's status (or transport error), to say what failed.
    first_failure: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Figures {
    fn row(&mut self) -> String {
        self.latencies.sort();
        let at = |p: f64| {
            self.latencies
                .get(((self.latencies.len().max(1) - 1) as f64 * p).round() as usize)
                .map(|d| format!("{:.2}", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "| {} | {:.0} | {} | {} | {} |",
            self.name,
            self.done as f64 / self.elapsed.as_secs_f64(),
            at(0.5),
            at(0.99),
            match &self.first_failure {
                None => "0".to_owned(),
                Some(what) => format!("**{}** ({what})", self.failed),
            }
        )
    }
}

/// What one call of an endpoint sends; `i` varies it (a random-looking but reproducible choice).
type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

/// Whether an answer is the expected one.
type Expected = fn(reqwest::StatusCode) -> bool;

/// Drive `make` from `clients` concurrent keep-alive clients for `seconds`; `ok` says whether an
/// answer is the expected one.
async fn drive(name: &'static str, clients: usize, seconds: u64, make: MakeRequest, ok: Expected) -> Figures {
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build().unwrap();
    let until = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, make) = (http.clone(), Arc::clone(&make));
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut failed, mut i) = (Vec::new(), 0usize, c as u64 * 1_000_003);
            let mut first_failure = None;
            while Instant::now() < until {
                i = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let t = Instant::now();
                let outcome = match make(&http, i >> 11).send().await {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(_) if ok(status) => Ok(()),
                            Ok(body) => Err(format!(
                                "{status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(80)])
                            )),
                            Err(e) => Err(format!("{status}, body cut: {e}")),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                lat.push(t.elapsed());
                if let Err(what) = outcome {
                    failed += 1;
                    first_failure.get_or_insert(what);
                }
            }
            (lat, failed, first_failure)
        }));
    }
    let mut f = Figures {
        name,
        done: 0,
        failed: 0,
        first_failure: None,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (lat, failed, first) = t.await.unwrap();
        f.done += lat.len();
        f.failed += failed;
        f.first_failure = f.first_failure.or(first);
        f.latencies.extend(lat);
    }
    f.elapsed = t0.elapsed();
    f
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> reqwest::Url {
    reqwest::Url::parse_with_params(url, pairs).expect("a valid URL")
}

fn resident_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 =
        status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let a = args();
    let bin: Option<PathBuf> = std::env::var_os("BALADIYA_SERVER_BIN").map(PathBuf::from);
    let postgres = a.postgres.then(|| {
        std::env::var("BALADIYA_TEST_POSTGRES_URL").expect("--postgres runs under scripts/with-postgres.sh")
    });
    if (postgres.is_some() || a.processes > 1) && bin.is_none() {
        panic!("PostgreSQL and several processes need the server binary: set BALADIYA_SERVER_BIN");
    }
    let addrs: Vec<SocketAddr> = (0..a.processes).map(|_| free_addr()).collect();
    // Migrations and the demo data first, then the server stopped for the seeding.
    let mut first = TestServer::start_at(addrs[0]);
    first.stop();
    let data_dir = first.dir.path().to_owned();
    let (codes, last_id) = match (&postgres, &bin) {
        (Some(url), Some(bin)) => {
            drop(start_process(bin, &data_dir, Some(url), addrs[0]));
            seed_postgres(url, a.requests)
        }
        _ => seed(&data_dir.join("server.db"), a.requests),
    };
    let mut servers: Vec<Server> = match &bin {
        Some(bin) => {
            addrs.iter().map(|&addr| start_process(bin, &data_dir, postgres.as_deref(), addr)).collect()
        }
        None => {
            first.restart(addrs[0]);
            vec![Server::InProcess { _running: first }]
        }
    };
    let base = Arc::new(RoundRobin {
        bases: addrs.iter().map(|addr| format!("http://{addr}/")).collect(),
        next: 0.into(),
    });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    let etag = rt.block_on(async {
        let r = reqwest::get(format!("{base}api/v1/guide")).await.expect("the guide");
        r.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned).unwrap_or_default()
    });
    let codes = Arc::new(codes);
    let month = |i: u64| {
        let start = chrono::Utc::now() - chrono::Duration::days(700 - (i % 670) as i64);
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        (fmt(start), fmt(start + chrono::Duration::days(30)))
    };
    let id_of = move |i: u64| 1 + i % last_id as u64;
    let scenarios: Vec<(&'static str, MakeRequest, Expected)> = vec![
        (
            "create a request (POST requests.json)",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, i| {
                    h.post(format!("{base}open311/v2/requests.json"))
                        .header("Idempotency-Key", format!("bench-{i}-{}", fastrand::u64(..)))
                        .form(&[
                            ("api_key", API_KEY),
                            ("service_code", "waste-not-collected"),
                            ("description", "لم تُجمع النفايات منذ ثلاثة أيام"),
                            ("lat", "31.52"),
                            ("long", "34.45"),
                        ])
                })
            },
            |s| s.is_success(),
        ),
        (
            "list: service_code, status, a month, page 1–3",
            {
                let (base, codes) = (base.clone(), Arc::clone(&codes));
                Arc::new(move |h: &reqwest::Client, i| {
                    let (from, to) = month(i);
                    h.get(with_query(
                        &format!("{base}open311/v2/requests.json"),
                        &[
                            ("service_code", codes[(i as usize) % codes.len()].as_str()),
                            ("status", if i % 2 == 0 { "open" } else { "closed" }),
                            ("start_date", &from),
                            ("end_date", &to),
                            ("page", &(1 + i % 3).to_string()),
                        ],
                    ))
                })
            },
            |s| s.is_success(),
        ),
        (
            "list: updated_after (the last hour)",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, _| {
                    let after = (chrono::Utc::now() - chrono::Duration::hours(1))
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string();
                    h.get(with_query(
                        &format!("{base}open311/v2/requests.json"),
                        &[("updated_after", &after)],
                    ))
                })
            },
            |s| s.is_success(),
        ),
        (
            "one request by id",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, i| {
                    h.get(format!("{base}open311/v2/requests/{}.json", id_of(i)))
                })
            },
            |s| s.is_success(),
        ),
        (
            "50 requests by id (service_request_id=…)",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, i| {
                    let ids: Vec<String> = (0..50).map(|k| id_of(i + k * 7919).to_string()).collect();
                    h.get(with_query(
                        &format!("{base}open311/v2/requests.json"),
                        &[("service_request_id", &ids.join(","))],
                    ))
                })
            },
            |s| s.is_success(),
        ),
        (
            "services list (services.json)",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, i| {
                    let locale = if i % 2 == 0 { "ar" } else { "en" };
                    h.get(with_query(&format!("{base}open311/v2/services.json"), &[("locale", locale)]))
                })
            },
            |s| s.is_success(),
        ),
        (
            "one service definition (services/{code}.xml)",
            {
                let (base, codes) = (base.clone(), Arc::clone(&codes));
                Arc::new(move |h: &reqwest::Client, i| {
                    h.get(format!("{base}open311/v2/services/{}.xml", codes[(i as usize) % codes.len()]))
                })
            },
            |s| s.is_success(),
        ),
        (
            "the guide, whole",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, _| h.get(format!("{base}api/v1/guide")))
            },
            |s| s.is_success(),
        ),
        (
            "the guide, unchanged (304)",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, _| {
                    h.get(format!("{base}api/v1/guide")).header("If-None-Match", etag.as_str())
                })
            },
            |s| s == reqwest::StatusCode::NOT_MODIFIED,
        ),
        (
            "a bill, verified",
            {
                let base = base.clone();
                Arc::new(move |h: &reqwest::Client, _| {
                    h.get(format!("{base}api/v1/bills/{BILL_ACCOUNT}"))
                        .header("X-Baladiya-Verification", BILL_PHONE)
                })
            },
            |s| s.is_success(),
        ),
    ];

    println!(
        "\n{} requests seeded; {} clients; {} s per endpoint; {} on {}",
        a.requests,
        a.clients,
        a.seconds,
        match (&bin, a.processes) {
            (None, _) => "the server in this process".to_owned(),
            (Some(_), 1) => "one server process (release binary)".to_owned(),
            (Some(_), n) => format!("{n} server processes (release binary), the clients taking them in turn"),
        },
        if postgres.is_some() { "PostgreSQL" } else { "SQLite" }
    );
    // With a second binary, each round runs both, A then B, the servers restarted in between.
    let other: Option<PathBuf> = std::env::var_os("BALADIYA_SERVER_BIN_B").map(PathBuf::from);
    if other.is_some() && bin.is_none() {
        panic!("BALADIYA_SERVER_BIN_B compares with BALADIYA_SERVER_BIN: set both");
    }
    let builds: Vec<(&str, Option<&PathBuf>)> = match &other {
        Some(b) => vec![("A", bin.as_ref()), ("B", Some(b))],
        None => vec![("", bin.as_ref())],
    };
    for round in 0..a.rounds {
        for (k, (label, build)) in builds.iter().enumerate() {
            if let (Some(build), true) = (build, other.is_some() && (round > 0 || k > 0)) {
                drop(std::mem::take(&mut servers));
                servers = addrs
                    .iter()
                    .map(|&addr| start_process(build, &data_dir, postgres.as_deref(), addr))
                    .collect();
            }
            if a.rounds > 1 || other.is_some() {
                let path = build.map(|b| b.display().to_string()).unwrap_or_default();
                println!("\nround {} {label} {path}", round + 1);
            }
            println!("| endpoint | requests/s | p50 ms | p99 ms | failed |\n| --- | --- | --- | --- | --- |");
            for (name, make, ok) in &scenarios {
                if !a.only.is_empty() && !a.only.iter().any(|o| name.contains(o.as_str())) {
                    continue;
                }
                let mut f = rt.block_on(drive(name, a.clients, a.seconds, Arc::clone(make), *ok));
                println!("{}", f.row());
            }
        }
    }
    for (i, mib) in servers.iter().filter_map(|s| s.pid().and_then(resident_mib)).enumerate() {
        println!("server process {} resident memory after the run: {mib:.1} MiB", i + 1);
    }
}

//! State every server process on one database shares, and a restart keeps (issue 14): the bill
//! verification throttle and Idempotency-Key claims live in the database, not in a process.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use baladiya_server::{Db, Options, RunningServer, ServerConfig};
use serde_json::Value;
use support::{http, ServerProcess};

const FORM: &str =
    "api_key=demo-app-key&service_code=water-leak&lat=31.5168&long=34.4485&attribute%5Bseverity%5D=steady";

fn client_from(ip: &str) -> reqwest::Client {
    let _ = http();
    reqwest::Client::builder().local_address(ip.parse::<std::net::IpAddr>().ok()).build().unwrap()
}

async fn bill_status(http: &reqwest::Client, base: &str, account: &str, phone: &str) -> reqwest::Response {
    http.get(format!("{base}api/v1/bills/{account}"))
        .header("X-Baladiya-Verification", phone)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_keeps_the_bill_throttle() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_owned(), demo: true, staff_token: None };
    let start = || {
        RunningServer::start_with_options(config.clone(), Options::default(), "127.0.0.1:0".parse().unwrap())
            .unwrap()
    };
    let http = http();
    let server = start();
    for _ in 0..5 {
        assert_eq!(bill_status(&http, &server.url(), "10561203", "0599000000").await.status(), 401);
    }
    assert_eq!(bill_status(&http, &server.url(), "10561203", "0567654321").await.status(), 429);
    server.stop().unwrap();

    // A new server on the same data: the guesser is still locked out, with the time left...
    let server = start();
    let resp = bill_status(&http, &server.url(), "10561203", "0567654321").await;
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // ...and the holder, from another address, is not.
    assert_eq!(
        bill_status(&client_from("127.0.0.2"), &server.url(), "10561203", "0567654321").await.status(),
        200
    );
}

/// The database of the servers on `dir` (SQLite, or PostgreSQL under the test cluster).
fn db_of(dir: &std::path::Path) -> Db {
    let url = baladiya_server::test_database_for(dir)
        .unwrap()
        .unwrap_or_else(|| baladiya_server::DatabaseUrl::default_for(dir));
    Db::open_url(&url).unwrap()
}

fn requests_in(dir: &std::path::Path) -> i64 {
    db_of(dir).with(|c| c.query_row("SELECT COUNT(*) FROM open311_requests", (), |r| r.get(0))).unwrap()
}

fn claims_of(dir: &std::path::Path, key: &str) -> i64 {
    db_of(dir)
        .with(|c| {
            c.query_row("SELECT COUNT(*) FROM open311_idempotency_claims WHERE idem_key = ?1", [key], |r| {
                r.get(0)
            })
        })
        .unwrap()
}

/// Status, `service_request_id` and whether it was a replay. Status 0: the connection was reset
/// (a 409 is answered before the body is read, and the connection closed: bytes of the body still
/// arriving then may reset it before the client reads the answer; to the app that is a transient
/// failure, retried like the 409).
async fn post(http: &reqwest::Client, server: &ServerProcess, key: &str) -> (u16, Option<String>, bool) {
    let resp = http
        .post(server.url("open311/v2/requests.json"))
        .header("Idempotency-Key", key)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(FORM)
        .send()
        .await;
    let Ok(resp) = resp else { return (0, None, false) };
    let status = resp.status().as_u16();
    let replayed = resp.headers().contains_key("idempotent-replayed");
    let body: Value = resp.json().await.unwrap_or_default();
    (status, body[0]["service_request_id"].as_str().map(str::to_owned), replayed)
}

/// A request still arriving at one process holds its key for the other.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_in_flight_at_one_process_is_409_at_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let a = ServerProcess::start(dir.path(), &[]);
    let b = ServerProcess::start(dir.path(), &[]);
    let http = http();

    // The first request's head and half its body reach A; the rest is held back.
    let mut held = TcpStream::connect(a.addr()).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let (first, rest) = FORM.split_at(FORM.len() / 2);
    write!(
        held,
        "POST /open311/v2/requests.json HTTP/1.1\r\nHost: {}\r\nIdempotency-Key: held-1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        a.addr(),
        FORM.len()
    )
    .unwrap();
    // A has claimed the key in the database.
    for _ in 0..300 {
        if claims_of(dir.path(), "held-1") == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(claims_of(dir.path(), "held-1"), 1);

    // B answers 409 while A's request is in flight.
    let (status, _, _) = post(&http, &b, "held-1").await;
    assert_eq!(status, 409);

    // A's request completes; the key is released, and B replays A's answer.
    held.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    held.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let id = body[0]["service_request_id"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(dir.path(), "held-1"), 0);
    let (status, again, replayed) = post(&http, &b, "held-1").await;
    assert_eq!((status, again.as_deref(), replayed), (200, Some(id.as_str()), true));
    assert_eq!(requests_in(dir.path()), 1);
}

/// The same key sent to two processes at the same moment, many times: one request per key.
#[tokio::test(flavor = "multi_thread")]
async fn the_same_key_sent_to_two_processes_at_once_creates_one_request() {
    let dir = tempfile::tempdir().unwrap();
    // Started together on a new database: one of them migrates and seeds it, the other waits.
    let other = {
        let d = dir.path().to_owned();
        std::thread::spawn(move || ServerProcess::start(&d, &[]))
    };
    let a = ServerProcess::start(dir.path(), &[]);
    let b = other.join().unwrap();
    let http = http();
    const KEYS: usize = 30;
    for i in 0..KEYS {
        let key = format!("race-{i}");
        let (x, y) = tokio::join!(post(&http, &a, &key), post(&http, &b, &key));
        let answers = [x, y];
        for (status, _, _) in &answers {
            assert!([0, 200, 409].contains(status), "{key}: {answers:?}");
        }
        let ids: Vec<&String> = answers.iter().filter(|a| a.0 == 200).filter_map(|a| a.1.as_ref()).collect();
        assert!(!ids.is_empty(), "{key}: {answers:?}");
        assert!(ids.iter().all(|id| *id == ids[0]), "{key}: {answers:?}");
        // Whichever answered 409 (if one did) now replays the one request.
        let (status, id, _) = post(&http, &b, &key).await;
        assert_eq!((status, id.as_ref()), (200, Some(ids[0])), "{key}");
    }
    assert_eq!(requests_in(dir.path()), KEYS as i64);
}

/// Three processes on one database (SQLite here, PostgreSQL under scripts/with-postgres.sh):
/// failed bill verifications spread over them are throttled as one count, and one key sent to all
/// three at once makes one request.
#[tokio::test(flavor = "multi_thread")]
async fn three_processes_count_one_throttle_and_make_one_request_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let servers: Vec<ServerProcess> = {
        let others: Vec<_> = (0..2)
            .map(|_| {
                let d = dir.path().to_owned();
                std::thread::spawn(move || ServerProcess::start(&d, &[]))
            })
            .collect();
        let mut all = vec![ServerProcess::start(dir.path(), &[])];
        all.extend(others.into_iter().map(|t| t.join().unwrap()));
        all
    };
    let http = http();

    // Five wrong guesses from one client, round-robin over the three: the sixth is refused by
    // whichever process it reaches, the right factor included.
    for i in 0..5 {
        let base = servers[i % 3].url("");
        assert_eq!(bill_status(&http, &base, "10561203", "0599000000").await.status(), 401, "guess {i}");
    }
    for s in &servers {
        assert_eq!(bill_status(&http, &s.url(""), "10561203", "0567654321").await.status(), 429);
    }
    // A burst at once over the three cannot outrun the count either: of eight parallel guesses
    // on a fresh account from another client, at most five fail (the rest are refused).
    let burst = client_from("127.0.0.3");
    let answers = futures_join_all((0..8).map(|i| {
        let (c, base) = (burst.clone(), servers[i % 3].url(""));
        async move { bill_status(&c, &base, "10234518", "0599000000").await.status().as_u16() }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 401 || *s == 429), "{answers:?}");
    assert!(answers.iter().filter(|s| **s == 401).count() <= 5, "{answers:?}");
    assert!(answers.contains(&429), "{answers:?}");

    // One key to all three at once, ten times: one request per key.
    for i in 0..10 {
        let key = format!("three-{i}");
        let (a, b, c) = tokio::join!(
            post(&http, &servers[0], &key),
            post(&http, &servers[1], &key),
            post(&http, &servers[2], &key)
        );
        let answers = [a, b, c];
        let ids: Vec<&String> = answers.iter().filter(|a| a.0 == 200).filter_map(|a| a.1.as_ref()).collect();
        assert!(!ids.is_empty() && ids.iter().all(|id| *id == ids[0]), "{key}: {answers:?}");
    }
    assert_eq!(requests_in(dir.path()), 10);
}

/// Run every future at once and wait for all (tokio tasks; no extra crate).
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// Start `n` server processes on `dir` together, with `args`.
fn start_many(dir: &std::path::Path, n: usize, args: &'static [&'static str]) -> Vec<ServerProcess> {
    let others: Vec<_> = (1..n)
        .map(|_| {
            let d = dir.to_owned();
            std::thread::spawn(move || ServerProcess::start(&d, args))
        })
        .collect();
    let mut all = vec![ServerProcess::start(dir, args)];
    all.extend(others.into_iter().map(|t| t.join().unwrap()));
    all
}

/// A staff change made through one process is what the others answer at once.
#[tokio::test(flavor = "multi_thread")]
async fn a_staff_change_through_one_process_is_seen_through_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let servers = start_many(dir.path(), 3, &["--staff-token", "dispatch-3"]);
    let http = http();
    let (status, id, _) = post(&http, &servers[0], "staff-1").await;
    assert_eq!(status, 200);
    let id = id.unwrap();
    let resp = http
        .post(servers[1].url(&format!("api/v1/staff/requests/{id}/actions")))
        .bearer_auth("dispatch-3")
        .json(&serde_json::json!({ "action": "verify" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    for s in &servers {
        let v: Value = http
            .get(s.url(&format!("open311/v2/requests/{id}.json")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v[0]["detailed_status"], "verified", "{v}");
    }
}

/// Clients keep filing while one of three processes is killed (SIGKILL) mid-load, retrying a
/// failed request under the same key on the next process: every request arrives once.
#[tokio::test(flavor = "multi_thread")]
async fn a_process_killed_mid_load_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A claim the killed process held lapses after the body timeout + 30 s: 1 s here, so a key
    // caught in flight by the kill is answered 409 by the others for about half a minute.
    let servers =
        std::sync::Arc::new(tokio::sync::Mutex::new(start_many(dir.path(), 3, &["--body-timeout", "1"])));
    let urls: Vec<String> = servers.lock().await.iter().map(|s| s.url("")).collect();
    let http = http();
    const CLIENTS: usize = 4;
    const EACH: usize = 15;
    let workers: Vec<_> = (0..CLIENTS)
        .map(|w| {
            let (http, urls) = (http.clone(), urls.clone());
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..EACH {
                    let key = format!("load-{w}-{i}");
                    let mut target = (w + i) % 3;
                    let started = std::time::Instant::now();
                    let id = loop {
                        assert!(started.elapsed() < Duration::from_secs(90), "{key}: never accepted");
                        let resp = http
                            .post(format!("{}open311/v2/requests.json", urls[target]))
                            .header("Idempotency-Key", &key)
                            .header("content-type", "application/x-www-form-urlencoded")
                            .body(FORM)
                            .send()
                            .await;
                        match resp {
                            Ok(r) if r.status() == 200 => {
                                let v: Value = r.json().await.unwrap();
                                break v[0]["service_request_id"].as_str().unwrap().to_owned();
                            }
                            // 409 (still in flight elsewhere), 5xx, or the process is gone:
                            // the next process, after a moment.
                            _ => {
                                target = (target + 1) % 3;
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    };
                    ids.push((key, id));
                }
                ids
            })
        })
        .collect();
    // Mid-load: kill the first process.
    loop {
        let n = requests_in(dir.path());
        if n >= (CLIENTS * EACH / 3) as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    servers.lock().await[0].sigkill();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let mut ids: Vec<&String> = all.iter().map(|(_, id)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), CLIENTS * EACH, "every key its own request");
    assert_eq!(requests_in(dir.path()), (CLIENTS * EACH) as i64, "nothing lost, nothing twice");
}

/// Requests filed at once through two processes, each on its pool of connections (PostgreSQL:
/// no lock between them, ids from the database): every request gets an id of its own, in the
/// public shape (1, 2, 3…), and a key sent twice at once still makes one request.
#[tokio::test(flavor = "multi_thread")]
async fn requests_filed_at_once_get_their_own_ids_and_one_request_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let servers = std::sync::Arc::new(start_many(dir.path(), 2, &[]));
    let http = http();
    const KEYS: usize = 24;
    const WITHOUT_KEY: usize = 16;
    // Each key twice (once per process), and requests without a key, all at once.
    let keyed = (0..KEYS * 2).map(|i| (Some(format!("at-once-{}", i / 2)), i % 2));
    let unkeyed = (0..WITHOUT_KEY).map(|i| (None, i % 2));
    let answers = futures_join_all(keyed.chain(unkeyed).map(|(key, s)| {
        let (http, servers) = (http.clone(), std::sync::Arc::clone(&servers));
        async move {
            let mut req = http
                .post(servers[s].url("open311/v2/requests.json"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(FORM);
            if let Some(k) = &key {
                req = req.header("Idempotency-Key", k);
            }
            let Ok(resp) = req.send().await else { return (key, 0, None) };
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap_or_default();
            (key, status, body[0]["service_request_id"].as_str().map(str::to_owned))
        }
    }))
    .await;
    let mut by_key: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut ids = Vec::new();
    for (key, status, id) in &answers {
        match key {
            // The second of a pair may find the key claimed (409, or a reset connection).
            Some(k) => {
                assert!([0, 200, 409].contains(status), "{k}: {status}");
                if let Some(id) = id.as_ref().filter(|_| *status == 200) {
                    by_key.entry(k.clone()).or_default().push(id.clone());
                }
            }
            None => {
                assert_eq!(*status, 200, "without a key");
                ids.push(id.clone().unwrap());
            }
        }
    }
    for i in 0..KEYS {
        let key = format!("at-once-{i}");
        // Whichever was refused now replays the one request.
        let (status, id, _) = post(&http, &servers[i % 2], &key).await;
        assert_eq!(status, 200, "{key}");
        let id = id.unwrap();
        assert!(by_key.get(&key).is_none_or(|seen| seen.iter().all(|s| *s == id)), "{key}: {by_key:?}");
        ids.push(id);
    }
    // Every id its own, a whole number from 1.
    let mut numbers: Vec<i64> = ids.iter().map(|id| id.parse().unwrap()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), KEYS + WITHOUT_KEY, "{ids:?}");
    assert!(numbers[0] >= 1);
    assert_eq!(requests_in(dir.path()), (KEYS + WITHOUT_KEY) as i64);
}

/// The services list and definitions are serialised once per version of the categories: a change
/// another process writes (with its version bump) is what every process answers next, in both
/// languages and formats.
#[tokio::test(flavor = "multi_thread")]
async fn the_services_answer_follows_the_categories_version() {
    let dir = tempfile::tempdir().unwrap();
    let servers = start_many(dir.path(), 2, &[]);
    let http = http();
    let get = |s: &ServerProcess, path: &str| {
        let (http, url) = (http.clone(), s.url(path));
        async move {
            let resp = http.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.text().await.unwrap()
        }
    };
    let paths = [
        "open311/v2/services.json",
        "open311/v2/services.xml?locale=en",
        "open311/v2/services/water-leak.json",
    ];
    let mut before = Vec::new();
    for s in &servers {
        for p in paths {
            // Twice: the second from what was serialised.
            let first = get(s, p).await;
            assert_eq!(get(s, p).await, first, "{p}");
            before.push(first);
        }
    }
    assert!(before[0].contains("water-leak"));
    // Another process renames the category and adds an attribute to it.
    db_of(dir.path())
        .with(|c| -> Result<(), baladiya_server::sql::Error> {
            let doc: String =
                c.query_row("SELECT doc FROM open311_services WHERE service_code = 'water-leak'", (), |r| {
                    r.get(0)
                })?;
            let mut doc: Value = serde_json::from_str(&doc).unwrap();
            doc["name"]["en"] = "Renamed leak".into();
            doc["name"]["ar"] = "تسرب معدل".into();
            doc["attributes"].as_array_mut().unwrap().push(serde_json::json!({
                "code": "floor", "datatype": "number", "required": false, "order": 99,
                "description": {"ar": "الطابق", "en": "Floor"}
            }));
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE open311_services SET doc = ?1 WHERE service_code = 'water-leak'",
                [doc.to_string()],
            )?;
            tx.execute("UPDATE catalogue_meta SET value = value + 1 WHERE key = 'open311_version'", ())?;
            tx.commit()
        })
        .unwrap();
    for s in &servers {
        let ar = get(s, paths[0]).await;
        assert!(ar.contains("تسرب معدل"), "{ar}");
        let en = get(s, paths[1]).await;
        assert!(en.contains("Renamed leak"), "{en}");
        let definition = get(s, paths[2]).await;
        assert!(definition.contains("\"floor\""), "{definition}");
    }
}

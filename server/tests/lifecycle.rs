//! The server's life as a deployment sees it: liveness and readiness, and a graceful stop that
//! drains the requests in flight.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use baladiya_server::{DatabaseUrl, Options, RunningServer, ServerConfig};
use serde_json::Value;
use support::{http, ServerProcess};

#[tokio::test(flavor = "multi_thread")]
async fn healthz_is_live_and_readyz_asks_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig { data_dir: dir.path().to_owned(), demo: false, staff_token: None };
    // SQLite whatever the test cluster: the schema's version is changed behind the server's back.
    let options = Options { database: Some(DatabaseUrl::default_for(dir.path())), ..Options::default() };
    let server = RunningServer::start_with_options(config, options, "127.0.0.1:0".parse().unwrap()).unwrap();
    let http = http();
    let get = |path: &'static str| http.get(format!("{}{path}", server.url())).send();
    let live = get("healthz").await.unwrap();
    assert_eq!((live.status().as_u16(), live.text().await.unwrap().as_str()), (200, "ok"));
    let ready = get("readyz").await.unwrap();
    assert_eq!((ready.status().as_u16(), ready.text().await.unwrap().as_str()), (200, "ready"));

    // A newer server migrated the database: this one is live but not ready, and says why.
    let db = rusqlite::Connection::open(dir.path().join("server.db")).unwrap();
    let ours: u32 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    db.pragma_update(None, "user_version", ours + 1).unwrap();
    let ready = get("readyz").await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    let body: Value = ready.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains(&format!("version {}", ours + 1)), "{body}");
    assert_eq!(get("healthz").await.unwrap().status().as_u16(), 200);

    // Back at its version: ready again.
    db.pragma_update(None, "user_version", ours).unwrap();
    assert_eq!(get("readyz").await.unwrap().status().as_u16(), 200);
}

/// SIGTERM: no new connection is taken, the request in flight is finished and answered, then the
/// process exits successfully.
#[test]
fn sigterm_drains_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(dir.path(), &[]);
    let form =
        "api_key=demo-app-key&service_code=water-leak&lat=31.5168&long=34.4485&attribute%5Bseverity%5D=steady";
    let (first, rest) = form.split_at(form.len() / 2);
    let mut held = TcpStream::connect(server.addr()).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        held,
        "POST /open311/v2/requests.json HTTP/1.1\r\nHost: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
        server.addr(),
        form.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    // Stops accepting...
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(server.addr()).is_err() {
            refused = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(refused, "still accepting after SIGTERM");
    // ...but still waits for the request in flight, and answers it.
    assert_eq!(server.wait_exit(Duration::from_millis(300)), None, "exited with a request in flight");
    held.write_all(rest.as_bytes()).unwrap();
    let mut answer = String::new();
    held.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let status = server.wait_exit(Duration::from_secs(10)).expect("exits once drained");
    assert!(status.success(), "{status:?}");
}

/// `--database sqlite://PATH` puts the database there (not under `--data-dir`); a PostgreSQL
/// server that does not answer stops the start, named without its password.
#[test]
fn the_database_url_says_where_the_data_is() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere").join("city.db");
    let url = format!("sqlite://{}", elsewhere.display());
    let server = ServerProcess::start(&dir.path().join("data"), &["--database", &url]);
    drop(server);
    assert!(elsewhere.exists());
    assert!(!dir.path().join("data").join("server.db").exists());

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("DATABASE_URL", "postgres://baladiya:s3cret@127.0.0.1:1/baladiya")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let log = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(log.contains("cannot start") && log.contains("PostgreSQL"), "{log}");
    assert!(log.contains("postgres://baladiya:***@127.0.0.1:1/baladiya"), "{log}");
    assert!(!log.contains("s3cret"), "{log}");
}

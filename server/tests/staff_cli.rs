//! `baladiya-server staff add|disable|enable|reset|list`: accounts from a terminal, the password
//! on standard input.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use baladiya_server::console::accounts;
use baladiya_server::Db;

/// The database of `dir`: its SQLite file, or its PostgreSQL database under the test cluster.
fn database_of(dir: &std::path::Path) -> baladiya_server::DatabaseUrl {
    baladiya_server::test_database_for(dir)
        .unwrap()
        .unwrap_or_else(|| baladiya_server::DatabaseUrl::default_for(dir))
}

fn staff(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let database = match database_of(dir) {
        baladiya_server::DatabaseUrl::Postgres(url) => vec!["--database".to_owned(), url],
        baladiya_server::DatabaseUrl::Sqlite(_) => Vec::new(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_baladiya-server"))
        .arg("--data-dir")
        .arg(dir)
        .args(&database)
        .arg("staff")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn password_of(dir: &std::path::Path, user: &str) -> Option<(accounts::Account, String)> {
    Db::open_url(&database_of(dir)).unwrap().with(|c| accounts::get(c, user)).unwrap()
}

#[test]
fn accounts_are_added_disabled_and_reset_from_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out =
        staff(d, &["add", "Amal", "--role", "department", "--department", "water"], "a-long-password-1\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (account, hash) = password_of(d, "amal").expect("stored under the lower-case name");
    assert_eq!(account.role, accounts::AccountRole::Department("water".into()));
    assert!(hash.starts_with("$argon2id$"));
    assert!(accounts::verify_password(Some(&hash), "a-long-password-1"));

    // Refusals: the same name, a short password, a role without its department, an unknown user.
    assert!(!staff(d, &["add", "amal", "--role", "verifier"], "another-password\n").status.success());
    assert!(!staff(d, &["add", "sami", "--role", "verifier"], "short\n").status.success());
    assert!(!staff(d, &["add", "sami", "--role", "department"], "a-long-password-2\n").status.success());
    assert!(!staff(d, &["disable", "nobody"], "").status.success());
    assert!(password_of(d, "sami").is_none());

    assert!(staff(d, &["disable", "amal"], "").status.success());
    let list = staff(d, &["list"], "");
    assert_eq!(String::from_utf8_lossy(&list.stdout).trim(), "amal\tdepartment water disabled");
    assert!(staff(d, &["enable", "amal"], "").status.success());
    assert!(!password_of(d, "amal").unwrap().0.disabled);

    assert!(staff(d, &["reset", "amal"], "a-new-password-3\n").status.success());
    let (_, hash) = password_of(d, "amal").unwrap();
    assert!(accounts::verify_password(Some(&hash), "a-new-password-3"));
    assert!(!accounts::verify_password(Some(&hash), "a-long-password-1"));
}

/// A bearer token made for an account acts with the account's role on the staff API, and stops
/// with the account.
#[tokio::test(flavor = "multi_thread")]
async fn account_tokens_act_with_their_accounts_role() {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_owned();
    let config = baladiya_server::ServerConfig {
        data_dir: d.clone(),
        demo: true,
        staff_token: Some("integration".into()),
    };
    let app = baladiya_server::app(&config).unwrap();
    let token = |user: &str| {
        let out = staff(&d, &["token", user, "--label", "test"], "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let (verifier, water, editor, dispatcher) =
        (token("verifier"), token("water"), token("editor"), token("dispatcher"));
    let send = |method: &str, path: &str, bearer: &str, body: serde_json::Value| {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {bearer}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let app = app.clone();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
            (status, serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default())
        }
    };
    let new = serde_json::json!({"service_code": "water-leak", "source": "phone", "address_string": "حي الرمال",
        "attributes": {"severity": "steady"}});
    let (status, created) = send("POST", "/api/v1/staff/requests", &dispatcher, new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["service_request_id"].as_str().unwrap().to_owned();
    let actions = format!("/api/v1/staff/requests/{id}/actions");

    // The verifier's token verifies but does not route; the dispatcher's routes but does not verify.
    let route = serde_json::json!({"action": "route", "department_id": "water"});
    assert_eq!(send("POST", &actions, &verifier, route.clone()).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        send("POST", &actions, &dispatcher, serde_json::json!({"action": "verify"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, v) = send("POST", &actions, &verifier, serde_json::json!({"action": "verify"})).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["updates"][1]["actor"], "verifier:verifier");
    // Water's token sees the request only once routed to water.
    assert_eq!(
        send("GET", &format!("/api/v1/staff/requests/{id}"), &water, serde_json::Value::Null).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(send("POST", &actions, &dispatcher, route).await.0, StatusCode::OK);
    assert_eq!(
        send("GET", &format!("/api/v1/staff/requests/{id}"), &water, serde_json::Value::Null).await.0,
        StatusCode::OK
    );
    // The editor's token: news, not requests.
    assert_eq!(
        send("GET", "/api/v1/staff/requests", &editor, serde_json::Value::Null).await.0,
        StatusCode::FORBIDDEN
    );
    let news = serde_json::json!({"title": {"ar": "خبر", "en": "News"}, "body": {"ar": "نص", "en": "Text"}, "category": "announcement"});
    assert_eq!(send("POST", "/api/v1/staff/news", &editor, news.clone()).await.0, StatusCode::CREATED);
    assert_eq!(send("POST", "/api/v1/staff/news", &water, news.clone()).await.0, StatusCode::FORBIDDEN);
    // Disabled, revoked, or made up: no more.
    assert!(staff(&d, &["disable", "verifier"], "").status.success());
    assert_eq!(
        send("GET", "/api/v1/staff/requests", &verifier, serde_json::Value::Null).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(staff(&d, &["revoke", "editor"], "").status.success());
    assert_eq!(send("POST", "/api/v1/staff/news", &editor, news).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send("GET", "/api/v1/staff/requests", "bld_0000", serde_json::Value::Null).await.0,
        StatusCode::UNAUTHORIZED
    );
    // The configured token keeps working as before.
    assert_eq!(
        send("GET", "/api/v1/staff/requests", "integration", serde_json::Value::Null).await.0,
        StatusCode::OK
    );
}

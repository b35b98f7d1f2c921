//! The `baladiya` binary as a person or a script meets it (issue 10.13): every line of an error is
//! shown, a complaint's header shows its current status, and a reader that stops early (`| head`)
//! ends it quietly.

use std::process::{Command, Output, Stdio};

use baladiya_server::{RunningServer, ServerConfig};

const STAFF: &str = "cli-test-staff";

fn baladiya(server: &str, data: &std::path::Path, args: &[&str]) -> Output {
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

#[test]
fn errors_status_and_a_closed_pipe() {
    let srv_dir = tempfile::tempdir().unwrap();
    let app_dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(
        ServerConfig { data_dir: srv_dir.path().to_owned(), demo: true, staff_token: Some(STAFF.into()) },
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let url = server.url();
    let run = |args: &[&str]| baladiya(&url, app_dir.path(), args);
    let out = run(&["complaint", "categories"]);
    assert!(out.status.success());
    // Each category says within what time the municipality aims to deal with it (issue 15.4).
    let listed = text(&out.stdout);
    let leak = listed.lines().find(|l| l.starts_with("water-leak ")).expect("water-leak listed");
    assert!(leak.ends_with("— خلال يوم واحد / within 1 day"), "{leak}");
    let out = run(&["--lang", "en", "complaint", "categories"]);
    let listed = text(&out.stdout);
    let sewage = listed.lines().find(|l| l.starts_with("sewage-overflow ")).expect("sewage-overflow listed");
    assert!(sewage.ends_with("— within 12 hours"), "{sewage}");

    // A streetlight complaint missing its pole number and its problem: both lines shown.
    let out =
        run(&["complaint", "new", "--category", "streetlight", "--description", "d", "--address", "النصر"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("pole_number") && err.contains("problem"), "{err}");
    assert!(!err.contains("more)"), "{err}");

    // Filed, sent, then closed by staff: list and show say closed, not received.
    let out = run(&[
        "complaint",
        "new",
        "--category",
        "water-leak",
        "--description",
        "تسرب",
        "--lat",
        "31.5168",
        "--long",
        "34.4485",
        "--attr",
        "severity=steady",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let local_id = text(&out.stdout).lines().next().unwrap().trim().to_owned();
    assert!(run(&["complaint", "flush"]).status.success());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        baladiya_core::api::install_crypto_provider();
        let http = reqwest::Client::new();
        for action in [
            serde_json::json!({"action": "verify"}),
            serde_json::json!({"action": "status", "detailed_status": "closed", "note": "أغلق"}),
        ] {
            let resp = http
                .post(format!("{url}api/v1/staff/requests/1/actions"))
                .bearer_auth(STAFF)
                .json(&action)
                .send()
                .await
                .unwrap();
            assert!(resp.status().is_success(), "{action}");
        }
    });
    assert!(run(&["complaint", "refresh"]).status.success());
    for args in [vec!["complaint", "list"], vec!["complaint", "show", &local_id]] {
        let out = text(&run(&args).stdout);
        let header = out.lines().find(|l| l.starts_with(&local_id)).unwrap_or_default().to_owned();
        assert!(header.contains("closed") && !header.contains("received"), "{args:?}: {out}");
    }

    // The data used: the complaint's exchanges this month and in the total, nothing for bills.
    let out = text(&run(&["usage", "--months", "2"]).stdout);
    let this_month = chrono::Utc::now().format("%Y-%m").to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.first().copied(), Some(this_month.as_str()), "{out}");
    assert_eq!(lines.iter().filter(|l| l.trim_start().starts_with("complaints")).count(), 3, "{out}");
    let complaints = lines[1..].iter().find(|l| l.trim_start().starts_with("complaints")).unwrap();
    assert!(!complaints.contains(" 0 B sent"), "the complaint was counted this month: {out}");
    let bills = lines[1..].iter().find(|l| l.trim_start().starts_with("bills")).unwrap();
    assert!(bills.contains(" 0 B sent") && bills.contains(" 0 B received"), "{out}");
    assert!(out.contains("since installed"), "{out}");

    // A question published on a service (as the editor's console saves it) shows with the service.
    rt.block_on(async {
        let http = reqwest::Client::new();
        let guide: serde_json::Value =
            http.get(format!("{url}api/v1/guide")).send().await.unwrap().json().await.unwrap();
        let mut service = guide["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == "clearance-certificate")
            .unwrap()
            .clone();
        service["faqs"] = serde_json::json!([{
            "question": {"ar": "هل تصدر الشهادة لمن عليه أقساط؟", "en": "Is it issued with instalments due?"},
            "answer": {"ar": "نعم، إذا سُددت الأقساط المستحقة.", "en": "Yes, once the instalments due are paid."},
        }]);
        let resp = http
            .put(format!("{url}api/v1/staff/guide/services/clearance-certificate"))
            .bearer_auth(STAFF)
            .json(&service)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    });
    assert!(run(&["guide", "sync"]).status.success());
    let shown = text(&run(&["guide", "show", "clearance-certificate"]).stdout);
    assert!(shown.contains("س: هل تصدر الشهادة لمن عليه أقساط؟"), "{shown}");
    assert!(shown.contains("ج: نعم، إذا سُددت الأقساط المستحقة."), "{shown}");
    assert!(shown.contains("A: Yes, once the instalments due are paid."), "{shown}");

    // A reader that has gone away before the answer is printed: no panic, a quiet exit.
    let mut child = Command::new(env!("CARGO_BIN_EXE_baladiya"))
        .args(["--server", &url, "--data-dir"])
        .arg(app_dir.path())
        .args(["complaint", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    assert!(out.status.success(), "{:?} {err}", out.status);
}

/// The README's first command runs the whole story to its end, the WhatsApp round trip included:
/// the signed message taken, a forged one refused, the request made of the intake item, the
/// acknowledgement and the reply received by the stand-in Graph API, and the citizen's number
/// never printed whole; a neighbour following the leak nearby hears its fix.
#[test]
fn the_demo_runs_to_its_end_with_the_whatsapp_round_trip_and_a_neighbour_following() {
    let out = Command::new(env!("CARGO_BIN_EXE_baladiya")).arg("demo").output().expect("the demo runs");
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{shown}\n{}", text(&out.stderr));
    let whatsapp = shown.split("━━ 14.").nth(1).and_then(|s| s.split("━━ 15.").next()).unwrap_or("");
    assert!(whatsapp.contains("signed as Meta signs them: HTTP 200"), "{whatsapp}");
    assert!(whatsapp.contains("wrong signature: HTTP 403"), "{whatsapp}");
    assert!(whatsapp.contains("intake item #1 (text + location)"), "{whatsapp}");
    assert!(whatsapp.contains("(source whatsapp)"), "{whatsapp}");
    assert!(whatsapp.contains("تم استلام بلاغك"), "the acknowledgement came back: {whatsapp}");
    assert!(whatsapp.contains("فريق الإنارة يصل اليوم"), "the reply came back: {whatsapp}");
    assert!(!shown.contains("970599765432"), "the number is shown masked");
    let nearby = shown.split("━━ 9.").nth(1).and_then(|s| s.split("━━ 11.").next()).unwrap_or("");
    assert!(nearby.contains("#1 20 m away"), "the neighbour found the leak: {nearby}");
    assert!(nearby.contains("they follow #1 instead (1 follower)"), "{nearby}");
    assert!(nearby.contains("the neighbour who follows it heard 4 updates too; it is now fixed"), "{nearby}");
    assert!(shown.trim_end().ends_with("Demo finished."), "{shown}");
}

//! Resolution feedback and reopening (issue 15.2), end to end: the core against the real reference
//! server, through its outbox, across a crash between writing and sending and an answer lost on the
//! way; and every refusal of the server's extension (`POST /open311/v2/requests/{id}/feedback.json`
//! and `…/reopen.json`, `server/src/open311/followup.rs`), the 14 days included.
//!
//! The server has no clock to inject: its 14 days are counted from the closing's stored time, so
//! the tests move that time back in its database (the documented test hook, [`backdate_closing`]).
//! They read and change the server's SQLite file, so they run on SQLite only.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baladiya_core::clock::FakeClock;
use baladiya_core::complaints::followup::{FeedbackDraft, FollowUpKind, FollowUpState};
use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, GeoPoint};
use baladiya_core::{Baladiya, BaladiyaEvent, Config, Error};
use baladiya_tests::proxy::{Fault, FaultPlan, FaultProxy};
use baladiya_tests::{complaints_app, http_client, TestServer, DEMO_API_KEY};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn draft(description: &str) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "water-leak".into(),
        description: description.into(),
        attributes: vec![AttributeAnswer { code: "severity".into(), values: vec!["steady".into()] }],
        location: Some(GeoPoint { lat: 31.52, long: 34.45 }),
        address: None,
        contact: None,
    }
}

/// The server's database file (the test server's default under its data directory).
fn server_db(server: &TestServer) -> rusqlite::Connection {
    rusqlite::Connection::open(server.dir.path().join("server.db")).expect("the server's database")
}

fn count(server: &TestServer, table: &str, id: &str) -> i64 {
    let id: i64 = id.parse().expect("a numeric id");
    server_db(server)
        .query_row(&format!("SELECT COUNT(*) FROM {table} WHERE request_id = ?1"), [id], |r| r.get(0))
        .expect("a count")
}

/// The test hook for the 14 days: move request `id`'s closing (its `closed` history entries)
/// `days` into the past, in the server's own database.
fn backdate_closing(server: &TestServer, id: &str, days: i64) {
    let id: i64 = id.parse().expect("a numeric id");
    let when = (chrono::Utc::now() - chrono::Duration::days(days))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let changed = server_db(server)
        .execute(
            "UPDATE open311_updates SET created_at = ?2 WHERE request_id = ?1 AND status = 'closed'",
            rusqlite::params![id, when],
        )
        .expect("backdated");
    assert!(changed > 0, "request {id} has a closing to move");
}

/// File a complaint through the core, send it, and have the municipality fix it (verified, routed
/// to water, fixed); the core learns it on a refresh. Returns its tracking number and server id.
async fn filed_and_fixed(core: &Baladiya, server: &TestServer, description: &str) -> (String, String) {
    core.refresh_complaint_categories().await.expect("categories");
    let id = core.submit_complaint(draft(description), &[]).expect("filed");
    let report = core.flush_complaints().await.expect("flushed");
    let server_id = report.sent.iter().find(|s| s.local_id == id).and_then(|s| s.server_id.clone());
    let server_id = server_id.expect("sent with an id");
    for action in [
        serde_json::json!({"action": "verify"}),
        serde_json::json!({"action": "route", "department_id": "water"}),
        serde_json::json!({"action": "status", "detailed_status": "fixed", "note": "تم إصلاح التسرب"}),
    ] {
        server.staff_action(&server_id, action).await;
    }
    core.refresh_complaints().await.expect("refreshed");
    (id, server_id)
}

fn listen(core: &Baladiya) -> Arc<Mutex<Vec<BaladiyaEvent>>> {
    let seen: Arc<Mutex<Vec<BaladiyaEvent>>> = Arc::default();
    let sink = Arc::clone(&seen);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| {
        sink.lock().unwrap_or_else(|p| p.into_inner()).push(e.clone())
    }));
    seen
}

/// The child of the crash test: write the feedback and the reopening of `BALADIYA_FOLLOWUP_ID`
/// to the outbox, then die at once (abort: no destructor runs, nothing is sent).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child process of the crash test"]
async fn followup_crash_child() {
    let (Ok(dir), Ok(url), Ok(id)) = (
        std::env::var("BALADIYA_FOLLOWUP_DIR"),
        std::env::var("BALADIYA_FOLLOWUP_SERVER"),
        std::env::var("BALADIYA_FOLLOWUP_ID"),
    ) else {
        return;
    };
    let core = complaints_app(std::path::Path::new(&dir), &url, Duration::from_secs(5));
    core.give_complaint_feedback(
        &id,
        FeedbackDraft {
            resolved: false, rating: 2, comment: Some("ما زال الماء يتسرب".into())
        },
    )
    .expect("feedback written");
    core.reopen_complaint(&id, "التسرب عاد بعد يومين").expect("reopening written");
    std::process::abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_and_reopening_survive_a_crash_between_writing_and_sending_and_arrive_once() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (id, server_id) = {
        let core = complaints_app(dir.path(), &server.url(), Duration::from_secs(10));
        let (id, server_id) = filed_and_fixed(&core, &server, "تسرب أمام المدرسة").await;
        let c = core.complaint(&id).unwrap();
        assert_eq!(c.status.as_deref(), Some("closed"));
        assert!(c.can_give_feedback && c.can_reopen, "{c:?}");
        let closed = c.closed_datetime.as_deref().expect("the closing's time");
        let closed = chrono::DateTime::parse_from_rfc3339(closed).unwrap().timestamp_millis();
        assert_eq!(c.reopen_until, Some(closed + 14 * DAY_MS));
        (id, server_id)
    };

    // Written, then the process dies before anything is sent.
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["followup_crash_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("BALADIYA_FOLLOWUP_DIR", dir.path())
        .env("BALADIYA_FOLLOWUP_SERVER", server.url())
        .env("BALADIYA_FOLLOWUP_ID", &id)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child died by abort");
    assert_eq!(
        (count(&server, "open311_feedback", &server_id), count(&server, "open311_reopenings", &server_id)),
        (0, 0)
    );

    // The app starts again behind a proxy that lets the server take the feedback but cuts the
    // connection before its answer: the phone cannot know it arrived.
    let proxy =
        FaultProxy::start(server.addr(), FaultPlan::scripted([Fault::ResetAfterForward])).await.unwrap();
    let core = complaints_app(dir.path(), &proxy.url(), Duration::from_secs(10));
    let seen = listen(&core);
    let c = core.complaint(&id).unwrap();
    assert_eq!(
        c.feedback.as_ref().map(|f| (f.rating, f.resolved, f.state)),
        Some((2, false, FollowUpState::Queued))
    );
    assert_eq!(
        c.reopen.as_ref().map(|r| (r.reason.as_str(), r.state)),
        Some(("التسرب عاد بعد يومين", FollowUpState::Queued))
    );
    assert!(!c.can_give_feedback && !c.can_reopen, "each once per closing");

    let first = core.flush_complaints().await.unwrap();
    let retry = first.followups_retry_later.as_ref().expect("the lost answer is retried");
    assert_eq!((retry.local_id.as_str(), first.followups_remaining), (id.as_str(), 2));
    assert_eq!(count(&server, "open311_feedback", &server_id), 1, "the server took it");

    // The next flush sends it again under its key: the server replays its answer, then takes the
    // reopening.
    let second = core.flush_complaints().await.unwrap();
    let sent: Vec<FollowUpKind> = second.followups_sent.iter().map(|f| f.kind).collect();
    assert_eq!(sent, [FollowUpKind::Feedback, FollowUpKind::Reopen]);
    assert!(second.followups_refused.is_empty(), "{:?}", second.followups_refused);
    assert_eq!(second.followups_remaining, 0);
    assert_eq!(
        (count(&server, "open311_feedback", &server_id), count(&server, "open311_reopenings", &server_id)),
        (1, 1)
    );
    let states: Vec<String> = core
        .store()
        .read(|c| {
            Ok(c.prepare("SELECT state FROM complaint_followups ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })
        .unwrap();
    assert_eq!(states, ["sent", "sent"]);

    // Back in the water department's queue, its history kept, with the reopening and its reason.
    let staff = server.staff_request(&server_id).await;
    assert_eq!((staff["status"].as_str(), staff["detailed_status"].as_str()), (Some("open"), Some("routed")));
    assert_eq!(staff["department_id"].as_str(), Some("water"));
    let updates = staff["updates"].as_array().unwrap();
    let actions: Vec<&str> = updates.iter().filter_map(|u| u["action"].as_str()).collect();
    assert_eq!(actions.last(), Some(&"reopen"), "{actions:?}");
    assert!(actions.contains(&"verify") && actions.contains(&"route"), "history kept: {actions:?}");
    let last = updates.last().unwrap();
    assert!(last["description"].as_str().unwrap().contains("التسرب عاد بعد يومين"), "{last}");
    assert_eq!(last["actor"].as_str(), Some("citizen"));
    let queue = server.staff_requests("department=water&status=open").await;
    assert!(queue.iter().any(|r| r["service_request_id"].as_str() == Some(server_id.as_str())));

    // The phone has it open again, with the entry, and heard each step once.
    let c = core.complaint(&id).unwrap();
    assert_eq!((c.status.as_deref(), c.detailed_status.as_deref()), (Some("open"), Some("routed")));
    assert!(c.updates.last().unwrap().description.contains("التسرب عاد بعد يومين"));
    assert!(c.closed_datetime.is_none() && !c.can_give_feedback && !c.can_reopen);
    let seen = seen.lock().unwrap().clone();
    let followups: Vec<&BaladiyaEvent> =
        seen.iter().filter(|e| matches!(e, BaladiyaEvent::ComplaintFollowUpSent { .. })).collect();
    assert_eq!(followups.len(), 2, "{seen:?}");
    assert!(seen.iter().any(|e| matches!(e, BaladiyaEvent::ComplaintUpdated { local_id, update, .. }
        if *local_id == id && update.status == "open")));

    // Fixed again: a new closing, which can be rated again.
    server
        .staff_action(&server_id, serde_json::json!({"action": "status", "detailed_status": "fixed"}))
        .await;
    core.refresh_complaints().await.unwrap();
    let c = core.complaint(&id).unwrap();
    assert!(c.can_give_feedback && c.can_reopen && c.feedback.is_none(), "{c:?}");
    core.give_complaint_feedback(&id, FeedbackDraft { resolved: true, rating: 5, comment: None }).unwrap();
    assert_eq!(core.flush_complaints().await.unwrap().followups_sent.len(), 1);
    assert_eq!(count(&server, "open311_feedback", &server_id), 2);
    assert_eq!(
        core.complaint(&id).unwrap().feedback.map(|f| (f.rating, f.state)),
        Some((5, FollowUpState::Sent))
    );
    proxy.stop().await;
}

/// `POST /open311/v2/requests/{id}/{action}.json` as the app sends it: status, body, and whether
/// it was a replay.
async fn post(
    server: &TestServer,
    id: &str,
    action: &str,
    token: Option<&str>,
    key: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value, bool) {
    let mut req =
        http_client().post(format!("{}open311/v2/requests/{id}/{action}.json", server.url())).form(form);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("an answer");
    let status = resp.status().as_u16();
    let replayed = resp.headers().get("idempotent-replayed").is_some();
    let body: serde_json::Value = resp.json().await.expect("JSON");
    (status, body, replayed)
}

fn description(body: &serde_json::Value) -> String {
    body[0]["description"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refusal_is_clear_and_a_closing_can_be_reopened_for_fourteen_days_only() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = complaints_app(dir.path(), &server.url(), Duration::from_secs(10));
    let seen = listen(&core);
    core.refresh_complaint_categories().await.unwrap();
    let id = core.submit_complaint(draft("حفرة مياه"), &[]).unwrap();
    core.flush_complaints().await.unwrap();
    let c = core.complaint(&id).unwrap();
    let (server_id, token) = (c.server_id.unwrap(), c.token.unwrap());
    let good = [("resolved", "false"), ("rating", "2"), ("comment", "لم يُصلح")];

    // Not closed yet: refused by the core before anything is written, and by the server.
    assert!(matches!(
        core.give_complaint_feedback(&id, FeedbackDraft { resolved: true, rating: 4, comment: None }),
        Err(Error::Validation { .. })
    ));
    assert!(matches!(core.reopen_complaint(&id, "x"), Err(Error::Validation { .. })));
    let (status, body, _) = post(&server, &server_id, "feedback", Some(token.as_str()), None, &good).await;
    assert_eq!(status, 422);
    assert!(description(&body).contains("not closed"), "{body}");

    server
        .staff_action(&server_id, serde_json::json!({"action": "status", "detailed_status": "fixed"}))
        .await;
    // Every refusal, in the spec's error shape, saying what is wrong.
    let other_token = "0123456789abcdef0123456789abcdef";
    // (request, action, token, form, status, what the description says)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [(&'a str, &'a str)], u16, &'a str);
    let cases: [Case; 8] = [
        ("999999", "feedback", Some(token.as_str()), &good, 404, "not found"),
        (&server_id, "feedback", None, &good, 401, "Bearer"),
        (&server_id, "feedback", Some(other_token), &good, 403, "not the token of this request"),
        (
            &server_id,
            "feedback",
            Some(token.as_str()),
            &[("resolved", "true"), ("rating", "6")],
            400,
            "rating: a whole number from 1 to 5",
        ),
        (
            &server_id,
            "feedback",
            Some(token.as_str()),
            &[("resolved", "true"), ("rating", "0")],
            400,
            "rating",
        ),
        (
            &server_id,
            "feedback",
            Some(token.as_str()),
            &[("resolved", "maybe"), ("rating", "3")],
            400,
            "resolved: true or false",
        ),
        (&server_id, "reopen", Some(token.as_str()), &[("reason", "  ")], 400, "reason: required"),
        (&server_id, "rate", Some(token.as_str()), &good, 404, "feedback or reopen"),
    ];
    for (rid, action, tok, form, want, says) in cases {
        let (status, body, _) = post(&server, rid, action, tok, Some("k-refused"), form).await;
        assert_eq!(status, want, "{action} {form:?}: {body}");
        assert!(description(&body).contains(says), "{action} {form:?}: {body}");
    }

    // Feedback once: the same key replays the first answer byte for byte; another body under it,
    // or another key, is refused.
    let (status, first, replayed) =
        post(&server, &server_id, "feedback", Some(token.as_str()), Some("k1"), &good).await;
    assert_eq!((status, replayed), (201, false), "{first}");
    assert_eq!(first[0]["rating"], 2);
    assert_eq!(first[0]["resolved"], false);
    assert_eq!(first[0]["comment"], "لم يُصلح");
    let (status, again, replayed) =
        post(&server, &server_id, "feedback", Some(token.as_str()), Some("k1"), &good).await;
    assert_eq!((status, replayed, &again), (201, true, &first));
    let (status, body, _) = post(
        &server,
        &server_id,
        "feedback",
        Some(token.as_str()),
        Some("k1"),
        &[("resolved", "true"), ("rating", "5")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(description(&body).contains("Idempotency-Key"), "{body}");
    let (status, body, _) =
        post(&server, &server_id, "feedback", Some(token.as_str()), Some("k2"), &good).await;
    assert_eq!(status, 422);
    assert!(description(&body).contains("feedback: already given"), "{body}");
    assert_eq!(count(&server, "open311_feedback", &server_id), 1);

    // The phone's clock 15 days on: the core no longer offers to reopen, and refuses to.
    core.refresh_complaints().await.unwrap();
    let c = core.complaint(&id).unwrap();
    assert!(c.can_reopen);
    let closed = chrono::DateTime::parse_from_rfc3339(c.closed_datetime.as_deref().unwrap())
        .unwrap()
        .timestamp_millis();
    {
        let clock = Arc::new(FakeClock::new(closed + 15 * DAY_MS));
        let mut config = Config::new(dir.path(), server.url());
        config.open311.api_key = Some(DEMO_API_KEY.into());
        config.clock = clock;
        let later = Baladiya::open(config).unwrap();
        let c = later.complaint(&id).unwrap();
        assert!(!c.can_reopen && c.can_give_feedback, "{c:?}");
        match later.reopen_complaint(&id, "ما زالت المشكلة") {
            Err(Error::Validation { reason, .. }) => assert!(reason.contains("14 days"), "{reason}"),
            other => panic!("expected the 14 days, got {other:?}"),
        }
    }

    // The server's closing 15 days back (the test hook): the server refuses, whatever the phone
    // believes; the core reports the refusal with the server's words.
    backdate_closing(&server, &server_id, 15);
    let (status, body, _) =
        post(&server, &server_id, "reopen", Some(token.as_str()), Some("k3"), &[("reason", "x")]).await;
    assert_eq!(status, 422);
    assert!(description(&body).contains("only within 14 days"), "{body}");
    core.reopen_complaint(&id, "ما زالت المشكلة").unwrap();
    let report = core.flush_complaints().await.unwrap();
    assert_eq!(report.followups_refused.len(), 1);
    assert!(report.followups_refused[0].reason.contains("14 days"), "{:?}", report.followups_refused);
    let c = core.complaint(&id).unwrap();
    assert_eq!(c.reopen.as_ref().map(|r| r.state), Some(FollowUpState::Refused));
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, BaladiyaEvent::ComplaintFollowUpRefused { kind: FollowUpKind::Reopen, .. })));

    // 13 days back it is still within the window: the citizen asks again and it reopens.
    backdate_closing(&server, &server_id, 13);
    assert!(c.can_reopen, "a refused reopening can be asked again");
    core.reopen_complaint(&id, "ما زالت المشكلة").unwrap();
    let report = core.flush_complaints().await.unwrap();
    assert_eq!(report.followups_sent.len(), 1, "{report:?}");
    // Not closed any more: neither can be given.
    let (status, body, _) =
        post(&server, &server_id, "reopen", Some(token.as_str()), Some("k4"), &[("reason", "y")]).await;
    assert_eq!(status, 422);
    assert!(description(&body).contains("not closed"), "{body}");
    let staff = server.staff_request(&server_id).await;
    // Never routed: back to the dispatcher's inbox.
    assert_eq!(
        (staff["status"].as_str(), staff["detailed_status"].as_str()),
        (Some("open"), Some("received"))
    );
}

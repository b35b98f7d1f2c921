//! Complaints end to end: the core's outbox against the real reference server on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, Contact, GeoPoint};
use baladiya_core::{Baladiya, BaladiyaEvent, Error};
use baladiya_tests::{complaints_app, free_addr, http_client, TestServer};

const TIMEOUT: Duration = Duration::from_secs(5);
const AT: GeoPoint = GeoPoint { lat: 31.52, long: 34.45 };

fn draft(code: &str, description: &str, attrs: &[(&str, &str)]) -> ComplaintDraft {
    ComplaintDraft {
        service_code: code.into(),
        description: description.into(),
        attributes: attrs
            .iter()
            .map(|(c, v)| AttributeAnswer { code: (*c).into(), values: vec![(*v).into()] })
            .collect(),
        location: Some(AT),
        address: None,
        contact: Some(Contact {
            first_name: Some("سامي".into()),
            last_name: None,
            phone: Some("٠٥٩٩١٢٣٤٥٦".into()),
            email: None,
        }),
    }
}

fn leak(description: &str) -> ComplaintDraft {
    draft("water-leak", description, &[("severity", "steady")])
}

/// A small real JPEG (a gradient) made in the test.
fn photo() -> Vec<u8> {
    let (w, h) = (640u16, 480u16);
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

async fn with_categories(server: &TestServer, dir: &std::path::Path) -> Baladiya {
    let core = complaints_app(dir, &server.url(), TIMEOUT);
    assert!(core.refresh_complaint_categories().await.unwrap() >= 15);
    core
}

fn recorder(core: &Baladiya) -> Arc<Mutex<Vec<BaladiyaEvent>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| s.lock().unwrap().push(e.clone())));
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn submitted_offline_then_flushed_arrives_exactly_once_with_photos() {
    // Categories cached while online; then the server goes away.
    let addr = free_addr();
    let mut server = TestServer::start_at(addr);
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    server.stop();

    let id = core.submit_complaint(leak("تسرب كبير أمام المدرسة"), &[photo(), photo()]).unwrap();
    assert!(id.starts_with("BL-"));
    let queued = core.complaint(&id).unwrap();
    assert_eq!((queued.state, queued.photo_count), (ComplaintState::Queued, 2));

    let offline = core.flush_complaints().await.unwrap();
    assert!(offline.sent.is_empty());
    assert_eq!(offline.retry_later.as_ref().map(|r| r.local_id.as_str()), Some(id.as_str()));
    assert_eq!(offline.remaining, 1);
    assert_eq!(core.complaint(&id).unwrap().attempts, 1);

    server.restart(addr);
    let flushed = core.flush_complaints().await.unwrap();
    assert_eq!(flushed.sent.len(), 1);
    assert_eq!(flushed.remaining, 0);
    let server_id = flushed.sent[0].server_id.clone().expect("our server returns ids");
    let sent = core.complaint(&id).unwrap();
    assert_eq!(sent.state, ComplaintState::Sent);
    assert_eq!(sent.server_id.as_deref(), Some(server_id.as_str()));

    // A second flush sends nothing more; the server holds exactly one such request.
    assert!(core.flush_complaints().await.unwrap().sent.is_empty());
    let on_server = server.staff_requests("service_code=water-leak").await;
    let ours: Vec<_> = on_server.iter().filter(|r| r["description"] == "تسرب كبير أمام المدرسة").collect();
    assert_eq!(ours.len(), 1, "{on_server:?}");
    // Its photos are there, prepared (JPEG) and fetchable.
    let public: serde_json::Value = http_client()
        .get(format!("{}open311/v2/requests/{server_id}.json", server.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media = public[0]["media_url"].as_str().expect("media_url").to_owned();
    let jpeg = http_client().get(&media).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_complaints_carry_no_personal_field() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    let mut anonymous = leak("بلاغ بدون اسم");
    anonymous.contact = None;
    let id = core.submit_complaint(anonymous, &[]).unwrap();
    let named = core.submit_complaint(leak("بلاغ مع اسم"), &[]).unwrap();
    let r = core.flush_complaints().await.unwrap();
    assert_eq!(r.sent.len(), 2);
    let staff = server.staff_requests("service_code=water-leak").await;
    let id_of = |d: &str| {
        staff.iter().find(|r| r["description"] == d).unwrap()["service_request_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let anon = server.staff_request(&id_of("بلاغ بدون اسم")).await;
    for field in ["first_name", "last_name", "phone", "email", "device_id", "account_id"] {
        let v = &anon["contact"][field];
        assert!(v.is_null(), "anonymous request has {field}: {anon}");
    }
    // The named one has the phone, normalised from Arabic-Indic digits.
    let named_on_server = server.staff_request(&id_of("بلاغ مع اسم")).await;
    assert_eq!(named_on_server["contact"]["phone"], "0599123456");
    assert_eq!(core.complaint(&id).unwrap().draft.contact, None);
    assert!(core.complaint(&named).unwrap().draft.contact.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_changes_reach_the_citizen_once_each() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    let seen = recorder(&core);
    let id = core.submit_complaint(leak("تسرب في شارع الوحدة"), &[]).unwrap();
    let server_id = core.flush_complaints().await.unwrap().sent[0].server_id.clone().unwrap();
    assert!(
        matches!(&seen.lock().unwrap()[..], [BaladiyaEvent::ComplaintSent { local_id, .. }] if *local_id == id)
    );

    // Nothing changed yet: no update events. The municipality's expected date is learnt: the
    // category's service level after filing, in the future, so not overdue.
    core.refresh_complaints().await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), 1);
    let c = core.complaint(&id).unwrap();
    let expected = c.expected_datetime.as_deref().expect("the server gives an expected date");
    let expected = chrono::DateTime::parse_from_rfc3339(expected).unwrap();
    assert!(expected > chrono::Utc::now(), "{expected}");
    assert!(!c.overdue);

    let actions = [
        serde_json::json!({"action": "verify", "note": "تم التحقق من البلاغ"}),
        serde_json::json!({"action": "route", "department_id": "water", "note": "أحيل إلى دائرة المياه"}),
        serde_json::json!({"action": "status", "detailed_status": "in_progress", "note": "الطاقم في الموقع"}),
        serde_json::json!({"action": "reply", "note": "شكراً لبلاغك، نعمل على الإصلاح"}),
        serde_json::json!({"action": "status", "detailed_status": "fixed", "note": "تم إصلاح التسرب"}),
    ];
    for (i, a) in actions.iter().enumerate() {
        server.staff_action(&server_id, a.clone()).await;
        // Refresh after some actions only: several changes between refreshes still give one
        // event each.
        if i % 2 == 1 {
            core.refresh_complaints().await.unwrap();
        }
    }
    let report = core.refresh_complaints().await.unwrap();
    assert_eq!(report.checked, 1);
    let updates: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::ComplaintUpdated { local_id, update, .. } if *local_id == id => {
                Some(update.description.clone())
            }
            _ => None,
        })
        .collect();
    let notes: Vec<String> = actions.iter().map(|a| a["note"].as_str().unwrap().to_owned()).collect();
    assert_eq!(updates, notes, "one event per change, in order");

    let c = core.complaint(&id).unwrap();
    assert_eq!(c.status.as_deref(), Some("closed"));
    assert_eq!(c.detailed_status.as_deref(), Some("fixed"));
    let history: Vec<&str> = c.updates.iter().map(|u| u.description.as_str()).collect();
    assert!(history.ends_with(&notes.iter().map(String::as_str).collect::<Vec<_>>()[..]), "{history:?}");

    // A refresh with nothing new raises nothing.
    let before = seen.lock().unwrap().len();
    core.refresh_complaints().await.unwrap();
    assert_eq!(seen.lock().unwrap().len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_name_the_field() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    let field = |r: Result<String, Error>| match r {
        Err(Error::Validation { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    };
    assert_eq!(field(core.submit_complaint(draft("water-leak", "تسرب", &[]), &[])), "attribute[severity]");
    assert_eq!(
        field(core.submit_complaint(draft("water-leak", "تسرب", &[("severity", "tsunami")]), &[])),
        "attribute[severity]"
    );
    assert_eq!(
        field(
            core.submit_complaint(
                draft("water-leak", "تسرب", &[("colour", "blue"), ("severity", "drip")]),
                &[]
            )
        ),
        "attribute[colour]"
    );
    let mut outside = leak("تسرب");
    outside.location = Some(GeoPoint { lat: 32.08, long: 34.78 });
    assert_eq!(field(core.submit_complaint(outside, &[])), "location");
    let mut nowhere = leak("تسرب");
    nowhere.location = None;
    assert_eq!(field(core.submit_complaint(nowhere.clone(), &[])), "location");
    nowhere.address = Some("شارع عمر المختار، قرب البلدية".into());
    assert!(core.submit_complaint(nowhere, &[]).is_ok(), "an address is enough");
    assert_eq!(field(core.submit_complaint(leak(&"م".repeat(4001)), &[])), "description");
    assert_eq!(field(core.submit_complaint(leak("   "), &[])), "description");
    assert_eq!(field(core.submit_complaint(draft("no-such-category", "x", &[]), &[])), "service_code");
    let mut bad_phone = leak("تسرب");
    bad_phone.contact.as_mut().unwrap().phone = Some("12".into());
    assert_eq!(field(core.submit_complaint(bad_phone, &[])), "contact.phone");
    assert_eq!(field(core.submit_complaint(leak("تسرب"), &[photo(), photo(), photo(), photo()])), "photos");
    assert_eq!(field(core.submit_complaint(leak("تسرب"), &[b"not an image".to_vec()])), "photo");
    assert_eq!(
        field(core.submit_complaint(draft("storm-drain", "مصرف", &[("water_depth_cm", "عشرون")]), &[])),
        "attribute[water_depth_cm]"
    );
    // Digits in any script are numbers; nothing invalid was queued.
    assert!(core
        .submit_complaint(draft("storm-drain", "مصرف مسدود", &[("water_depth_cm", "٢٠")]), &[])
        .is_ok());
    assert_eq!(core.complaints().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_complaint_needs_attention_and_can_be_fixed_or_cancelled() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // No categories cached: the core cannot check attributes, the server refuses.
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    let seen = recorder(&core);
    let bad = core.submit_complaint(draft("water-leak", "بدون تحديد الحجم", &[]), &[]).unwrap();
    let good = core.submit_complaint(leak("بلاغ سليم بعده"), &[]).unwrap();
    let r = core.flush_complaints().await.unwrap();
    assert_eq!(r.needs_attention.len(), 1);
    assert_eq!(r.needs_attention[0].local_id, bad);
    assert!(r.needs_attention[0].reason.contains("severity"), "reason: {}", r.needs_attention[0].reason);
    // The refusal did not hold back the next one.
    assert_eq!(r.sent.iter().map(|s| s.local_id.as_str()).collect::<Vec<_>>(), [good.as_str()]);
    let c = core.complaint(&bad).unwrap();
    assert_eq!(c.state, ComplaintState::NeedsAttention);
    assert!(c.last_error.unwrap().contains("severity"));
    assert!(seen
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, BaladiyaEvent::ComplaintNeedsAttention { local_id, .. } if *local_id == bad)));

    // Fixed by the citizen and sent.
    core.edit_complaint(&bad, draft("water-leak", "بدون تحديد الحجم", &[("severity", "drip")])).unwrap();
    assert_eq!(core.complaint(&bad).unwrap().state, ComplaintState::Queued);
    let r = core.flush_complaints().await.unwrap();
    assert_eq!(r.sent.len(), 1);
    assert_eq!(core.complaint(&bad).unwrap().state, ComplaintState::Sent);

    // A sent complaint cannot be cancelled; a local one can, and is never sent.
    assert!(matches!(core.cancel_complaint(&bad), Err(Error::Validation { .. })));
    let local = core.submit_complaint(leak("سألغيه"), &[]).unwrap();
    core.cancel_complaint(&local).unwrap();
    assert!(core.flush_complaints().await.unwrap().sent.is_empty());
    assert_eq!(core.complaint(&local).unwrap().state, ComplaintState::Cancelled);
    let all = server.staff_requests("service_code=water-leak").await;
    assert!(!all.iter().any(|r| r["description"] == "سألغيه"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outbox_survives_a_restart_of_the_app() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String> = {
        let core = with_categories(&server, dir.path()).await;
        (0..3).map(|i| core.submit_complaint(leak(&format!("قبل الإغلاق {i}")), &[photo()]).unwrap()).collect()
    };
    let core = complaints_app(dir.path(), &server.url(), TIMEOUT);
    assert_eq!(core.complaints().unwrap().iter().filter(|c| c.state == ComplaintState::Queued).count(), 3);
    let r = core.flush_complaints().await.unwrap();
    // Sent in the order they were written.
    assert_eq!(r.sent.iter().map(|s| s.local_id.clone()).collect::<Vec<_>>(), ids);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_may_be_cancelled_until_an_attempt_could_have_reached_the_server() {
    let addr = free_addr();
    let mut server = TestServer::start_at(addr);
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    server.stop();
    // Refused at connect: nothing was delivered, the citizen may still withdraw it.
    let refused = core.submit_complaint(leak("لم يصل"), &[]).unwrap();
    let r = core.flush_complaints().await.unwrap();
    assert!(r.retry_later.as_ref().unwrap().offline);
    core.cancel_complaint(&refused).unwrap();

    // A server that takes the request and never answers: it may have stored it.
    let silent = baladiya_tests::scripted::ScriptedServer::start(baladiya_tests::scripted::Behaviour::Silent);
    let mut config = baladiya_core::Config::new(dir.path(), silent.url());
    config.open311.api_key = Some(baladiya_tests::DEMO_API_KEY.into());
    config.http.request_timeout = Duration::from_millis(300);
    let core = Baladiya::open(config).unwrap();
    let unsure = core.submit_complaint(leak("ربما وصل"), &[]).unwrap();
    let r = core.flush_complaints().await.unwrap();
    let retry = r.retry_later.unwrap();
    assert_eq!((retry.local_id.as_str(), retry.offline), (unsure.as_str(), false));
    assert!(matches!(core.cancel_complaint(&unsure), Err(Error::Validation { .. })));
    assert!(matches!(core.edit_complaint(&unsure, leak("تعديل")), Err(Error::Validation { .. })));
    assert_eq!(core.complaint(&unsure).unwrap().state, ComplaintState::Queued);
}

/// When the citizen switches the app's language, the categories come in it at the next refresh
/// (names and attribute definitions), and the cache keeps the old ones until then.
#[tokio::test(flavor = "multi_thread")]
async fn categories_follow_the_app_language_at_the_next_refresh() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = with_categories(&server, dir.path()).await;
    let name = |core: &Baladiya| {
        core.complaint_categories().unwrap().into_iter().find(|c| c.code == "water-leak").unwrap().name
    };
    assert_eq!(name(&core), "تسرب مياه");

    core.set_complaints_locale("en");
    assert_eq!(name(&core), "تسرب مياه", "the cache changes only when refreshed");
    core.refresh_complaint_categories().await.unwrap();
    assert_eq!(name(&core), "Water leak");
    let severity =
        core.complaint_definition("water-leak").unwrap().into_iter().find(|a| a.code == "severity");
    assert_eq!(severity.unwrap().description, "How bad is the leak?");
}

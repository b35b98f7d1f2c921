//! The core's Open311 client against a GeoReport v2 server that is not ours: strings for
//! booleans, numbers for ids, wrapped arrays, a token instead of an id, no `detailed_status`, no
//! history, no `Idempotency-Key` support, a `jurisdiction_id` and an `api_key` of its own.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft, ComplaintState, GeoPoint};
use baladiya_core::open311::Datatype;
use baladiya_core::{Baladiya, BaladiyaEvent, Config};
use serde_json::{json, Value};

/// A posted request: its form fields, its status and the city's notes.
type Posted = (Vec<(String, String)>, String, Option<String>);

#[derive(Default)]
struct City {
    posted: Vec<Posted>,
    /// Query strings seen, to check jurisdiction and locale.
    queries: Vec<String>,
}

type Shared = Arc<Mutex<City>>;

async fn services(State(city): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Json<Value> {
    city.lock().unwrap().queries.push(format!("{q:?}"));
    Json(json!({"services": [
        {"service_code": 101, "service_name": "Pothole", "description": "", "metadata": "true", "type": "realtime", "keywords": "road, hole", "group": "Streets"},
        {"service_code": 102, "service_name": "Graffiti", "metadata": "false", "type": "realtime", "keywords": "", "group": "Streets"}
    ]}))
}

async fn definition(Path(code): Path<String>) -> Json<Value> {
    assert_eq!(code, "101.json");
    Json(json!({"service_code": 101, "attributes": [
        {"variable": "true", "code": "depth", "datatype": "singlevaluelist", "required": "true", "order": "1",
         "description": "How deep?", "values": [{"key": 1, "name": "shallow"}, {"key": 2, "name": "deep"}]},
        {"variable": "false", "code": "note", "datatype": "text", "required": "false", "order": 2, "description": "Info only"}
    ]}))
}

async fn create(
    State(city): State<Shared>,
    Form(fields): Form<Vec<(String, String)>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.clone());
    if get("api_key").as_deref() != Some("city-key")
        || get("jurisdiction_id").as_deref() != Some("springfield.gov")
    {
        return (axum::http::StatusCode::FORBIDDEN, Json(json!([{"code": 403, "description": "bad key"}])));
    }
    let mut c = city.lock().unwrap();
    c.posted.push((fields.clone(), "Open".into(), None));
    let n = c.posted.len();
    // No id yet: a token to exchange later.
    (axum::http::StatusCode::OK, Json(json!([{"token": format!("tok-{n}")}])))
}

async fn token(Path(t): Path<String>) -> Json<Value> {
    let n: u64 = t.trim_start_matches("tok-").trim_end_matches(".json").parse().unwrap();
    Json(json!([{"service_request_id": 5000 + n, "token": t.trim_end_matches(".json")}]))
}

async fn requests(State(city): State<Shared>, Query(q): Query<Vec<(String, String)>>) -> Json<Value> {
    let c = city.lock().unwrap();
    let ids = q.iter().find(|(k, _)| k == "service_request_id").map(|(_, v)| v.clone()).unwrap_or_default();
    let list: Vec<Value> = ids
        .split(',')
        .filter_map(|id| id.parse::<u64>().ok())
        .filter_map(|id| {
            let (_, status, notes) = c.posted.get((id - 5001) as usize)?;
            Some(json!({"service_request_id": id, "status": status, "status_notes": notes,
                        "service_code": 101, "requested_datetime": "2026-11-27T10:00:00+02:00",
                        "updated_datetime": if status == "Open" { "2026-11-27T10:00:00+02:00" } else { "2026-11-27T12:00:00+02:00" }}))
        })
        .collect();
    Json(json!({"service_requests": {"request": list}}))
}

#[tokio::test(flavor = "multi_thread")]
async fn works_against_another_citys_server() {
    let city: Shared = Arc::default();
    let app = Router::new()
        .route("/georeport/v2/services.json", get(services))
        .route("/georeport/v2/services/{code}", get(definition))
        .route("/georeport/v2/requests.json", post(create).get(requests))
        .route("/georeport/v2/tokens/{token}", get(token))
        .with_state(Arc::clone(&city));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/georeport/v2/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path(), "http://127.0.0.1:9/");
    config.open311.endpoint = url;
    config.open311.api_key = Some("city-key".into());
    config.open311.jurisdiction_id = Some("springfield.gov".into());
    config.open311.locale = "en".into();
    config.http.request_timeout = Duration::from_secs(5);
    // Another city: its own area.
    config.area = baladiya_core::complaints::Area {
        min: GeoPoint { lat: 39.0, long: -90.0 },
        max: GeoPoint { lat: 40.0, long: -89.0 },
    };
    let core = Baladiya::open(config).unwrap();
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| seen.lock().unwrap().push(e.clone())));

    // Numbers as ids, "true" strings as booleans, wrapped arrays.
    assert_eq!(core.refresh_complaint_categories().await.unwrap(), 2);
    let cats = core.complaint_categories().unwrap();
    assert_eq!((cats[0].code.as_str(), cats[0].has_attributes), ("101", true));
    assert_eq!(cats[0].keywords, ["road", "hole"]);
    assert!(!cats[1].has_attributes);
    let def = core.complaint_definition("101").unwrap();
    assert_eq!(def[0].datatype, Datatype::SingleValueList);
    assert!(def[0].required && def[0].variable && !def[1].variable);
    assert_eq!(def[0].values[1].key, "2");
    // The jurisdiction goes with every request; `locale` is not in the spec, so another city's
    // server is not sent it (it answers in its own language).
    assert!(city
        .lock()
        .unwrap()
        .queries
        .iter()
        .all(|q| q.contains("springfield.gov") && !q.contains("locale")));

    let draft = ComplaintDraft {
        service_code: "101".into(),
        description: "Deep pothole on Evergreen Terrace".into(),
        attributes: vec![AttributeAnswer { code: "depth".into(), values: vec!["2".into()] }],
        location: Some(GeoPoint { lat: 39.78, long: -89.65 }),
        address: None,
        contact: None,
    };
    let id = core.submit_complaint(draft, &[]).unwrap();
    let r = core.flush_complaints().await.unwrap();
    assert_eq!((r.sent[0].server_id.as_deref(), r.sent[0].token.as_deref()), (None, Some("tok-1")));
    {
        let c = city.lock().unwrap();
        let fields = &c.posted[0].0;
        assert!(fields.contains(&("attribute[depth]".into(), "2".into())));
        // Anonymous: nothing personal went out.
        assert!(!fields
            .iter()
            .any(|(k, _)| ["first_name", "last_name", "phone", "email"].contains(&k.as_str())));
        // Nothing beyond the spec either (our own server names the channel itself).
        assert!(!fields.iter().any(|(k, _)| k == "source"), "{fields:?}");
    }

    // The token becomes an id; a status change without history becomes one update and one event.
    core.refresh_complaints().await.unwrap();
    let c = core.complaint(&id).unwrap();
    assert_eq!(c.server_id.as_deref(), Some("5001"));
    assert_eq!(c.status.as_deref(), Some("open"));
    city.lock().unwrap().posted[0].1 = "Closed".into();
    city.lock().unwrap().posted[0].2 = Some("Filled with asphalt".into());
    let report = core.refresh_complaints().await.unwrap();
    assert_eq!(report.new_updates, 1);
    let c = core.complaint(&id).unwrap();
    assert_eq!(
        (c.state, c.status.as_deref(), c.status_notes.as_deref()),
        (ComplaintState::Sent, Some("closed"), Some("Filled with asphalt"))
    );
    assert_eq!(c.updates.last().unwrap().description, "Filled with asphalt");
    let updated =
        events.lock().unwrap().iter().filter(|e| matches!(e, BaladiyaEvent::ComplaintUpdated { .. })).count();
    assert_eq!(updated, 1, "the first look found nothing new; the change is one event");
    // Asking again changes nothing.
    assert_eq!(core.refresh_complaints().await.unwrap().new_updates, 0);
}

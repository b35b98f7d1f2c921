//! The core against a strict GeoReport v2 server (issue 10, point 12): one that refuses with 400
//! every query parameter or form field the spec does not define, as widely deployed
//! implementations do. Before the fix `services.json?locale=…` was refused (no categories), the
//! POST's `source` was refused (every complaint went to "needs attention") and
//! `requests.json?updated_after=…` was refused (no refresh).
//!
//! Another city's server gets the plain spec; the municipality's own server (the Open311 endpoint
//! under the municipal API's URL) gets our extensions, and one that refuses an extension by name
//! is asked again without it, once, and never sent it again, also after a restart.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use baladiya_core::complaints::{Area, AttributeAnswer, ComplaintDraft, ComplaintState, Contact, GeoPoint};
use baladiya_core::open311::Datatype;
use baladiya_core::{Baladiya, BaladiyaEvent, Config};
use baladiya_tests::strict_georeport::{Exchange, StrictCity, API_KEY, JURISDICTION};

const SPRINGFIELD: Area =
    Area { min: GeoPoint { lat: 39.0, long: -90.0 }, max: GeoPoint { lat: 40.0, long: -89.0 } };

/// Query parameters and form fields GeoReport v2 defines (`attribute[…]` apart).
const SPEC: &[&str] = &[
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "api_key",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
];

fn config(dir: &std::path::Path, server_url: &str) -> Config {
    let mut config = Config::new(dir, server_url);
    config.open311.api_key = Some(API_KEY.into());
    config.open311.jurisdiction_id = Some(JURISDICTION.into());
    config.open311.locale = "en".into();
    config.http.connect_timeout = Duration::from_secs(5);
    config.http.request_timeout = Duration::from_secs(5);
    config.http.inactivity_timeout = Duration::from_secs(5);
    config.area = SPRINGFIELD;
    config
}

/// The app of a citizen of Gaza pointed at another city's server: the municipal API elsewhere.
fn app(dir: &std::path::Path, city: &StrictCity) -> Baladiya {
    let mut config = config(dir, "http://127.0.0.1:9/");
    config.open311.endpoint = city.endpoint.clone();
    Baladiya::open(config).expect("core opens")
}

fn pothole(description: &str) -> ComplaintDraft {
    ComplaintDraft {
        service_code: "101".into(),
        description: description.into(),
        attributes: vec![
            AttributeAnswer { code: "depth".into(), values: vec!["deep".into()] },
            AttributeAnswer { code: "lanes".into(), values: vec!["north".into(), "south".into()] },
        ],
        location: Some(GeoPoint { lat: 39.78, long: -89.65 }),
        address: None,
        contact: None,
    }
}

/// Every field a request carried beyond the spec, with the request.
fn beyond_the_spec(log: &[Exchange]) -> Vec<(String, String)> {
    log.iter()
        .flat_map(|e| {
            e.fields
                .iter()
                .filter(|f| !SPEC.contains(&f.as_str()) && !f.starts_with("attribute[") && *f != "media")
                .map(move |f| (e.path.clone(), f.clone()))
        })
        .collect()
}

fn assert_nothing_refused(city: &StrictCity) {
    let c = city.city();
    assert!(c.refused().is_empty(), "the strict server refused: {:#?}", c.refused());
    assert!(beyond_the_spec(&c.log).is_empty(), "sent beyond the spec: {:?}", beyond_the_spec(&c.log));
}

#[tokio::test(flavor = "multi_thread")]
async fn categories_and_their_definitions_come_from_a_strict_server() {
    let city = StrictCity::start("/georeport/v2/").await;
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &city);

    assert_eq!(core.refresh_complaint_categories().await.unwrap(), 2);
    let cats = core.complaint_categories().unwrap();
    assert_eq!(
        cats.iter().map(|c| (c.code.as_str(), c.name.as_str(), c.has_attributes)).collect::<Vec<_>>(),
        [("101", "Pothole", true), ("102", "Graffiti", false)]
    );
    // No service level from another city's server (the extension `expected_hours` is ours): the
    // form says nothing about the time rather than a guess.
    assert!(cats.iter().all(|c| c.expected_hours.is_none()), "{cats:?}");
    let def = core.complaint_definition("101").unwrap();
    assert_eq!(
        def.iter().map(|a| (a.code.as_str(), a.datatype, a.required, a.variable)).collect::<Vec<_>>(),
        [
            ("depth", Datatype::SingleValueList, true, true),
            ("lanes", Datatype::MultiValueList, false, true),
            ("note", Datatype::Text, false, false)
        ]
    );
    assert_nothing_refused(&city);
    {
        let c = city.city();
        let paths: Vec<&str> = c.log.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, [city.path("services.json"), city.path("services/101.json")]);
        // The jurisdiction (a spec field) still goes with every request.
        assert!(c.log.iter().all(|e| e.fields == ["jurisdiction_id"]), "{:?}", c.log);
    }

    // A refusal of what the spec does define is not retried, and keeps the server's words.
    let other = tempfile::tempdir().unwrap();
    let mut config = config(other.path(), "http://127.0.0.1:9/");
    config.open311.endpoint = city.endpoint.clone();
    config.open311.jurisdiction_id = Some("shelbyville.gov".into());
    let wrong = Baladiya::open(config).unwrap();
    let err = wrong.refresh_complaint_categories().await.unwrap_err();
    assert!(err.to_string().contains("jurisdiction_id: not a jurisdiction of this server"), "{err}");
    assert_eq!(city.city().log.len(), 3, "asked once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_is_filed_sent_listed_and_followed_on_a_strict_server() {
    let city = StrictCity::start("/georeport/v2/").await;
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &city);
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    core.subscribe(Arc::new(move |e: &BaladiyaEvent| seen.lock().unwrap().push(e.clone())));
    core.refresh_complaint_categories().await.unwrap();

    let mut named = pothole("A deep pothole on Evergreen Terrace");
    named.contact = Some(Contact {
        first_name: Some("Marge".into()),
        last_name: None,
        phone: None,
        email: Some("marge@example.org".into()),
    });
    let first = core.submit_complaint(named, &[]).unwrap();
    let mut graffiti = pothole("Graffiti on the school wall");
    graffiti.service_code = "102".into();
    graffiti.attributes.clear();
    graffiti.location = None;
    graffiti.address = Some("742 Evergreen Terrace".into());
    let second = core.submit_complaint(graffiti, &[]).unwrap();

    let report = core.flush_complaints().await.unwrap();
    assert!(report.needs_attention.is_empty(), "{report:?}");
    assert_eq!(
        report.sent.iter().map(|s| (s.local_id.as_str(), s.server_id.as_deref())).collect::<Vec<_>>(),
        [(first.as_str(), Some("7001")), (second.as_str(), Some("7002"))]
    );
    {
        let c = city.city();
        let r = &c.requests[0];
        assert_eq!(
            (r.field("service_code"), r.field("attribute[depth]"), r.field("email"), r.field("first_name")),
            (Some("101"), Some("deep"), Some("marge@example.org"), Some("Marge"))
        );
        let lanes: Vec<&str> =
            r.fields.iter().filter(|(k, _)| k == "attribute[lanes][]").map(|(_, v)| v.as_str()).collect();
        assert_eq!(lanes, ["north", "south"]);
        assert_eq!(c.requests[1].field("address_string"), Some("742 Evergreen Terrace"));
        assert!(c.requests.iter().all(|r| r.media.is_empty()));
    }

    // The list shows both sent, in the order written.
    let list = core.complaints().unwrap();
    let mut states: Vec<(String, ComplaintState, Option<String>)> =
        list.iter().map(|c| (c.local_id.clone(), c.state, c.server_id.clone())).collect();
    states.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        states,
        [
            (first.clone(), ComplaintState::Sent, Some("7001".into())),
            (second.clone(), ComplaintState::Sent, Some("7002".into()))
        ]
    );

    // Followed by the spec's id list: both open, nothing new to tell.
    let report = core.refresh_complaints().await.unwrap();
    assert_eq!((report.checked, report.new_updates), (2, 0), "{report:?}");
    assert_eq!(core.complaint(&first).unwrap().status.as_deref(), Some("open"));

    // The city closes the first one; the phone learns it at the next refresh, once.
    city.set_status(7001, "closed", Some("Filled with asphalt"));
    let report = core.refresh_complaints().await.unwrap();
    assert_eq!((report.changed, report.new_updates), (1, 1), "{report:?}");
    let c = core.complaint(&first).unwrap();
    assert_eq!(
        (c.state, c.status.as_deref(), c.status_notes.as_deref()),
        (ComplaintState::Sent, Some("closed"), Some("Filled with asphalt"))
    );
    assert_eq!(c.updates.last().map(|u| u.description.as_str()), Some("Filled with asphalt"));
    assert_eq!(core.complaint(&second).unwrap().status.as_deref(), Some("open"));
    let updated: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            BaladiyaEvent::ComplaintUpdated { local_id, .. } => Some(local_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(updated, std::slice::from_ref(&first));
    assert_eq!(core.refresh_complaints().await.unwrap().new_updates, 0);

    assert_nothing_refused(&city);
    let c = city.city();
    let refreshes: Vec<&Exchange> =
        c.log.iter().filter(|e| e.method == "GET" && e.path == city.path("requests.json")).collect();
    assert_eq!(refreshes.len(), 3);
    assert!(refreshes.iter().all(|e| e.fields == ["jurisdiction_id", "service_request_id"]), "{refreshes:?}");
}

/// A real JPEG of noise, `w`×`h`, from `seed`.
fn noisy_photo(w: u16, h: u16, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let rgb: Vec<u8> = (0..w as usize * h as usize * 3).map(|_| rng.u8(..)).collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85).encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_complaint_with_photos_arrives_in_one_multipart_post_on_a_strict_server() {
    let city = StrictCity::start("/georeport/v2/").await;
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &city);
    // Filed before the categories were ever fetched (the app installed offline): the server has
    // the last word on the answers.
    let mut d = pothole("Pothole, two photos");
    d.attributes.truncate(1);
    let local_id = core.submit_complaint(d, &[noisy_photo(320, 240, 1), noisy_photo(200, 150, 2)]).unwrap();
    let prepared: Vec<Vec<u8>> = core
        .store()
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT jpeg FROM complaint_photos WHERE local_id = ?1 ORDER BY position")?;
            let rows = stmt.query_map([&local_id], |r| r.get(0))?.collect::<Result<Vec<Vec<u8>>, _>>()?;
            Ok(rows)
        })
        .unwrap();

    let report = core.flush_complaints().await.unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let c = core.complaint(&local_id).unwrap();
    assert_eq!((c.state, c.photos_uploaded, c.photos_refused), (ComplaintState::Sent, 2, 0));
    let city_log = city.city().log.clone();
    let posts: Vec<&Exchange> = city_log.iter().filter(|e| e.method == "POST").collect();
    assert_eq!(posts.len(), 1, "one POST: {city_log:#?}");
    assert_eq!(posts[0].fields.iter().filter(|f| *f == "media").count(), 2);
    assert_eq!(city.city().requests[0].media, prepared, "the photos as prepared, in order");
    assert_eq!(report.photos_remaining, 0);
    // The only refusal is the strict server not knowing our resumable uploads (asked once).
    let refused: Vec<(String, String, u16)> = city_log
        .iter()
        .filter(|e| e.status >= 400)
        .map(|e| (e.method.clone(), e.path.clone(), e.status))
        .collect();
    assert_eq!(refused, [("OPTIONS".to_owned(), city.path("uploads"), 405)]);
    assert!(beyond_the_spec(&city_log).is_empty(), "{:?}", beyond_the_spec(&city_log));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_own_server_refusing_an_extension_is_asked_again_without_it_and_that_is_remembered() {
    // A strict server where the municipality's own would be: the endpoint under the municipal
    // API's URL, so the core sends it our extensions (`locale`, `include`, `updated_after`).
    let city = StrictCity::start("/open311/v2/").await;
    let dir = tempfile::tempdir().unwrap();
    let open = || Baladiya::open(config(dir.path(), &city.root)).expect("core opens");
    let core = open();

    assert_eq!(core.refresh_complaint_categories().await.unwrap(), 2);
    let id = core.submit_complaint(pothole("Pothole by the plant"), &[]).unwrap();
    assert_eq!(core.flush_complaints().await.unwrap().sent.len(), 1);
    core.refresh_complaints().await.unwrap();
    city.set_status(7001, "closed", Some("Done"));
    let report = core.refresh_complaints().await.unwrap();
    assert_eq!(report.new_updates, 1, "{report:?}");
    assert_eq!(core.complaint(&id).unwrap().status.as_deref(), Some("closed"));
    {
        let c = city.city();
        let log: Vec<(&str, Vec<&str>, u16)> = c
            .log
            .iter()
            .map(|e| (e.path.as_str(), e.fields.iter().map(String::as_str).collect(), e.status))
            .collect();
        let (services, definition, requests) =
            (city.path("services.json"), city.path("services/101.json"), city.path("requests.json"));
        assert_eq!(
            log,
            [
                // Refused by name: asked again at once without it, and never sent again.
                (services.as_str(), vec!["locale", "jurisdiction_id", "include"], 400),
                (services.as_str(), vec!["jurisdiction_id"], 200),
                (definition.as_str(), vec!["jurisdiction_id"], 200),
                (requests.as_str(), POST_FIELDS.to_vec(), 200),
                // The first refresh knows no update time yet: no updated_after.
                (requests.as_str(), vec!["jurisdiction_id", "service_request_id"], 200),
                (requests.as_str(), vec!["jurisdiction_id", "service_request_id", "updated_after"], 400),
                (requests.as_str(), vec!["jurisdiction_id", "service_request_id"], 200),
            ]
        );
    }

    // A restarted app remembers (the store keeps it): no refused round trip again.
    drop(core);
    let before = city.city().log.len();
    let core = open();
    core.set_complaints_locale("ar");
    core.refresh_complaint_categories().await.unwrap();
    core.refresh_complaints().await.unwrap();
    let c = city.city();
    let after: Vec<&Exchange> = c.log[before..].iter().collect();
    assert_eq!(after.len(), 3, "{after:#?}");
    assert!(after.iter().all(|e| e.status == 200), "{after:#?}");
    assert!(beyond_the_spec(&c.log[before..]).is_empty(), "{after:#?}");
}

/// The POST of `pothole(…)` with api_key and jurisdiction, in the order the core sends them.
const POST_FIELDS: &[&str] = &[
    "api_key",
    "jurisdiction_id",
    "service_code",
    "description",
    "lat",
    "long",
    "attribute[depth]",
    "attribute[lanes][]",
    "attribute[lanes][]",
];

/// The stand-in itself (not the client, so this one passes before the fix too): it refuses what
/// the spec does not define and malformed values with 400 and an Open311 error list, and answers
/// in the spec's shapes (the repository's draft-4 schemas of GeoReport v2).
#[tokio::test(flavor = "multi_thread")]
async fn the_stand_in_refuses_what_the_spec_does_not_define_and_answers_in_its_shapes() {
    let city = StrictCity::start("/georeport/v2/").await;
    let http = baladiya_tests::http_client();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("open311-schema");
    let schema = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .with_base_uri(format!("file://{}/", dir.display()))
            .build(&schema)
            .unwrap()
    };
    let get = |q: &str| {
        let http = http.clone();
        let url = format!("{}{q}", city.endpoint);
        async move {
            let resp = http.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let post = |form: Vec<(&'static str, &'static str)>| {
        let http = http.clone();
        let url = format!("{}requests.json", city.endpoint);
        async move {
            let resp = http.post(url).form(&form).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<serde_json::Value>().await.unwrap())
        }
    };
    let errors = schema("errors.json");
    let refused = |(status, body): (u16, serde_json::Value), naming: &str| {
        assert_eq!(status, 400, "{naming}: {body}");
        assert!(errors.is_valid(&body), "{body}");
        assert!(body.to_string().contains(naming), "{naming}: {body}");
    };

    // Fields beyond the spec, and malformed values.
    refused(get("services.json?locale=en").await, "found unexpected entries: locale");
    refused(get("services/101.json?locale=en").await, "locale");
    refused(
        get("requests.json?service_request_id=7001&updated_after=2026-11-30T00:00:00Z").await,
        "updated_after",
    );
    refused(get("requests.json?page=1&page_size=50").await, "page, page_size");
    refused(get("requests.json?start_date=yesterday").await, "start_date");
    refused(get("requests.json?status=pending").await, "status");
    refused(get("requests.json?service_request_id=7001,abc").await, "service_request_id");
    refused(get("requests.json?status=open&status=closed").await, "more than once");
    refused(get("services.json?jurisdiction_id=elsewhere.gov").await, "jurisdiction_id");
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut f = vec![
            ("api_key", API_KEY),
            ("service_code", "101"),
            ("lat", "39.78"),
            ("long", "-89.65"),
            ("attribute[depth]", "deep"),
        ];
        f.extend_from_slice(extra);
        f
    };
    refused(post(form(&[("source", "app")])).await, "found unexpected entries: source");
    refused(
        post(vec![
            ("api_key", API_KEY),
            ("service_code", "101"),
            ("lat", "91"),
            ("long", "0"),
            ("attribute[depth]", "deep"),
        ])
        .await,
        "lat",
    );
    refused(post(form(&[("attribute[colour]", "red")])).await, "attribute[colour]");
    refused(post(form(&[("attribute[lanes]", "north")])).await, "attribute[lanes]");
    refused(
        post(vec![
            ("api_key", API_KEY),
            ("service_code", "101"),
            ("address_string", "x"),
            ("attribute[depth]", "bottomless"),
        ])
        .await,
        "bottomless",
    );
    refused(
        post(vec![("api_key", API_KEY), ("service_code", "101"), ("address_string", "x")]).await,
        "attribute[depth]: required",
    );
    assert!(city.city().requests.is_empty());

    // The spec's shapes.
    let (status, services) = get("services.json?jurisdiction_id=springfield.gov").await;
    assert_eq!(status, 200);
    assert!(schema("services.json").is_valid(&services), "{services}");
    let (_, definition) = get("services/101.json").await;
    assert!(schema("service-definition.json").is_valid(&definition), "{definition}");
    let (status, created) =
        post(form(&[("attribute[lanes][]", "north"), ("attribute[lanes][]", "south")])).await;
    assert_eq!(status, 200, "{created}");
    assert!(schema("post-response.json").is_valid(&created), "{created}");
    city.set_status(7001, "closed", Some("Filled"));
    for q in [
        "requests.json?service_request_id=7001",
        "requests.json?status=closed&start_date=2026-11-30T00:00:00Z",
        "requests/7001.json",
    ] {
        let (status, list) = get(q).await;
        assert_eq!(status, 200);
        assert!(schema("requests.json").is_valid(&list), "{q}: {list}");
        assert_eq!(list[0]["status"], "closed", "{q}: {list}");
    }
    let (_, none) = get("requests.json?status=open").await;
    assert_eq!(none, serde_json::json!([]));
}

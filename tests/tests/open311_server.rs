//! The Open311 server and the staff workflow against the real server on loopback: form and
//! multipart POSTs with photos, validation errors that name the field, api_key, Idempotency-Key
//! (replay, 422, 409 while in flight), GET filters, paging and `updated_after`, staff actions
//! and roles, and complaints entered from other channels.

use std::time::Duration;

use baladiya_server::open311::DEMO_API_KEY;
use baladiya_tests::{http_client, TestServer};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const DISPATCHER: &str = baladiya_tests::STAFF_TOKEN;
const WATER: &str = "demo-dept-water";
const ROADS: &str = "demo-dept-roads";

/// The reference server (baladiya_tests::TestServer) and a client for raw requests.
struct Server {
    inner: TestServer,
    http: reqwest::Client,
}

impl Server {
    fn start() -> Self {
        Server { inner: TestServer::start(), http: http_client() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.url())
    }

    async fn post_form(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self.http.post(self.url("open311/v2/requests.json")).form(form).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// POST a valid form, returning the new id.
    async fn create(&self, form: &[(&str, &str)]) -> String {
        let (status, body) = self.post_form(form).await;
        assert_eq!(status, 200, "{body}");
        body[0]["service_request_id"].as_str().unwrap().to_owned()
    }

    async fn get_json(&self, path: &str) -> Value {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
        resp.json().await.unwrap()
    }

    async fn public(&self, id: &str) -> Value {
        self.get_json(&format!("open311/v2/requests/{id}.json")).await[0].clone()
    }

    async fn ids(&self, query: &str) -> Vec<String> {
        let list = self.get_json(&format!("open311/v2/requests.json?{query}")).await;
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn staff_get(&self, token: &str, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn act(&self, token: &str, id: &str, action: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(self.url(&format!("api/v1/staff/requests/{id}/actions")))
            .bearer_auth(token)
            .json(&action)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn staff_total(&self) -> i64 {
        let (status, list) = self.staff_get(DISPATCHER, "api/v1/staff/requests").await;
        assert_eq!(status, 200);
        list["total"].as_i64().unwrap()
    }
}

fn leak<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("api_key", DEMO_API_KEY),
        ("service_code", "water-leak"),
        ("lat", "31.5168"),
        ("long", "34.4485"),
        ("attribute[severity]", "steady"),
        ("description", "تسرب مياه أمام مدرسة الرمال"),
    ];
    for (k, v) in extra {
        form.retain(|(n, _)| n != k);
        form.push((k, v));
    }
    form
}

/// A real JPEG of noise, about `n` bytes or more (the server decodes every photo).
fn jpeg(n: usize, seed: u8) -> Vec<u8> {
    let side = ((n as f64 / 2.0).sqrt() as u16).max(8);
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    let rgb: Vec<u8> = (0..usize::from(side) * usize::from(side) * 3)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(&rgb, side, side, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A JPEG signature and then anything: what a photo check by first bytes alone would take.
fn fake_jpeg(n: usize) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
    b.extend((0..n).map(|i| (i as u8).wrapping_mul(31)));
    b
}

/// A real grey PNG of about `n` pixels.
fn png(n: usize) -> Vec<u8> {
    let side = ((n as f64).sqrt() as u32).max(1);
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, side, side);
    e.set_color(png::ColorType::Grayscale);
    let mut w = e.write_header().unwrap();
    w.write_image_data(&(0..side * side).map(|i| (i % 251) as u8).collect::<Vec<_>>()).unwrap();
    w.finish().unwrap();
    out
}

/// A PNG whose header declares `width`×`height` and holds no image data.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { 0xEDB8_8320 ^ (crc >> 1) } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

fn text_parts(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |f, (k, v)| f.text(k.to_string(), v.to_string()))
}

fn photo(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap()
}

#[track_caller]
fn assert_errors(body: &Value, wanted: &[&str]) {
    let got: Vec<&str> =
        body.as_array().unwrap().iter().map(|e| e["description"].as_str().unwrap()).collect();
    for w in wanted {
        assert!(got.iter().any(|g| g.starts_with(w)), "no error starting {w:?} in {got:?}");
    }
    assert!(body.as_array().unwrap().iter().all(|e| e["code"] == 400));
}

#[tokio::test(flavor = "multi_thread")]
async fn form_post_creates_a_request_with_its_first_history_entry() {
    let s = Server::start();
    let (status, created) = s
        .post_form(&leak(&[
            ("email", "huda@example.ps"),
            ("first_name", "هدى"),
            ("last_name", "الشوا"),
            ("phone", "٠٥٩٩١٢٣٤٥٦"),
            ("device_id", "device-1"),
            ("attribute[leak_point]", "main"),
            ("attribute[meter_number]", "M-5521"),
            ("attribute[no_such_attribute]", "ignored"),
        ]))
        .await;
    assert_eq!(status, 200, "{created}");
    let c = &created[0];
    let id = c["service_request_id"].as_str().unwrap();
    assert!(c["service_notice"].as_str().unwrap().contains("يوم"), "{c}");
    let token = c["token"].as_str().unwrap();

    let r = s.public(id).await;
    assert_eq!(r["service_code"], "water-leak");
    assert_eq!(r["service_name"], "تسرب مياه");
    assert_eq!((r["status"].as_str(), r["detailed_status"].as_str()), (Some("open"), Some("received")));
    assert_eq!(r["source"], "app");
    assert_eq!(r["agency_responsible"], "دائرة المياه والصرف الصحي");
    assert_eq!(r["requested_datetime"], r["updated_datetime"]);
    // expected = requested + the category's 24 hours.
    let t = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(t(&r["expected_datetime"]) - t(&r["requested_datetime"]), chrono::Duration::hours(24));
    let history = r["servicerequestupdates"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["detailed_status"], "received");
    assert_eq!(history[0]["updated_datetime"], r["requested_datetime"]);
    let en = s.get_json(&format!("open311/v2/requests/{id}.json?locale=en")).await;
    assert_eq!(en[0]["service_name"], "Water leak");

    // Personal data stays with staff.
    let raw = s.http.get(s.url("open311/v2/requests.json")).send().await.unwrap().text().await.unwrap();
    for secret in ["huda@example.ps", "هدى", "الشوا", "0599123456", "device-1", "M-5521"] {
        assert!(!raw.contains(secret), "public list shows {secret}");
    }
    let (status, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(staff["contact"]["email"], "huda@example.ps");
    assert_eq!(staff["contact"]["phone"], "0599123456", "Arabic-Indic digits normalised");
    assert_eq!(
        staff["attributes"],
        json!({"severity": "steady", "leak_point": "main", "meter_number": "M-5521"})
    );
    assert_eq!(staff["suggested_department_id"], "water");
    assert_eq!(staff["department_id"], Value::Null);

    let tokens = s.get_json(&format!("open311/v2/tokens/{token}.json")).await;
    assert_eq!(tokens, json!([{"service_request_id": id, "token": token}]));

    // Coordinates typed with Arabic-Indic digits, and an address alone, are accepted too.
    s.create(&leak(&[("lat", "٣١٫٥٢"), ("long", "٣٤٫٤٥")])).await;
    let no_point: Vec<_> = leak(&[("address_string", "حي الزيتون، شارع صلاح الدين")])
        .into_iter()
        .filter(|(k, _)| !k.starts_with('l'))
        .collect();
    s.create(&no_point).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_post_with_photos_serves_them_back() {
    let s = Server::start();
    let (a, b) = (jpeg(300_000, 1), png(5_000));
    assert!(a.len() > 100_000);
    let form = text_parts(&leak(&[("attribute[severity]", "burst")]))
        .part("media", photo(a.clone(), "a.jpg", "image/jpeg"))
        .part("media", photo(b.clone(), "b.png", "image/png"));
    let resp = s.http.post(s.url("open311/v2/requests.json")).multipart(form).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    let id = created[0]["service_request_id"].as_str().unwrap();

    let r = s.public(id).await;
    let media_url = r["media_url"].as_str().unwrap();
    assert!(media_url.starts_with(&s.url("open311/v2/media/")), "{media_url}");
    let resp = s.http.get(media_url).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), a.as_slice());

    let (_, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
    let urls = staff["media_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 2);
    let resp = s.http.get(urls[1].as_str().unwrap()).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b.as_slice());
    assert_eq!(
        s.http.get(s.url("open311/v2/media/0123456789abcdef0123456789abcdef")).send().await.unwrap().status(),
        404
    );

    // Refused: a photo that is not JPEG or PNG, one over 2 MB, a fourth photo. Nothing is stored.
    let before = s.staff_total().await;
    let cases: Vec<(Form, &str)> = vec![
        (
            text_parts(&leak(&[])).part("media", photo(b"GIF89a....".to_vec(), "c.gif", "image/jpeg")),
            "media: only JPEG",
        ),
        (
            text_parts(&leak(&[])).part("media", photo(fake_jpeg(2 * 1024 * 1024), "big.jpg", "image/jpeg")),
            "media: a photo is larger",
        ),
        (
            (0..4).fold(text_parts(&leak(&[])), |f, i| {
                f.part("media", photo(jpeg(1000, i), "p.jpg", "image/jpeg"))
            }),
            "media: at most 3",
        ),
    ];
    for (form, wanted) in cases {
        let resp = s.http.post(s.url("open311/v2/requests.json")).multipart(form).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{wanted}");
        assert_errors(&resp.json().await.unwrap(), &[wanted]);
    }
    assert_eq!(s.staff_total().await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_errors_name_the_field() {
    let s = Server::start();
    let long = "ك".repeat(4001);
    let pole = "9".repeat(256);
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            leak(&[]).into_iter().filter(|(k, _)| *k != "attribute[severity]").collect(),
            vec!["attribute[severity]: required"],
        ),
        (
            leak(&[("attribute[severity]", "catastrophic")]),
            vec!["attribute[severity]: not one of the allowed values"],
        ),
        (leak(&[("lat", "31.20"), ("long", "34.20")]), vec!["lat: outside", "long: outside"]),
        (leak(&[("lat", "32.0")]), vec!["lat: outside"]),
        (leak(&[("description", long.as_str())]), vec!["description: longer than 4000"]),
        (leak(&[("lat", "north")]), vec!["lat: not a number"]),
        (leak(&[("email", "not-an-email")]), vec!["email:"]),
        (leak(&[("service_code", "no-such-service")]), vec!["service_code:"]),
        (
            leak(&[]).into_iter().filter(|(k, _)| *k != "lat" && *k != "long").collect(),
            vec!["lat/long or address_string"],
        ),
        (
            vec![
                ("api_key", DEMO_API_KEY),
                ("service_code", "noise"),
                ("address_string", "تل الهوى"),
                ("attribute[noise_source]", "generator"),
                ("attribute[occurred_at]", "last night"),
            ],
            vec!["attribute[occurred_at]: not a date and time"],
        ),
        (
            vec![
                ("api_key", DEMO_API_KEY),
                ("service_code", "illegal-dumping"),
                ("address_string", "الشجاعية"),
                ("attribute[waste_types][]", "rubble"),
                ("attribute[waste_types][]", "uranium"),
                ("attribute[volume_m3]", "a lot"),
            ],
            vec![
                "attribute[waste_types]: not one of the allowed values",
                "attribute[volume_m3]: not a number",
            ],
        ),
        (
            vec![
                ("api_key", DEMO_API_KEY),
                ("service_code", "streetlight"),
                ("address_string", "النصر"),
                ("attribute[pole_number]", pole.as_str()),
                ("attribute[problem]", "off"),
                ("attribute[problem]", "flickering"),
            ],
            vec!["attribute[pole_number]: longer than 255", "attribute[problem]: takes one value"],
        ),
    ];
    for (form, wanted) in cases {
        let (status, body) = s.post_form(&form).await;
        assert_eq!(status, 400, "{wanted:?}: {body}");
        assert_errors(&body, &wanted);
    }
    assert_eq!(s.staff_total().await, 0, "no invalid request was stored");

    // Every datatype accepted when right, including multivaluelist in both forms and a number
    // typed in Arabic-Indic digits.
    s.create(&[
        ("api_key", DEMO_API_KEY),
        ("service_code", "illegal-dumping"),
        ("address_string", "الشجاعية"),
        ("attribute[waste_types][]", "rubble"),
        ("attribute[waste_types][]", "tyres"),
        ("attribute[volume_m3]", "١٢٫٥"),
    ])
    .await;
    s.create(&[
        ("api_key", DEMO_API_KEY),
        ("service_code", "noise"),
        ("address_string", "تل الهوى"),
        ("attribute[noise_source]", "generator"),
        ("attribute[occurred_at]", "2026-11-20T23:30:00+02:00"),
        ("attribute[recurring]", "daily"),
    ])
    .await;
    let id = s
        .create(&[
            ("api_key", DEMO_API_KEY),
            ("service_code", "park-damage"),
            ("address_string", "حديقة الجندي المجهول"),
            ("attribute[park_name]", "الجندي المجهول"),
            ("attribute[problems]", "lights"),
            ("attribute[problems]", "benches"),
        ])
        .await;
    let (_, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
    assert_eq!(staff["attributes"]["problems"], json!(["lights", "benches"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_key_is_required_to_post() {
    let s = Server::start();
    let no_key: Vec<_> = leak(&[]).into_iter().filter(|(k, _)| *k != "api_key").collect();
    let (status, body) = s.post_form(&no_key).await;
    assert_eq!(status, 403);
    assert_eq!(body[0]["code"], 403);
    assert!(body[0]["description"].as_str().unwrap().starts_with("api_key"));
    let (status, _) = s.post_form(&leak(&[("api_key", "demo-app-key-2")])).await;
    assert_eq!(status, 403);
    // In the query string, as some clients send it, it counts.
    let resp = s
        .http
        .post(s.url(&format!("open311/v2/requests.json?api_key={DEMO_API_KEY}")))
        .form(&no_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.staff_total().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_replays_and_refuses_another_body() {
    let s = Server::start();
    let post = |key: &str, form: Vec<(&'static str, &'static str)>| {
        s.http.post(s.url("open311/v2/requests.json")).header("Idempotency-Key", key).form(&form).send()
    };
    let first = post("\"key-1\"", leak(&[])).await.unwrap();
    assert_eq!(first.status(), 200);
    let first_body = first.text().await.unwrap();

    // Same key, same body (fields in another order): the same answer, no second request.
    let mut reordered = leak(&[]);
    reordered.reverse();
    let again = post("key-1", reordered).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.text().await.unwrap(), first_body);
    assert_eq!(s.staff_total().await, 1);

    // Same key, another body: 422.
    let other = post("key-1", leak(&[("attribute[severity]", "burst")])).await.unwrap();
    assert_eq!(other.status(), 422);
    let body: Value = other.json().await.unwrap();
    assert_eq!(body[0]["code"], 422);
    assert!(body[0]["description"].as_str().unwrap().starts_with("Idempotency-Key"));
    assert_eq!(s.staff_total().await, 1);

    // A refused request does not use up its key: fixed, it goes through under the same key.
    let bad = post("key-2", leak(&[("attribute[severity]", "catastrophic")])).await.unwrap();
    assert_eq!(bad.status(), 400);
    let fixed = post("key-2", leak(&[("attribute[severity]", "burst")])).await.unwrap();
    assert_eq!(fixed.status(), 200);
    assert_eq!(s.staff_total().await, 2);

    // Multipart: the boundary differs on each send, the hash does not.
    let send = || {
        let form = text_parts(&leak(&[])).part("media", photo(jpeg(10_000, 7), "a.jpg", "image/jpeg"));
        s.http
            .post(s.url("open311/v2/requests.json"))
            .header("Idempotency-Key", "key-3")
            .multipart(form)
            .send()
    };
    let one: Value = send().await.unwrap().json().await.unwrap();
    let two = send().await.unwrap();
    assert_eq!(two.headers()["idempotent-replayed"], "true");
    let two: Value = two.json().await.unwrap();
    assert_eq!(one, two);
    // The same fields without the photo are another request.
    let three = post("key-3", leak(&[])).await.unwrap();
    assert_eq!(three.status(), 422);
    assert_eq!(s.staff_total().await, 3);

    // A malformed key is refused before anything else.
    let resp = post("\"unterminated", leak(&[])).await.unwrap();
    assert_eq!(resp.status(), 400);
}

/// A multipart body whose end is held back until the test releases it.
fn multipart_body(boundary: &str, fields: &[(&str, &str)], photo: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut head = Vec::new();
    for (k, v) in fields {
        head.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    head.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    let (first, rest) = photo.split_at(photo.len() / 2);
    head.extend(first);
    let mut tail = rest.to_vec();
    tail.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    (head, tail)
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_key_in_flight_gives_409() {
    let s = Server::start();
    let fields = leak(&[]);
    let image = jpeg(50_000, 9);
    let boundary = "held-back-boundary";
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let (head, tail) = multipart_body(boundary, &fields, &image);
    let whole: Vec<u8> = head.iter().chain(tail.iter()).copied().collect();

    // The second request usually arrives while the first is held. If it ever overtakes the first
    // (the first one's handler not started yet), it is the first one: try again with a new key.
    for attempt in 0..10 {
        let key = format!("in-flight-{attempt}");
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
        let (polled_tx, polled_rx) = tokio::sync::oneshot::channel::<()>();
        let mut polled_tx = Some(polled_tx);
        let stream = futures_util::stream::unfold(rx, move |mut rx| {
            let signal = polled_tx.take();
            async move {
                let chunk = rx.recv().await?;
                if let Some(s) = signal {
                    let _ = s.send(());
                }
                Some((Ok::<_, std::io::Error>(chunk), rx))
            }
        });
        tx.send(head.clone()).await.unwrap();
        let first = tokio::spawn(
            s.http
                .post(s.url("open311/v2/requests.json"))
                .header("Idempotency-Key", &key)
                .header("content-type", &content_type)
                .body(reqwest::Body::wrap_stream(stream))
                .send(),
        );
        // The first one's headers and the start of its body are on the wire.
        polled_rx.await.unwrap();

        // The same request, whole, under the same key.
        let again = || {
            s.http
                .post(s.url("open311/v2/requests.json"))
                .header("Idempotency-Key", &key)
                .header("content-type", &content_type)
                .body(whole.clone())
                .send()
        };
        let second = again().await.unwrap();
        if second.status() != 409 {
            eprintln!("attempt {attempt}: the second request overtook the first");
            assert_eq!(second.status(), 200, "attempt {attempt}");
            drop(tx);
            let _ = first.await;
            continue;
        }
        let body: Value = second.json().await.unwrap();
        assert_eq!(body[0]["code"], 409);
        assert!(body[0]["description"].as_str().unwrap().starts_with("Idempotency-Key"));

        // Release the first: it completes, and a retry now replays its answer.
        tx.send(tail.clone()).await.unwrap();
        drop(tx);
        let first = tokio::time::timeout(Duration::from_secs(30), first).await.unwrap().unwrap().unwrap();
        assert_eq!(first.status(), 200);
        let first: Value = first.json().await.unwrap();
        let retry = again().await.unwrap();
        assert_eq!(retry.status(), 200);
        let retry: Value = retry.json().await.unwrap();
        assert_eq!(retry, first);
        let id = first[0]["service_request_id"].as_str().unwrap();
        let (_, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
        assert_eq!(staff["media_urls"].as_array().unwrap().len(), 1);
        assert_eq!(s.staff_total().await, attempt + 1, "one request per key");
        return;
    }
    panic!("the second request overtook the first ten times");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_filters_paging_and_updated_after() {
    let s = Server::start();
    let noise = |when: &'static str| {
        vec![
            ("api_key", DEMO_API_KEY),
            ("service_code", "noise"),
            ("address_string", "الرمال"),
            ("attribute[noise_source]", "loudspeakers"),
            ("attribute[occurred_at]", when),
        ]
    };
    let mut ids = Vec::new();
    for i in 0..5 {
        let form = if i % 2 == 0 { leak(&[]) } else { noise("2026-11-20T22:00:00Z") };
        ids.push(s.create(&form).await);
    }
    ids.push(
        s.create(&[
            ("api_key", DEMO_API_KEY),
            ("service_code", "suggestion-app"),
            ("address_string", "غزة"),
            ("attribute[idea]", "إشعار عند وصول المياه إلى الحي"),
        ])
        .await,
    );
    let all = s.ids("").await;
    assert_eq!(all.len(), 6);
    assert_eq!(all[0], ids[5], "newest first");

    // service_code (a list), status.
    assert_eq!(s.ids("service_code=noise").await, vec![ids[3].clone(), ids[1].clone()]);
    assert_eq!(s.ids("service_code=noise,suggestion-app").await.len(), 3);
    let (status, _) = s.act(DISPATCHER, &ids[0], json!({"action": "reject", "note": "بلاغ مكرر"})).await;
    assert_eq!(status, 200);
    assert_eq!(s.ids("status=closed").await, vec![ids[0].clone()]);
    assert_eq!(s.ids("status=open").await.len(), 5);
    assert_eq!(s.ids("status=open,closed").await.len(), 6);

    // service_request_id overrides every other filter.
    let mut some =
        s.ids(&format!("service_request_id={},{}&service_code=noise&status=closed", ids[0], ids[2])).await;
    some.sort();
    let mut want = vec![ids[0].clone(), ids[2].clone()];
    want.sort();
    assert_eq!(some, want);
    assert!(s.ids("service_request_id=424242,abc").await.is_empty());

    // start_date / end_date on requested_datetime.
    let requested: Vec<String> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(s.public(id).await["requested_datetime"].as_str().unwrap().to_owned());
        }
        v
    };
    let from = s.ids(&format!("start_date={}", requested[4])).await;
    assert_eq!(from, vec![ids[5].clone(), ids[4].clone()]);
    let until = s.ids(&format!("end_date={}", requested[1])).await;
    assert_eq!(until, vec![ids[1].clone(), ids[0].clone()]);
    let between = s.ids(&format!("start_date={}&end_date={}", requested[2], requested[3])).await;
    assert_eq!(between, vec![ids[3].clone(), ids[2].clone()]);
    // Any offset is understood (here +02:00, Gaza's winter time).
    let shifted = chrono::DateTime::parse_from_rfc3339(&requested[4])
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339();
    assert_eq!(s.ids(&format!("start_date={}", shifted.replace('+', "%2B"))).await.len(), 2);

    // Paging: default 50, pages do not overlap, the total is in a header.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let resp = s
            .http
            .get(s.url(&format!("open311/v2/requests.json?page_size=2&page={page}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["x-total-count"], "6");
        let list: Value = resp.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 2);
        paged.extend(
            list.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()),
        );
    }
    assert_eq!(paged, all);
    assert!(s.ids("page_size=2&page=4").await.is_empty());
    assert_eq!(s.ids("page_size=100000").await.len(), 6, "page_size is capped, not refused");
    for bad in ["page=0", "page_size=0", "page=x", "updated_after=recently"] {
        let resp = s.http.get(s.url(&format!("open311/v2/requests.json?{bad}"))).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{bad}");
        let body: Value = resp.json().await.unwrap();
        let field = bad.split('=').next().unwrap();
        assert!(body[0]["description"].as_str().unwrap().starts_with(field), "{body}");
    }

    // updated_after: only what changed since the last seen updated_datetime, oldest change first.
    let latest = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["updated_datetime"].as_str().unwrap().to_owned())
            .max()
            .unwrap()
    };
    let mark = latest(&s.get_json("open311/v2/requests.json").await);
    assert!(s.ids(&format!("updated_after={mark}")).await.is_empty());
    s.act(DISPATCHER, &ids[3], json!({"action": "verify"})).await;
    s.act(DISPATCHER, &ids[1], json!({"action": "verify"})).await;
    let changed = s.get_json(&format!("open311/v2/requests.json?updated_after={mark}")).await;
    let changed_ids: Vec<&str> =
        changed.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap()).collect();
    assert_eq!(changed_ids, vec![ids[3].as_str(), ids[1].as_str()]);
    let mark2 = latest(&changed);
    assert!(mark2 > mark);
    assert!(s.ids(&format!("updated_after={mark2}")).await.is_empty());
    // With a list of ids (how the app refreshes its own): only those of them that changed.
    assert_eq!(
        s.ids(&format!("service_request_id={},{}&updated_after={mark}", ids[1], ids[2])).await,
        vec![ids[1].clone()]
    );
    // Combined with another filter.
    assert_eq!(s.ids(&format!("updated_after={mark}&service_code=water-leak")).await, Vec::<String>::new());
}

/// The expected history of a request as staff act on it.
struct History {
    states: Vec<&'static str>,
    last: String,
}

impl History {
    /// Act, then check the public view: state, a moved updated_datetime, the whole history with
    /// the note as the newest entry's text.
    async fn step(
        &mut self,
        s: &Server,
        id: &str,
        who: &str,
        action: Value,
        detailed: &'static str,
        status: &str,
    ) -> Value {
        let (code, staff) = s.act(who, id, action.clone()).await;
        assert_eq!(code, 200, "{action}: {staff}");
        assert_eq!(staff["detailed_status"], detailed);
        self.states.push(detailed);
        let r = s.public(id).await;
        assert_eq!(
            (r["status"].as_str().unwrap(), r["detailed_status"].as_str().unwrap()),
            (status, detailed)
        );
        let updated = r["updated_datetime"].to_string();
        assert!(updated > self.last, "{action} moved updated_datetime");
        self.last = updated;
        let history = r["servicerequestupdates"].as_array().unwrap();
        let states: Vec<&str> = history.iter().map(|u| u["detailed_status"].as_str().unwrap()).collect();
        assert_eq!(states, self.states);
        let newest = history.last().unwrap();
        assert_eq!(newest["updated_datetime"], r["updated_datetime"]);
        assert_eq!(newest["status"], status);
        match action.get("note") {
            Some(note) => assert_eq!(&newest["description"], note),
            None => assert!(!newest["description"].as_str().unwrap().is_empty()),
        }
        r
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_actions_roles_and_history() {
    let s = Server::start();
    let leak_id = s.create(&leak(&[("email", "citizen@example.ps")])).await;
    let road_id = s
        .create(&[
            ("api_key", DEMO_API_KEY),
            ("service_code", "road-damage"),
            ("lat", "31.50"),
            ("long", "34.46"),
            ("attribute[damage_type]", "pothole"),
        ])
        .await;

    // Tokens and roles.
    let resp = s.http.get(s.url("api/v1/staff/requests")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let (status, _) = s.staff_get("demo-dept-nowhere", "api/v1/staff/requests").await;
    assert_eq!(status, 401);
    let (status, list) = s.staff_get(WATER, "api/v1/staff/requests").await;
    assert_eq!(status, 200);
    assert_eq!(list["total"], 0, "nothing routed to water yet: {list}");
    let (status, _) = s.staff_get(WATER, &format!("api/v1/staff/requests/{leak_id}")).await;
    assert_eq!(status, 403);
    for action in ["verify", "reject", "route"] {
        let (status, _) = s.act(WATER, &leak_id, json!({"action": action, "department_id": "water"})).await;
        assert_eq!(status, 403, "a department may not {action}");
    }
    let (status, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?department=unrouted").await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(2)));
    assert!(list["requests"][0].get("contact").is_none(), "the list carries no contact fields");

    // Dispatcher: verify, then route (to the category's department by default).
    let mut h =
        History { states: vec!["received"], last: s.public(&leak_id).await["updated_datetime"].to_string() };
    h.step(&s, &leak_id, DISPATCHER, json!({"action": "verify"}), "verified", "open").await;
    let r = h
        .step(
            &s,
            &leak_id,
            DISPATCHER,
            json!({"action": "route", "note": "أُحيل إلى دائرة المياه"}),
            "routed",
            "open",
        )
        .await;
    assert_eq!(r["agency_responsible"], "دائرة المياه والصرف الصحي");
    assert_eq!(r["status_notes"], "أُحيل إلى دائرة المياه");

    // The water department now sees it, with the contact fields; roads does not.
    let (status, list) = s.staff_get(WATER, "api/v1/staff/requests").await;
    assert_eq!((status, list["total"].as_i64()), (200, Some(1)));
    let (status, one) = s.staff_get(WATER, &format!("api/v1/staff/requests/{leak_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["contact"]["email"], "citizen@example.ps");
    assert_eq!(one["department_id"], "water");
    let (status, _) = s.act(ROADS, &leak_id, json!({"action": "status", "detailed_status": "fixed"})).await;
    assert_eq!(status, 403, "roads may not act on water's request");
    let (status, _) = s.act(ROADS, &leak_id, json!({"action": "reply", "note": "x"})).await;
    assert_eq!(status, 403);
    let (status, _) = s.act(WATER, &road_id, json!({"action": "reply", "note": "x"})).await;
    assert_eq!(status, 403, "water may not act on an unrouted road request");

    // Water: in progress, a reply, fixed (which closes it).
    let progress = json!({"action": "status", "detailed_status": "in_progress", "note": "الطاقم في الطريق"});
    h.step(&s, &leak_id, WATER, progress, "in_progress", "open").await;
    let reply = json!({"action": "reply", "note": "شكرا لك، سنغلق المحبس خلال ساعة"});
    let r = h.step(&s, &leak_id, WATER, reply, "in_progress", "open").await;
    assert_eq!(r["status_notes"], "الطاقم في الطريق", "a reply is not a status note");
    let fixed = json!({"action": "status", "detailed_status": "fixed", "note": "تم إصلاح الخط"});
    let r = h.step(&s, &leak_id, WATER, fixed, "fixed", "closed").await;
    assert_eq!(r["status_notes"], "تم إصلاح الخط");
    let (status, _) = s.act(DISPATCHER, &leak_id, json!({"action": "verify"})).await;
    assert_eq!(status, 409, "a closed request is not verified again");
    // Reopened by setting it in progress again, then closed by the dispatcher.
    h.step(
        &s,
        &leak_id,
        WATER,
        json!({"action": "status", "detailed_status": "in_progress"}),
        "in_progress",
        "open",
    )
    .await;
    h.step(
        &s,
        &leak_id,
        DISPATCHER,
        json!({"action": "status", "detailed_status": "closed"}),
        "closed",
        "closed",
    )
    .await;

    // The staff view of the history names who did what.
    let (_, one) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{leak_id}")).await;
    let actors: Vec<&str> =
        one["updates"].as_array().unwrap().iter().map(|u| u["actor"].as_str().unwrap()).collect();
    assert_eq!(
        actors,
        vec![
            "citizen",
            "dispatcher",
            "dispatcher",
            "department:water",
            "department:water",
            "department:water",
            "department:water",
            "dispatcher"
        ]
    );

    // Reject closes with detailed_status rejected; bad actions are refused.
    let (status, staff) =
        s.act(DISPATCHER, &road_id, json!({"action": "reject", "note": "الموقع خارج نطاق البلدية"})).await;
    assert_eq!(status, 200);
    assert_eq!(
        (staff["status"].as_str(), staff["detailed_status"].as_str()),
        (Some("closed"), Some("rejected"))
    );
    let road = s.public(&road_id).await;
    assert_eq!(road["servicerequestupdates"][1]["description"], "الموقع خارج نطاق البلدية");
    for (body, code) in [
        (json!({"action": "explode"}), 400),
        (json!({"action": "status"}), 400),
        (json!({"action": "status", "detailed_status": "verified"}), 400),
        (json!({"action": "reply"}), 400),
        (json!({"action": "route", "department_id": "ministry-of-magic"}), 409),
    ] {
        let (status, resp) = s.act(DISPATCHER, &road_id, body.clone()).await;
        assert_eq!(status, code, "{body}: {resp}");
        assert!(resp["error"].is_string());
    }
    let open = s.create(&leak(&[])).await;
    let (status, resp) =
        s.act(DISPATCHER, &open, json!({"action": "route", "department_id": "ministry-of-magic"})).await;
    assert_eq!(status, 400, "{resp}");
    let (status, _) = s.act(DISPATCHER, &open, json!({"action": "route", "department_id": "roads"})).await;
    assert_eq!(status, 200, "a dispatcher may route elsewhere than the category's department");
    let (status, _) = s.act(DISPATCHER, "424242", json!({"action": "verify"})).await;
    assert_eq!(status, 404);

    // Staff list filters.
    let (_, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?status=closed").await;
    assert_eq!(list["total"], 2);
    let (_, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?detailed_status=rejected").await;
    assert_eq!(list["requests"][0]["service_request_id"], json!(road_id));
    let (_, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?department=roads").await;
    assert_eq!(list["requests"][0]["service_request_id"], json!(open));
    let (_, list) = s.staff_get(ROADS, "api/v1/staff/requests?department=water").await;
    assert_eq!(list["total"], 1, "a department sees its own whatever it asks");
    let (_, list) =
        s.staff_get(DISPATCHER, "api/v1/staff/requests?service_code=road-damage&page_size=1").await;
    assert_eq!((list["total"].as_i64(), list["requests"].as_array().unwrap().len()), (Some(1), 1));
    let (status, _) = s.staff_get(DISPATCHER, "api/v1/staff/requests?detailed_status=lost").await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_enter_complaints_from_other_channels() {
    let s = Server::start();
    let entry = |source: &str| {
        json!({
            "service_code": "sewage-overflow",
            "source": source,
            "description": "وصلت عبر واتساب: مياه الصرف تغمر الشارع قرب مدرسة",
            "lat": 31.5031,
            "long": 34.4452,
            "attributes": {"severity": "street", "near": ["school", "market"]},
            "phone": "0599000111",
            "first_name": "أبو محمد"
        })
    };
    let post = |token: &'static str, body: Value| {
        s.http.post(s.url("api/v1/staff/requests")).bearer_auth(token).json(&body).send()
    };
    let resp = post(DISPATCHER, entry("whatsapp")).await.unwrap();
    assert_eq!(resp.status(), 201);
    let staff: Value = resp.json().await.unwrap();
    assert_eq!(staff["source"], "whatsapp");
    assert_eq!(staff["contact"]["phone"], "0599000111");
    assert_eq!(staff["attributes"]["near"], json!(["school", "market"]));
    assert_eq!(staff["updates"][0]["actor"], "dispatcher");
    let id = staff["service_request_id"].as_str().unwrap().to_owned();

    // In the same tracker as the app's requests, with its channel.
    s.create(&leak(&[])).await;
    let r = s.public(&id).await;
    assert_eq!((r["source"].as_str(), r["detailed_status"].as_str()), (Some("whatsapp"), Some("received")));
    assert!(!serde_json::to_string(&r).unwrap().contains("0599000111"));
    for source in ["facebook", "phone", "walk_in"] {
        assert_eq!(post(WATER, entry(source)).await.unwrap().status(), 201, "{source}");
    }
    let (_, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?source=whatsapp,walk_in").await;
    assert_eq!(list["total"], 2);
    let (_, list) = s.staff_get(DISPATCHER, "api/v1/staff/requests?source=app").await;
    assert_eq!(list["total"], 1);

    // Validated like a citizen's.
    let mut bad = entry("carrier-pigeon");
    bad["attributes"] = json!({"near": ["school"]});
    let resp = post(DISPATCHER, bad).await.unwrap();
    assert_eq!(resp.status(), 400);
    let err = resp.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_owned();
    assert!(err.contains("source:") && err.contains("attribute[severity]: required"), "{err}");
    let resp = s.http.post(s.url("api/v1/staff/requests")).json(&entry("phone")).send().await.unwrap();
    assert_eq!(resp.status(), 401);
}

/// Raw HTTP/1.1 on a fresh connection: send `head` and then only `body_start`, and wait at most
/// `within` for the server's answer while the rest of the body is never sent.
async fn answer_with_body_held(
    addr: std::net::SocketAddr,
    head: &str,
    body_start: &[u8],
    within: Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body_start).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    if got.windows(4).any(|w| w == b"\r\n\r\n") && got.ends_with(b"]") {
                        break;
                    }
                }
            }
        }
    };
    let _ = tokio::time::timeout(within, read).await;
    (!got.is_empty()).then(|| String::from_utf8_lossy(&got).into_owned())
}

fn upload_head(path: &str, boundary: &str, length: usize, extra: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {length}\r\n{extra}\r\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_is_judged_before_its_body_is_read() {
    let s = Server::start();
    let addr = s.inner.addr();
    let boundary = "early-boundary";
    let no_key: Vec<_> = leak(&[]).into_iter().filter(|(k, _)| *k != "api_key").collect();
    // The fields, then the start of a photo; the rest of the body (5 MB declared) never comes.
    let (start, _) = multipart_body(boundary, &no_key, &jpeg(20_000, 3));
    let head = upload_head("/open311/v2/requests.json", boundary, 5_000_000, "");
    let answer = answer_with_body_held(addr, &head, &start, Duration::from_secs(5)).await;
    let answer = answer.expect("no answer while the body was held: the server waited for it");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("api_key: required"), "{answer}");

    // A wrong key or an unknown service in the query string, or a declared length above the
    // limit: answered on the head alone.
    for (query, wanted) in [
        ("?api_key=wrong-key", "HTTP/1.1 403"),
        (&*format!("?api_key={DEMO_API_KEY}&service_code=no-such-service"), "HTTP/1.1 400"),
    ] {
        let head = upload_head(&format!("/open311/v2/requests.json{query}"), boundary, 5_000_000, "");
        let answer = answer_with_body_held(addr, &head, b"", Duration::from_secs(5)).await;
        let answer = answer.unwrap_or_else(|| panic!("{query}: no answer on the head alone"));
        assert!(answer.starts_with(wanted), "{query}: {answer}");
    }
    let head = upload_head(
        &format!("/open311/v2/requests.json?api_key={DEMO_API_KEY}"),
        boundary,
        64 * 1024 * 1024,
        "",
    );
    let answer = answer_with_body_held(addr, &head, b"", Duration::from_secs(5)).await;
    let answer = answer.expect("no answer to a 64 MB Content-Length");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // Fields beyond what a form may hold are refused as they arrive, key or no key.
    let filler = "س".repeat(30_000);
    let many: Vec<(&str, &str)> = (0..6).map(|_| ("description", filler.as_str())).collect();
    let resp =
        s.http.post(s.url("open311/v2/requests.json")).multipart(text_parts(&many)).send().await.unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(s.staff_total().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dead_upload_does_not_hold_its_idempotency_key() {
    let limits = baladiya_server::Limits {
        body_timeout: Duration::from_secs(1),
        ..baladiya_server::Limits::default()
    };
    let s = Server {
        inner: TestServer::start_with_options(baladiya_server::Options {
            limits,
            ..baladiya_server::Options::default()
        }),
        http: http_client(),
    };
    let boundary = "dead-upload-boundary";
    let image = jpeg(50_000, 4);
    let (start, tail) = multipart_body(boundary, &leak(&[]), &image);
    let whole: Vec<u8> = start.iter().chain(tail.iter()).copied().collect();
    let retry = |key: &'static str| {
        s.http
            .post(s.url("open311/v2/requests.json"))
            .header("Idempotency-Key", key)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(whole.clone())
            .send()
    };

    // A phone that vanished mid-upload: its connection stays open and silent.
    use tokio::io::AsyncWriteExt;
    let head = upload_head("/open311/v2/requests.json", boundary, whole.len(), "Idempotency-Key: dead-1\r\n");
    let mut vanished = tokio::net::TcpStream::connect(s.inner.addr()).await.unwrap();
    vanished.write_all(head.as_bytes()).await.unwrap();
    vanished.write_all(&start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Busy while it could still arrive, free once the body timeout has passed.
    let started = std::time::Instant::now();
    let status = loop {
        let status = retry("dead-1").await.unwrap().status().as_u16();
        if status != 409 || started.elapsed() > Duration::from_secs(5) {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 200, "the retry of a dead upload is still refused after 5 s");

    // A connection that dies mid-upload frees its key at once.
    let head = upload_head("/open311/v2/requests.json", boundary, whole.len(), "Idempotency-Key: dead-2\r\n");
    let mut dropped = tokio::net::TcpStream::connect(s.inner.addr()).await.unwrap();
    dropped.write_all(head.as_bytes()).await.unwrap();
    dropped.write_all(&start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(retry("dead-2").await.unwrap().status(), 200);
    assert_eq!(s.staff_total().await, 2);
    drop(vanished);
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_are_decoded_before_they_are_accepted_and_served_inert() {
    let s = Server::start();
    let mut html = vec![0xFF, 0xD8, 0xFF, 0xE0];
    html.extend_from_slice(
        b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>",
    );
    let huge = png_header_only(20_000, 20_000);
    let mut cut = jpeg(30_000, 5);
    cut.truncate(cut.len() / 3);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (html, "media: not a readable JPEG"),
        (huge, "media: a photo of 20000×20000 is larger than 24 megapixels"),
        (cut, "media: not a readable JPEG"),
        (fake_jpeg(5_000), "media: not a readable JPEG"),
    ];
    for (bytes, wanted) in cases {
        let form = text_parts(&leak(&[])).part("media", photo(bytes, "x.jpg", "image/jpeg"));
        let resp = s.http.post(s.url("open311/v2/requests.json")).multipart(form).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{wanted}");
        assert_errors(&resp.json().await.unwrap(), &[wanted]);
    }
    assert_eq!(s.staff_total().await, 0);

    // A real photo is served as an image that cannot act as a page.
    let form = text_parts(&leak(&[])).part("media", photo(jpeg(5_000, 6), "ok.jpg", "image/jpeg"));
    let resp = s.http.post(s.url("open311/v2/requests.json")).multipart(form).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    let r = s.public(created[0]["service_request_id"].as_str().unwrap()).await;
    let resp = s.http.get(r["media_url"].as_str().unwrap()).send().await.unwrap();
    let h = resp.headers();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-disposition"].to_str().unwrap().starts_with("inline; filename="), "{h:?}");
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("sandbox"), "{csp}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_post_sets_the_channel_and_ignores_media_url() {
    let s = Server::start();
    let id =
        s.create(&leak(&[("source", "walk_in"), ("media_url", "http://attacker.example/phish.html")])).await;
    let r = s.public(&id).await;
    assert_eq!(r["source"], "app", "{r}");
    assert!(r["media_url"].is_null(), "{r}");
    // A browser's form (it sends Origin) is the web channel, whatever the form says.
    let resp = s
        .http
        .post(s.url("open311/v2/requests.json"))
        .header("Origin", "https://baladiya.example")
        .form(&leak(&[("source", "phone")]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let created: Value = resp.json().await.unwrap();
    let r = s.public(created[0]["service_request_id"].as_str().unwrap()).await;
    assert_eq!(r["source"], "web", "{r}");
    // Staff entering a complaint from another channel keep both.
    let resp = s
        .http
        .post(s.url("api/v1/staff/requests"))
        .bearer_auth(DISPATCHER)
        .json(&json!({
            "service_code": "water-leak", "source": "walk_in", "lat": 31.5168, "long": 34.4485,
            "attributes": {"severity": "steady"}, "media_url": "https://photos.gaza-city.example/1.jpg"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let staff: Value = resp.json().await.unwrap();
    let r = s.public(staff["service_request_id"].as_str().unwrap()).await;
    assert_eq!(
        (r["source"].as_str(), r["media_url"].as_str()),
        (Some("walk_in"), Some("https://photos.gaza-city.example/1.jpg"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn citizen_text_is_cleaned_on_the_way_in_and_bad_utf8_refused() {
    let s = Server::start();
    let dirty = "تسرب\u{0}\u{202E}txt.exe\u{202C} \u{2066}هنا\u{2069}\u{1b}[2J\r\nسطر ثان";
    let id =
        s.create(&leak(&[("description", dirty), ("address_string", "شارع\u{202E} عمر المختار\u{7}")])).await;
    let (_, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
    assert_eq!(staff["description"], "تسربtxt.exe هنا[2J\nسطر ثان");
    assert_eq!(staff["address"], "شارع عمر المختار");
    let xml = s.http.get(s.url(&format!("open311/v2/requests/{id}.xml"))).send().await.unwrap();
    let xml = xml.text().await.unwrap();
    assert!(!xml.contains('\u{202E}') && !xml.contains('\u{2066}'), "{xml}");

    // Bytes that are not UTF-8, percent-encoded or raw, are refused, not replaced.
    let form = format!(
        "api_key={DEMO_API_KEY}&service_code=water-leak&lat=31.5168&long=34.4485&attribute%5Bseverity%5D=steady"
    );
    for bad in [b"&description=%FF%FEabc".to_vec(), b"&description=\xff\xfe".to_vec()] {
        let mut body = form.clone().into_bytes();
        body.extend(bad);
        let resp = s
            .http
            .post(s.url("open311/v2/requests.json"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400);
        assert_errors(&resp.json().await.unwrap(), &["description: not UTF-8"]);
    }
    assert_eq!(s.staff_total().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_problem_of_a_post_is_reported_at_once() {
    let s = Server::start();
    // No service, a latitude that is not a number, an email that is not one: three entries.
    let (status, body) = s
        .post_form(&[("api_key", DEMO_API_KEY), ("lat", "north"), ("long", "34.45"), ("email", "nobody")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert_errors(&body, &["service_code: required", "lat: not a number", "email: not an email address"]);
    assert_eq!(body.as_array().unwrap().len(), 3, "{body}");
    // An unknown service and a missing place, together.
    let (status, body) = s.post_form(&[("api_key", DEMO_API_KEY), ("service_code", "no-such-service")]).await;
    assert_eq!(status, 400, "{body}");
    assert_errors(&body, &["service_code: not a service", "lat/long or address_string"]);
    // A streetlight without its pole number and its problem: both named, one entry each.
    let (status, body) = s
        .post_form(&[("api_key", DEMO_API_KEY), ("service_code", "streetlight"), ("address_string", "النصر")])
        .await;
    assert_eq!(status, 400, "{body}");
    assert_errors(&body, &["attribute[pole_number]: required", "attribute[problem]: required"]);
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
}

/// Our nearby extension (issue 15.3): `lat`, `long` and `radius` (metres, 50 unless given, at
/// most 500) keep the requests around a point, with the spec's other filters; a half-given point
/// or a radius out of range is a 400 naming it.
#[tokio::test(flavor = "multi_thread")]
async fn requests_near_a_point_are_listed_by_distance_with_the_other_filters() {
    let s = Server::start();
    fn leak<'a>(lat: &'a str, long: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("api_key", DEMO_API_KEY),
            ("service_code", "water-leak"),
            ("lat", lat),
            ("long", long),
            ("attribute[severity]", "steady"),
            ("description", "تسرب"),
        ]
    }
    // Here, 30 m north, 200 m east (a degree of longitude is ~94.9 km at this latitude).
    let here = s.create(&leak("31.52", "34.45")).await;
    let north = s.create(&leak("31.52027", "34.45")).await;
    let east = s.create(&leak("31.52", "34.45211")).await;
    let mut pipe = leak("31.52", "34.45");
    pipe[1] = ("service_code", "sewage-overflow");
    pipe[4] = ("attribute[severity]", "street");
    let other_kind = s.create(&pipe).await;

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(s.ids("lat=31.52&long=34.45&service_code=water-leak").await),
        sorted(vec![here.clone(), north.clone()]),
        "50 m unless said"
    );
    assert_eq!(s.ids("lat=31.52&long=34.45&radius=300&service_code=water-leak").await.len(), 3);
    assert_eq!(s.ids("lat=31.52&long=34.45&radius=20").await.len(), 2, "here, of both kinds");
    assert!(s.ids("lat=31.52&long=34.45&radius=20").await.contains(&other_kind));
    assert!(s.ids("lat=31.5228&long=34.45&radius=100").await.is_empty(), "300 m north: nothing within 100 m");
    assert!(s.ids("lat=31.52&long=34.45&status=closed").await.is_empty());
    assert!(s.ids("lat=31.52&long=34.45&radius=300").await.contains(&east));
    for bad in [
        "lat=31.52",
        "lat=31.52&long=x",
        "lat=31.52&long=34.45&radius=0",
        "lat=31.52&long=34.45&radius=501",
        "lat=95&long=34.45",
    ] {
        let resp = s.http.get(s.url(&format!("open311/v2/requests.json?{bad}"))).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{bad}");
    }
}

/// "This is my problem too" (issue 15.3): another app follows a request with its follower id;
/// each app counts once however often it asks, the count is public and staff see it, stopping
/// takes it back; a bad follower, no api_key, an unknown request or an unknown field are refused.
#[tokio::test(flavor = "multi_thread")]
async fn citizens_follow_a_request_once_each_and_the_count_is_shown() {
    let s = Server::start();
    let id = s
        .create(&[
            ("api_key", DEMO_API_KEY),
            ("service_code", "water-leak"),
            ("lat", "31.51"),
            ("long", "34.46"),
            ("attribute[severity]", "steady"),
            ("description", "تسرب في الشارع"),
        ])
        .await;
    let before = s.public(&id).await;
    assert_eq!(before["followers"], 0, "{before}");
    let follow = |action: &'static str, fields: Vec<(&'static str, &'static str)>, id: String| {
        let http = s.http.clone();
        let url = s.url(&format!("open311/v2/requests/{id}/{action}.json"));
        async move {
            let resp = http.post(url).form(&fields).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        }
    };
    let app_a = vec![("api_key", DEMO_API_KEY), ("follower", "app-a-0123456789abcdef")];
    let app_b = vec![("api_key", DEMO_API_KEY), ("follower", "app-b-0123456789abcdef")];
    let (status, body) = follow("follow", app_a.clone(), id.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["service_request_id"], id.as_str());
    assert_eq!(body[0]["followers"], 1);
    let (_, again) = follow("follow", app_a.clone(), id.clone()).await;
    assert_eq!(again[0]["followers"], 1, "the same app twice counts once");
    let (_, b) = follow("follow", app_b.clone(), id.clone()).await;
    assert_eq!(b[0]["followers"], 2);
    assert_eq!(s.public(&id).await["followers"], 2, "the count is public");
    assert_eq!(
        before["updated_datetime"],
        s.public(&id).await["updated_datetime"],
        "following is not a change"
    );
    let xml = s
        .http
        .get(s.url(&format!("open311/v2/requests/{id}.xml")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("<followers>2</followers>"), "{xml}");
    let (code, staff) = s.staff_get(DISPATCHER, &format!("api/v1/staff/requests/{id}")).await;
    assert_eq!(code, 200);
    assert_eq!(staff["followers"], 2, "staff see it");

    let (_, left) = follow("unfollow", app_a.clone(), id.clone()).await;
    assert_eq!(left[0]["followers"], 1);
    let (_, left_again) = follow("unfollow", app_a.clone(), id.clone()).await;
    assert_eq!(left_again[0]["followers"], 1, "stopping twice takes one back once");

    let refusals = [
        (vec![("follower", "app-c-0123456789abcdef")], 403, "api_key"),
        (vec![("api_key", DEMO_API_KEY)], 400, "follower"),
        (vec![("api_key", DEMO_API_KEY), ("follower", "short")], 400, "follower"),
        (
            vec![("api_key", DEMO_API_KEY), ("follower", "app-c-0123456789abcdef"), ("phone", "0599")],
            400,
            "phone",
        ),
    ];
    for (fields, want, names) in refusals {
        let (status, body) = follow("follow", fields, id.clone()).await;
        assert_eq!(status, want, "{body}");
        assert!(body[0]["description"].as_str().unwrap().contains(names), "{body}");
    }
    let (status, _) = follow("follow", app_b.clone(), "999999".to_owned()).await;
    assert_eq!(status, 404);
    assert_eq!(s.public(&id).await["followers"], 1, "refusals changed nothing");
}

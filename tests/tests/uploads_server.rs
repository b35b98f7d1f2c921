//! The reference server's resumable photo uploads (tus 1.0 core + creation) spoken to directly:
//! discovery, authentication by the request's token, the limits, exactly-once pieces, the photo
//! checks at the last byte, and finished uploads found again rather than stored twice.

use baladiya_tests::{http_client, TestServer, DEMO_API_KEY};
use reqwest::{Method, StatusCode};

/// A small real JPEG.
fn jpeg() -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let rgb: Vec<u8> = (0..w as usize * h as usize * 3).map(|i| (i * 7 % 251) as u8).collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90).encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A request filed without photos: its id and token.
async fn request(server: &TestServer) -> (String, String) {
    let form = [
        ("api_key", DEMO_API_KEY),
        ("service_code", "water-leak"),
        ("attribute[severity]", "steady"),
        ("lat", "31.52"),
        ("long", "34.45"),
        ("description", "تسرب"),
    ];
    let v: serde_json::Value = http_client()
        .post(format!("{}open311/v2/requests.json", server.url()))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (v[0]["service_request_id"].as_str().unwrap().into(), v[0]["token"].as_str().unwrap().into())
}

fn b64(s: &str) -> String {
    // Digits only here: a tiny encoder is enough.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = c.iter().enumerate().fold(0u32, |n, (i, x)| n | u32::from(*x) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

async fn create(
    server: &TestServer,
    id: &str,
    token: &str,
    position: u32,
    length: usize,
) -> reqwest::Response {
    http_client()
        .post(format!("{}open311/v2/uploads", server.url()))
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {token}"))
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!("service_request_id {},position {}", b64(id), b64(&position.to_string())),
        )
        .send()
        .await
        .unwrap()
}

async fn patch(url: &str, token: &str, offset: usize, bytes: &[u8]) -> reqwest::Response {
    http_client()
        .patch(url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {token}"))
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn head(url: &str, token: &str) -> reqwest::Response {
    http_client()
        .head(url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

fn offset(r: &reqwest::Response) -> usize {
    r.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn photos_follow_their_request_resumably_once_and_checked() {
    let server = TestServer::start();
    let (id, token) = request(&server).await;
    let photo = jpeg();

    // Discovery, without authentication.
    let options = http_client()
        .request(Method::OPTIONS, format!("{}open311/v2/uploads", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(options.headers()["tus-version"], "1.0.0");
    assert_eq!(options.headers()["tus-max-size"], (2 * 1024 * 1024).to_string().as_str());

    // Refused: no tus version, no token, another request's token, too large, a fourth position.
    let no_version = http_client()
        .post(format!("{}open311/v2/uploads", server.url()))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(create(&server, &id, "", 0, 10).await.status(), StatusCode::UNAUTHORIZED);
    let (_, other_token) = request(&server).await;
    assert_eq!(create(&server, &id, &other_token, 0, 10).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        create(&server, &id, &token, 0, 2 * 1024 * 1024 + 1).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(create(&server, &id, &token, 3, 10).await.status(), StatusCode::BAD_REQUEST);

    // Made once: a creation retried after a lost answer finds the same upload.
    let made = create(&server, &id, &token, 0, photo.len()).await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let url = made.headers()["location"].to_str().unwrap().to_owned();
    let again = create(&server, &id, &token, 0, photo.len()).await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), url);
    assert_eq!(offset(&again), 0);
    assert_eq!(create(&server, &id, &token, 0, photo.len() + 1).await.status(), StatusCode::CONFLICT);

    // Pieces only at the upload's offset: a retried piece is refused, not stored twice.
    let half = photo.len() / 2;
    let first = patch(&url, &token, 0, &photo[..half]).await;
    assert_eq!((first.status(), offset(&first)), (StatusCode::NO_CONTENT, half));
    let replay = patch(&url, &token, 0, &photo[..half]).await;
    assert_eq!((replay.status(), offset(&replay)), (StatusCode::CONFLICT, half));
    assert_eq!(head(&url, &other_token).await.status(), StatusCode::FORBIDDEN);
    let at = head(&url, &token).await;
    assert_eq!((at.status(), offset(&at)), (StatusCode::OK, half));
    let wrong_type = http_client()
        .patch(&url)
        .header("Tus-Resumable", "1.0.0")
        .header("Authorization", format!("Bearer {token}"))
        .header("Upload-Offset", half.to_string())
        .body(photo[half..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let rest = patch(&url, &token, half, &photo[half..]).await;
    assert_eq!((rest.status(), offset(&rest)), (StatusCode::NO_CONTENT, photo.len()));

    // Finished: the photo is the request's, byte for byte, once; sending it again changes nothing.
    assert_eq!(patch(&url, &token, 0, &photo).await.status(), StatusCode::CONFLICT);
    let found = create(&server, &id, &token, 0, photo.len()).await;
    assert_eq!((found.headers()["location"].to_str().unwrap(), offset(&found)), (url.as_str(), photo.len()));
    let staff = server.staff_request(&id).await;
    let media = staff["media_urls"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{staff}");
    let got = http_client().get(media[0].as_str().unwrap()).send().await.unwrap();
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    assert_eq!(got.bytes().await.unwrap().as_ref(), photo.as_slice());

    // The same checks as a POST's photos: HTML behind a JPEG signature is refused for good.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let bad = create(&server, &id, &token, 1, fake.len()).await;
    let bad_url = bad.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(patch(&bad_url, &token, 0, &fake).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(head(&bad_url, &token).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(create(&server, &id, &token, 1, fake.len()).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.staff_request(&id).await["media_urls"].as_array().unwrap().len(), 1);
}

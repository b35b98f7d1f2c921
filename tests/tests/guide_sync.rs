//! The procedures guide synced from the real reference server over loopback.

use baladiya_core::store::Store;
use baladiya_core::{Error, HitKind};
use baladiya_tests::{app, http_client, TestServer};

#[tokio::test(flavor = "multi_thread")]
async fn full_sync_brings_the_whole_catalogue() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    assert_eq!(core.guide_version().unwrap(), None);

    let report = core.sync_guide().await.unwrap();
    let catalogue = server.catalogue().await;
    assert!(report.full && !report.not_modified);
    assert_eq!(report.version, catalogue.version);
    assert_eq!(report.services_added as usize, catalogue.services.len());
    assert_eq!(report.violations_changed as usize, catalogue.violations.len());
    assert!(catalogue.services.len() >= 40 && catalogue.violations.len() >= 15);

    let local = core.services(None).unwrap();
    assert_eq!(local.len(), catalogue.services.len());
    for s in &catalogue.services {
        assert_eq!(&core.service(&s.id).unwrap(), s, "service {} differs", s.id);
    }
    assert_eq!(core.violations().unwrap(), catalogue.violations);
    assert_eq!(core.departments().unwrap(), catalogue.departments);
    assert_eq!(core.categories().unwrap(), catalogue.categories);

    // The body came gzip-compressed: far fewer bytes than the JSON itself.
    let json_len = serde_json::to_vec(&catalogue).unwrap().len() as u64;
    assert!(report.bytes_received < json_len / 2, "{} bytes for {json_len} of JSON", report.bytes_received);
}

#[tokio::test(flavor = "multi_thread")]
async fn second_sync_is_a_304_with_no_body() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    let first = core.sync_guide().await.unwrap();

    let second = core.sync_guide().await.unwrap();
    assert!(second.not_modified);
    assert_eq!(second.version, first.version);
    assert!(second.bytes_received < 400, "a 304 cost {} bytes", second.bytes_received);

    // On the wire: the same conditional request answers 304 with an empty body.
    let etag = http_client()
        .get(format!("{}api/v1/guide", server.url()))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap()
        .headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong ETag expected, got {etag}");
    let resp = http_client()
        .get(format!("{}api/v1/guide?since={}", server.url(), first.version))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 304);
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn delta_sync_after_a_catalogue_edit() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    let full = core.sync_guide().await.unwrap();

    let mut edited = core.service("clearance-certificate").unwrap();
    edited.fees[0].amount_minor = Some(2500);
    edited.title.en = "Clearance certificate (debt-free statement)".into();
    server.put_service(&edited).await;
    let mut added = core.service("building-permit").unwrap();
    added.id = "solar-panel-permit".into();
    added.title.ar = "تصريح تركيب ألواح طاقة شمسية".into();
    added.title.en = "Solar panel installation permit".into();
    added.keywords = vec!["طاقة شمسية".into(), "solar".into()];
    server.put_service(&added).await;

    let delta = core.sync_guide().await.unwrap();
    assert!(!delta.full && !delta.not_modified);
    assert_eq!(delta.version, full.version + 2);
    assert_eq!((delta.services_added, delta.services_updated, delta.services_removed), (1, 1, 0));
    assert!(
        delta.bytes_received * 4 < full.bytes_received,
        "delta {} vs full {}",
        delta.bytes_received,
        full.bytes_received
    );

    let local = core.service("clearance-certificate").unwrap();
    assert_eq!(local.fees[0].amount_minor, Some(2500));
    assert_eq!(local.version, delta.version - 1);
    assert_eq!(core.services(None).unwrap().len(), server.catalogue().await.services.len());
    // The index followed: the new words are found, the new service is searchable.
    assert_eq!(core.search_guide("debt-free", 5).unwrap()[0].id, "clearance-certificate");
    assert_eq!(core.search_guide("طاقه شمسيه", 5).unwrap()[0].id, "solar-panel-permit");
}

#[tokio::test(flavor = "multi_thread")]
async fn removal_of_a_service_reaches_the_client() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let core = app(dir.path(), &server.url());
    core.sync_guide().await.unwrap();
    assert!(core.search_guide("هدم", 10).unwrap().iter().any(|h| h.id == "demolition-permit"));

    server.delete("services", "demolition-permit").await;
    server.delete("violations", "flyposting").await;
    let report = core.sync_guide().await.unwrap();
    assert!(!report.full);
    assert_eq!((report.services_removed, report.violations_removed), (1, 1));
    assert!(matches!(core.service("demolition-permit"), Err(Error::NotFound(_))));
    assert!(matches!(core.violation("flyposting"), Err(Error::NotFound(_))));
    assert!(!core.search_guide("هدم", 10).unwrap().iter().any(|h| h.id == "demolition-permit"));
    assert_eq!(core.services(None).unwrap().len(), server.catalogue().await.services.len());

    // A service removed and added again comes back.
    let catalogue_before = core.services(None).unwrap().len();
    let mut back = core.service("building-permit").unwrap();
    back.id = "demolition-permit".into();
    server.put_service(&back).await;
    core.sync_guide().await.unwrap();
    assert_eq!(core.services(None).unwrap().len(), catalogue_before + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_survives_reopen_without_network() {
    let mut server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (version, count) = {
        let core = app(dir.path(), &server.url());
        let r = core.sync_guide().await.unwrap();
        (r.version, core.services(None).unwrap().len())
    };
    let url = server.url();
    server.stop();

    let core = app(dir.path(), &url);
    assert_eq!(core.guide_version().unwrap(), Some(version));
    assert_eq!(core.services(None).unwrap().len(), count);
    let hits = core.search_guide("براءة ذمة", 3).unwrap();
    assert_eq!(hits[0].id, "clearance-certificate");
    assert_eq!(hits[0].kind, HitKind::Service);
    // The server is gone: a sync says so, and nothing local changes.
    assert!(matches!(core.sync_guide().await, Err(Error::Offline)));
    assert_eq!(core.services(None).unwrap().len(), count);
}

#[tokio::test(flavor = "multi_thread")]
async fn migration_from_an_older_schema_keeps_data_and_builds_the_index() {
    let server = TestServer::start();
    let catalogue = server.catalogue().await;
    let dir = tempfile::tempdir().unwrap();
    // Schema 1 (before offline search existed), filled the way that app version stored services.
    {
        let store = Store::open_at_version(dir.path(), 1, baladiya_core::STORE_HOOKS).unwrap();
        store
            .write(|tx| {
                for s in &catalogue.services {
                    tx.execute(
                        "INSERT INTO services (id, category_id, version, doc) VALUES (?1, ?2, ?3, ?4)",
                        rusqlite::params![s.id, s.category_id, s.version, serde_json::to_string(s).unwrap()],
                    )?;
                }
                tx.execute(
                    "INSERT INTO guide_meta (key, value) VALUES ('version', ?1)",
                    [catalogue.version.to_string()],
                )?;
                Ok(())
            })
            .unwrap();
        let v: u32 = store.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)).unwrap();
        assert_eq!(v, 1);
    }
    let core = app(dir.path(), &server.url());
    let v: u32 = core.store().read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)).unwrap();
    assert_eq!(v, baladiya_core::store::migrations::LATEST);
    assert_eq!(core.services(None).unwrap().len(), catalogue.services.len());
    assert_eq!(core.search_guide("رخصه بناء", 1).unwrap()[0].id, "building-permit");
    // And the upgraded store syncs on from where it was: nothing changed on the server.
    assert_eq!(core.guide_version().unwrap(), Some(catalogue.version));
}

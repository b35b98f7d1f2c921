//! Open311 GeoReport v2 conformance of the reference server, on loopback: JSON responses validate
//! against the repository's JSON Schemas of the spec (draft 4, `tests/open311-schema/`) and, when
//! they are beside the repository (`../shared/open311/schema/`), against the open311/
//! schema-validation project's too; XML is well formed and uses the spec's element names, and
//! errors have the spec's shape (`[{code, description}]`, `<errors><error>…`) with 400, 403 and 404.

use std::collections::HashSet;
use std::path::PathBuf;

use baladiya_server::open311::DEMO_API_KEY;
use baladiya_tests::{http_client, TestServer};
use serde_json::{json, Value};

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
        format!("{}open311/v2/{path}", self.inner.url())
    }

    /// GET, with the status and Content-Type expected for the format.
    async fn get(&self, path: &str, status: u16) -> String {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "GET {path}");
        let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
        let want = if path.contains(".xml") { "text/xml" } else { "application/json" };
        assert!(ct.starts_with(want), "GET {path}: content-type {ct}");
        resp.text().await.unwrap()
    }

    async fn get_json(&self, path: &str, status: u16) -> Value {
        serde_json::from_str(&self.get(path, status).await).unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let resp = self.http.post(self.url(path)).form(form).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }
}

/// The folders of schemas to validate against: the repository's own, then the upstream
/// project's when it is beside the repository.
fn schema_dirs() -> Vec<PathBuf> {
    // Read at run time: cargo sets it for the test process, and it follows the checkout if the
    // tree moved after the build.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let manifest = PathBuf::from(manifest);
    let ours =
        manifest.join("open311-schema").canonicalize().expect("tests/open311-schema is in the repository");
    let mut dirs = vec![ours];
    if let Ok(upstream) = manifest.join("../../shared/open311/schema").canonicalize() {
        dirs.push(upstream);
    }
    dirs
}

fn read_json(path: PathBuf) -> Value {
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap()
}

/// A draft-4 validator whose relative `$ref`s (`"request.json"`) resolve in `dir`.
fn validator(dir: &std::path::Path, schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .with_base_uri(format!("file://{}/", dir.display()))
        .should_validate_formats(true)
        .build(schema)
        .expect("schema compiles")
}

/// One answer's schema in every schema folder.
struct Schemas(Vec<(PathBuf, jsonschema::Validator)>);

impl Schemas {
    /// Every folder's schema refuses `instance` (for the checks that the schemas can fail).
    fn rejects(&self, instance: &Value) -> bool {
        self.0.iter().all(|(_, v)| !v.is_valid(instance))
    }
}

/// `name` in our folder; in the upstream one the file of the same name, or for the answers that
/// have no file there (the POST answer, tokens, errors) an array of its swagger.json definition.
fn file_validator(name: &str) -> Schemas {
    let dirs = schema_dirs();
    let mut all = vec![];
    for (i, dir) in dirs.iter().enumerate() {
        let path = dir.join(name);
        let schema = if i == 0 || path.is_file() {
            read_json(path)
        } else {
            let definition = match name {
                "post-response.json" => "RequestResponse",
                "token-response.json" => "TokenResponse",
                _ => continue, // the upstream folder has no error schema
            };
            let swagger = read_json(dir.join("swagger.json"));
            let item = swagger["definitions"][definition].clone();
            assert!(item.is_object(), "swagger.json has no definition {definition}");
            json!({ "type": "array", "minItems": 1, "items": item })
        };
        all.push((dir.clone(), validator(dir, &schema)));
    }
    Schemas(all)
}

#[track_caller]
fn assert_valid(schemas: &Schemas, instance: &Value, what: &str) {
    for (dir, v) in &schemas.0 {
        let errors: Vec<String> =
            v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{what} does not validate against {}: {errors:#?}\n{instance:#}",
            dir.display()
        );
    }
}

#[track_caller]
fn assert_error(body: &Value, code: u16, field: &str) {
    assert_valid(&file_validator("errors.json"), body, "error");
    assert_eq!(body[0]["code"], json!(code), "{body}");
    let d = body[0]["description"].as_str().unwrap();
    assert!(d.starts_with(field), "error description {d:?} should name {field}");
}

/// Element names of the XML, with the path of each element, checked against the allowed names.
fn check_xml(xml: &str, root: &str, allowed: &[(&str, &[&str])]) -> roxmltree::Document<'static> {
    let doc = roxmltree::Document::parse(Box::leak(xml.to_owned().into_boxed_str()))
        .unwrap_or_else(|e| panic!("XML not well formed: {e}\n{xml}"));
    assert_eq!(doc.root_element().tag_name().name(), root);
    for node in doc.descendants().filter(|n| n.is_element()) {
        let Some(parent) = node.parent_element() else { continue };
        let parent_name = parent.tag_name().name();
        let name = node.tag_name().name();
        let children = allowed
            .iter()
            .find(|(p, _)| *p == parent_name)
            .unwrap_or_else(|| panic!("<{parent_name}> should have no child elements, has <{name}>"))
            .1;
        assert!(children.contains(&name), "<{name}> is not a child of <{parent_name}> in the spec");
    }
    doc
}

const SERVICE_FIELDS: &[&str] = &[
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
    // extension: the category's service level in hours (issue 15.4)
    "expected_hours",
];
const ATTRIBUTE_FIELDS: &[&str] =
    &["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"];
const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
    // extensions
    "detailed_status",
    "source",
    "servicerequestupdates",
    "followers",
];
const UPDATE_FIELDS: &[&str] =
    &["update_id", "status", "detailed_status", "description", "media_url", "updated_datetime"];

fn text_of<'a>(node: roxmltree::Node<'a, 'a>, name: &str) -> Option<&'a str> {
    node.children().find(|c| c.has_tag_name(name)).map(|c| c.text().unwrap_or(""))
}

#[tokio::test(flavor = "multi_thread")]
async fn services_and_definitions_validate_in_json_and_xml() {
    let s = Server::start();
    let services_schema = file_validator("services.json");
    let definition_schema = file_validator("service-definition.json");

    // The schemas are live: the looser types other servers send do not pass.
    let loose = json!([{"service_code": 7, "service_name": "x", "metadata": "true", "type": "realtime"}]);
    assert!(services_schema.rejects(&loose));
    assert!(file_validator("requests.json")
        .rejects(&json!([{"service_request_id": "1", "status": "pending",
        "service_code": "x", "requested_datetime": "yesterday"}])));

    let ar = s.get_json("services.json", 200).await;
    let en = s.get_json("services.json?locale=en&jurisdiction_id=gaza.ps", 200).await;
    assert_valid(&services_schema, &ar, "services.json");
    assert_valid(&services_schema, &en, "services.json?locale=en");
    let (ar, en) = (ar.as_array().unwrap(), en.as_array().unwrap());
    assert!(ar.len() >= 17, "{} services", ar.len());
    assert_eq!(ar.len(), en.len());
    // Arabic by default, English on request; suggestions in a group of their own.
    assert!(ar[0]["service_name"].as_str().unwrap().chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)));
    assert!(en[0]["service_name"].as_str().unwrap().is_ascii());
    let suggestions_ar: Vec<_> = ar.iter().filter(|s| s["group"] == "اقتراحات").collect();
    let suggestions_en: Vec<_> = en.iter().filter(|s| s["group"] == "suggestions").collect();
    assert!((2..=3).contains(&suggestions_en.len()));
    assert_eq!(suggestions_ar.len(), suggestions_en.len());
    for svc in ar {
        assert!(svc["metadata"].is_boolean() && svc["service_code"].is_string());
        // The extension `expected_hours`: a whole number of hours, at least 1, on every service.
        assert!(svc["expected_hours"].as_u64().is_some_and(|h| h >= 1), "{svc}");
    }
    // The water leak's service level in the sample data is a day.
    let leak = en.iter().find(|s| s["service_code"] == "water-leak").unwrap();
    assert_eq!(leak["expected_hours"], 24);

    // Every definition validates; together they use every datatype, with values on the lists.
    let mut datatypes = HashSet::new();
    for svc in en {
        let code = svc["service_code"].as_str().unwrap();
        let def = s.get_json(&format!("services/{code}.json?locale=en"), 200).await;
        assert_valid(&definition_schema, &def, code);
        assert_eq!(def["service_code"], svc["service_code"]);
        assert_eq!(def["expected_hours"], svc["expected_hours"], "{code}");
        let attrs = def["attributes"].as_array().unwrap();
        assert_eq!(svc["metadata"], json!(!attrs.is_empty()));
        let orders: Vec<i64> = attrs.iter().map(|a| a["order"].as_i64().unwrap()).collect();
        assert!(orders.windows(2).all(|w| w[0] < w[1]), "{code}: attributes in order");
        for a in attrs {
            let dt = a["datatype"].as_str().unwrap().to_owned();
            assert!(a["required"].is_boolean() && a["variable"].is_boolean());
            let lists = dt.ends_with("valuelist");
            assert_eq!(lists, a.get("values").is_some_and(|v| !v.as_array().unwrap().is_empty()), "{code}");
            datatypes.insert(dt);
        }
    }
    for dt in ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"] {
        assert!(datatypes.contains(dt), "no attribute of datatype {dt}");
    }

    // The same in XML.
    let xml = s.get("services.xml?locale=en", 200).await;
    let doc = check_xml(&xml, "services", &[("services", &["service"]), ("service", SERVICE_FIELDS)]);
    let codes: Vec<&str> = doc
        .root_element()
        .children()
        .filter(|n| n.is_element())
        .map(|n| text_of(n, "service_code").unwrap())
        .collect();
    let json_codes: Vec<&str> = en.iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    assert_eq!(codes, json_codes);
    let first = doc.root_element().first_element_child().unwrap();
    assert!(matches!(text_of(first, "metadata"), Some("true" | "false")));
    assert_eq!(
        text_of(first, "expected_hours"),
        en[0]["expected_hours"].as_u64().map(|h| h.to_string()).as_deref()
    );

    let xml = s.get("services/water-quality.xml", 200).await;
    let doc = check_xml(
        &xml,
        "service_definition",
        &[
            ("service_definition", &["service_code", "attributes", "expected_hours"]),
            ("attributes", &["attribute"]),
            ("attribute", ATTRIBUTE_FIELDS),
            ("values", &["value"]),
            ("value", &["key", "name"]),
        ],
    );
    let multi = doc
        .descendants()
        .find(|n| n.has_tag_name("attribute") && text_of(*n, "datatype") == Some("multivaluelist"))
        .expect("water-quality has a multivaluelist");
    assert!(multi.descendants().filter(|n| n.has_tag_name("value")).count() >= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn post_answer_requests_and_tokens_validate() {
    let s = Server::start();
    let tricky = "تسرب كبير <قرب> المدرسة & \"المسجد\" 'الكبير'";
    let (status, body) = s
        .post(
            "requests.json",
            &[
                ("api_key", DEMO_API_KEY),
                ("jurisdiction_id", "gaza.ps"),
                ("service_code", "water-leak"),
                ("lat", "31.5017"),
                ("long", "34.4668"),
                ("address_string", "شارع عمر المختار، الرمال، غزة"),
                ("description", tricky),
                ("attribute[severity]", "burst"),
                ("email", "citizen@example.ps"),
                ("phone", "0599123456"),
                ("account_id", "acct-77"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    assert_valid(&file_validator("post-response.json"), &created, "POST answer");
    let id = created[0]["service_request_id"].as_str().unwrap().to_owned();
    let token = created[0]["token"].as_str().unwrap().to_owned();
    assert_eq!(created[0]["account_id"], "acct-77");

    // A second one in XML: the answer is <service_requests><request>…
    let (status, xml) = s
        .post(
            "requests.xml",
            &[
                ("api_key", DEMO_API_KEY),
                ("service_code", "noise"),
                ("address_string", "الشيخ رضوان"),
                ("attribute[noise_source]", "generator"),
                ("attribute[occurred_at]", "2026-11-20T23:30:00+02:00"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{xml}");
    let doc = check_xml(
        &xml,
        "service_requests",
        &[
            ("service_requests", &["request"]),
            ("request", &["service_request_id", "token", "service_notice", "account_id"]),
        ],
    );
    let second =
        text_of(doc.root_element().first_element_child().unwrap(), "service_request_id").unwrap().to_owned();
    assert_ne!(second, id);

    let requests_schema = file_validator("requests.json");
    let list = s.get_json("requests.json", 200).await;
    assert_valid(&requests_schema, &list, "requests.json");
    assert_eq!(list.as_array().unwrap().len(), 2);
    let one = s.get_json(&format!("requests/{id}.json"), 200).await;
    assert_valid(&requests_schema, &one, "requests/{id}.json");
    assert_eq!(one.as_array().unwrap().len(), 1);
    let r = &one[0];
    assert_eq!(r["service_request_id"], json!(id));
    assert_eq!(r["status"], "open");
    assert_eq!(r["detailed_status"], "received");
    assert_eq!(r["source"], "app");
    assert_eq!(r["description"], tricky);
    assert!(r["lat"].is_f64() && r["long"].is_f64());
    assert_eq!(r["servicerequestupdates"].as_array().unwrap().len(), 1);
    // Contact fields are never public.
    let raw = s.get(&format!("requests/{id}.json"), 200).await;
    for secret in ["citizen@example.ps", "0599123456", "acct-77"] {
        assert!(!raw.contains(secret), "public request shows {secret}");
    }

    // XML of the list: the spec's names plus our extensions, and text that round-trips.
    let xml = s.get(&format!("requests/{id}.xml"), 200).await;
    let doc = check_xml(
        &xml,
        "service_requests",
        &[
            ("service_requests", &["request"]),
            ("request", REQUEST_FIELDS),
            ("servicerequestupdates", &["request_update"]),
            ("request_update", UPDATE_FIELDS),
        ],
    );
    let req = doc.root_element().first_element_child().unwrap();
    assert_eq!(text_of(req, "description"), Some(tricky));
    assert_eq!(text_of(req, "service_request_id"), Some(id.as_str()));
    assert!(!xml.contains("citizen@example.ps"));
    let xml = s.get("requests.xml", 200).await;
    let doc = check_xml(
        &xml,
        "service_requests",
        &[
            ("service_requests", &["request"]),
            ("request", REQUEST_FIELDS),
            ("servicerequestupdates", &["request_update"]),
            ("request_update", UPDATE_FIELDS),
        ],
    );
    assert_eq!(doc.root_element().children().filter(|n| n.has_tag_name("request")).count(), 2);

    // Tokens.
    let tokens = s.get_json(&format!("tokens/{token}.json"), 200).await;
    assert_valid(&file_validator("token-response.json"), &tokens, "tokens/{token}.json");
    assert_eq!(tokens[0]["service_request_id"], json!(id));
    assert_eq!(tokens[0]["token"], json!(token));
    let xml = s.get(&format!("tokens/{token}.xml"), 200).await;
    check_xml(
        &xml,
        "service_requests",
        &[("service_requests", &["request"]), ("request", &["service_request_id", "token"])],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn discovery_in_json_and_xml() {
    let s = Server::start();
    let d = s.get_json("discovery.json", 200).await;
    for key in ["changeset", "contact", "key_service"] {
        assert!(d[key].is_string(), "{key}");
    }
    let e = &d["endpoints"][0];
    assert_eq!(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert_eq!(e["type"], "production");
    assert_eq!(e["formats"], json!(["application/json", "text/xml"]));
    let url = e["url"].as_str().unwrap();
    assert_eq!(url, s.url("").trim_end_matches('/'));
    // The endpoint URL leads to a working API.
    assert!(s.http.get(format!("{url}/services.json")).send().await.unwrap().status().is_success());

    let xml = s.get("discovery.xml", 200).await;
    check_xml(
        &xml,
        "discovery",
        &[
            ("discovery", &["changeset", "contact", "key_service", "endpoints"]),
            ("endpoints", &["endpoint"]),
            ("endpoint", &["specification", "url", "changeset", "type", "formats"]),
            ("formats", &["format"]),
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_have_the_spec_shape_in_both_formats() {
    let s = Server::start();
    // 404: unknown jurisdiction, service code, request, token; a format other than json and xml.
    assert_error(&s.get_json("services.json?jurisdiction_id=ramallah.ps", 404).await, 404, "jurisdiction_id");
    assert_error(&s.get_json("services/no-such-thing.json", 404).await, 404, "service_code");
    assert_error(&s.get_json("requests/999999.json", 404).await, 404, "service_request_id");
    assert_error(&s.get_json("requests/not-a-number.json", 404).await, 404, "service_request_id");
    assert_error(&s.get_json("tokens/nope.json", 404).await, 404, "token");
    assert_error(&s.get_json("requests.json?jurisdiction_id=x", 404).await, 404, "jurisdiction_id");
    let resp = s.http.get(s.url("services/water-leak.csv")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert_error(&resp.json().await.unwrap(), 404, "format");

    // 400: bad filters, bad POST.
    assert_error(&s.get_json("requests.json?start_date=yesterday", 400).await, 400, "start_date");
    assert_error(&s.get_json("requests.json?status=pending", 400).await, 400, "status");
    let (status, body) = s
        .post("requests.json", &[("api_key", DEMO_API_KEY), ("service_code", "water-leak"), ("lat", "31.5")])
        .await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_valid(&file_validator("errors.json"), &body, "400");
    assert!(body.as_array().unwrap().iter().all(|e| e["code"] == 400));

    // 403: no or a wrong api_key.
    let (status, body) = s.post("requests.json", &[("service_code", "water-leak")]).await;
    assert_eq!(status, 403);
    assert_error(&serde_json::from_str(&body).unwrap(), 403, "api_key");
    let (status, body) =
        s.post("requests.json", &[("api_key", "stolen"), ("service_code", "water-leak")]).await;
    assert_eq!(status, 403);
    assert_error(&serde_json::from_str(&body).unwrap(), 403, "api_key");

    // The same errors in XML.
    let errors: &[(&str, &[&str])] = &[("errors", &["error"]), ("error", &["code", "description"])];
    for (path, code) in [
        ("services.xml?jurisdiction_id=x", "404"),
        ("services/nope.xml", "404"),
        ("requests.xml?end_date=soon", "400"),
    ] {
        let status: u16 = code.parse().unwrap();
        let xml = s.get(path, status).await;
        let doc = check_xml(&xml, "errors", errors);
        let e = doc.root_element().first_element_child().unwrap();
        assert_eq!(text_of(e, "code"), Some(code), "{path}");
        assert!(!text_of(e, "description").unwrap().is_empty());
    }
    let (status, xml) = s.post("requests.xml", &[("api_key", "stolen")]).await;
    assert_eq!(status, 403);
    let doc = check_xml(&xml, "errors", errors);
    assert_eq!(text_of(doc.root_element().first_element_child().unwrap(), "code"), Some("403"));
}

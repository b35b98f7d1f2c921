//! Questions (issue 15.1), end to end against the real server: a citizen asks about a service from
//! the app (a request in the `questions` group), staff answer it with a reply that reaches the
//! app like a complaint's, the editor publishes it on the guide service in the staff console, and
//! the next citizen finds it offline through the guide search.

use std::time::Duration;

use baladiya_core::complaints::{AttributeAnswer, ComplaintDraft};
use baladiya_tests::{app, complaints_app, http_client, TestServer, STAFF_TOKEN};

const PASSWORD: &str = "baladiya-demo";
const QUESTION: &str = "هل أحتاج موافقة الجيران لإضافة طابق ثانٍ فوق بيتي؟";
const ANSWER: &str = "لا تلزم موافقة الجيران، لكن يلزم مخطط إنشائي معتمد من مهندس.";

/// A signed-in console session for `user`: (cookie header, CSRF token of the page at `path`).
async fn console(base: &str, user: &str, path: &str) -> (String, String) {
    let http = http_client();
    let cookie_of = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(|v| v.split(';').next().unwrap_or("").to_owned())
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    let csrf_of = |page: &str| {
        let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        page[at..].split('"').next().unwrap().to_owned()
    };
    let form = http.get(format!("{base}staff/login")).send().await.unwrap();
    let login_cookie = cookie_of(&form, "baladiya_login");
    let csrf = csrf_of(&form.text().await.unwrap());
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed_in = no_redirects
        .post(format!("{base}staff/login"))
        .header("Cookie", login_cookie)
        .form(&[("csrf", csrf.as_str()), ("username", user), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303, "{user} signs in");
    let session = cookie_of(&signed_in, "baladiya_staff");
    let page = http.get(format!("{base}{path}")).header("Cookie", &session).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().await.unwrap());
    (session, csrf)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_answered_and_published_is_found_in_the_guide_offline() {
    let mut server = TestServer::start();
    let base = server.url();
    let http = http_client();

    // The citizen asks from the app, about the building permit.
    let asker_dir = tempfile::tempdir().unwrap();
    let asker = complaints_app(asker_dir.path(), &base, Duration::from_secs(10));
    asker.refresh_complaint_categories().await.unwrap();
    let categories = asker.complaint_categories().unwrap();
    let question_kinds: Vec<_> = categories.iter().filter(|c| c.code.starts_with("question-")).collect();
    assert_eq!(question_kinds.len(), 3, "three kinds of question in a group of their own");
    let draft = ComplaintDraft {
        service_code: "question-service".into(),
        description: QUESTION.into(),
        attributes: vec![AttributeAnswer {
            code: "guide_service".into(),
            values: vec!["building-permit".into()],
        }],
        // Open311 wants a place with every request: a question gives the neighbourhood.
        location: None,
        address: Some("حي الرمال".into()),
        contact: None,
    };
    let local = asker.submit_complaint(draft, &[]).unwrap();
    asker.flush_complaints().await.unwrap();
    let id = asker.complaint(&local).unwrap().server_id.expect("sent");

    // Staff answer it: the answer is the request's reply, and reaches the citizen's app.
    let answered = http
        .post(format!("{base}api/v1/staff/requests/{id}/actions"))
        .bearer_auth(STAFF_TOKEN)
        .json(&serde_json::json!({"action": "reply", "note": ANSWER}))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    asker.refresh_complaints().await.unwrap();
    let seen = asker.complaint(&local).unwrap();
    assert!(seen.updates.iter().any(|u| u.description == ANSWER), "{:?}", seen.updates);

    // Another citizen's app, synced before: the guide does not know the question yet.
    let next_dir = tempfile::tempdir().unwrap();
    let next = app(next_dir.path(), &base);
    next.sync_guide().await.unwrap();
    let found = |core: &baladiya_core::Baladiya| {
        core.search_guide("موافقة الجيران", 5).unwrap().iter().any(|h| h.id == "building-permit")
    };
    assert!(!found(&next), "not in the guide before it is published");

    // The editor publishes it; the dispatcher may not.
    let (cookie, csrf) = console(&base, "dispatcher", "staff/inbox").await;
    let refused = http
        .post(format!("{base}staff/guide/faq/{id}"))
        .header("Cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("service_id", "building-permit"),
            ("question_ar", QUESTION),
            ("answer_ar", ANSWER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let (cookie, csrf) = console(&base, "editor", "staff/guide/faq").await;
    let page = http.get(format!("{base}staff/guide/faq")).header("Cookie", &cookie).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains(QUESTION) && page.contains(ANSWER), "prefilled from the request and its reply");
    assert!(page.contains("option value=\"building-permit\" selected"), "the service the citizen named");
    let publish = |csrf: String, cookie: String| {
        let http = http.clone();
        let url = format!("{base}staff/guide/faq/{id}");
        async move {
            http.post(url)
                .header("Cookie", cookie)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("service_id", "building-permit"),
                    ("question_ar", QUESTION),
                    ("answer_ar", ANSWER),
                    ("question_en", "Do I need my neighbours' consent to add a second floor?"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let no_redirect = publish(csrf.clone(), cookie.clone()).await;
    assert!(no_redirect.status().is_success(), "{}", no_redirect.status());
    assert!(no_redirect.url().as_str().ends_with("/staff/guide/faq?done=faq"), "{}", no_redirect.url());
    assert_eq!(publish(csrf, cookie).await.status(), 409, "published once");

    // The next citizen's app syncs (a small delta) and then finds it with the server gone.
    let delta = next.sync_guide().await.unwrap();
    assert!(!delta.full && delta.services_updated == 1, "{delta:?}");
    server.stop();
    assert!(found(&next), "found offline");
    let faq = &next.service("building-permit").unwrap().faqs[0];
    assert_eq!((faq.question.ar.as_str(), faq.answer.ar.as_str()), (QUESTION, ANSWER));
    assert_eq!(faq.answer.en, ANSWER, "an English text left empty reads the Arabic");
    assert_eq!(faq.request_id.as_deref(), Some(id.as_str()));
}

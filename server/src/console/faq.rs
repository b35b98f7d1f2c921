//! Citizens' questions into the guide (issue 15.1). A question is a request in the `questions`
//! group, answered by staff with a reply like any request. The editor (and the admin) sees the
//! answered ones here and publishes one as a frequently asked question on a guide service: the
//! question and the answer in Arabic (prefilled from the request and its latest reply, edited as
//! needed) and optionally in English, saved through [`catalogue::put_service`], so it is a new
//! catalogue version that the app syncs and finds offline through its guide search. A question is
//! published once (its request id rides along in the FAQ).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baladiya_wire::{Faq, Localized, Service};
use maud::html;

use super::accounts::AccountRole;
use super::pages::{self, csrf, when_html};
use super::{field, internal, query, ConsoleState, Staff};
use crate::catalogue;
use crate::error::ApiError;
use crate::open311::store::parse_id;
use crate::sql::Conn;

/// The group of the question categories (Open311 services), like `suggestions`.
pub const QUESTIONS_GROUP: &str = "questions";
/// Answered questions shown, newest first.
const LIST_SIZE: i64 = 50;
/// A published question's or answer's length, in characters.
const MAX_CHARS: usize = 2000;

fn may_publish(staff: &Staff) -> bool {
    matches!(staff.account().role, AccountRole::Editor | AccountRole::Admin)
}

/// A question with the staff's latest reply to it.
struct Answered {
    id: i64,
    question: String,
    answer: String,
    asked_at: String,
    /// The guide service the citizen asked about, when they named one (`guide_service`).
    about: Option<String>,
}

fn answered(conn: &Conn, limit: i64) -> Result<Vec<Answered>, ApiError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, COALESCE(r.description, ''), r.requested_at, r.attributes,
                (SELECT u.note FROM open311_updates u WHERE u.request_id = r.id AND u.action = 'reply'
                 ORDER BY u.seq DESC LIMIT 1)
         FROM open311_requests r JOIN open311_services s ON s.service_code = r.service_code
         WHERE s.group_id = ?1 AND EXISTS
               (SELECT 1 FROM open311_updates u WHERE u.request_id = r.id AND u.action = 'reply')
         ORDER BY r.id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(crate::sql::params![QUESTIONS_GROUP, limit], |r| {
            let attributes: String = r.get(3)?;
            let about = serde_json::from_str::<serde_json::Value>(&attributes)
                .ok()
                .and_then(|v| v.get("guide_service").and_then(|s| s.as_str()).map(str::to_owned));
            Ok(Answered {
                id: r.get(0)?,
                question: r.get(1)?,
                asked_at: r.get(2)?,
                about,
                answer: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The service a request's question was published on, if any.
fn published_on(services: &[Service], request_id: i64) -> Option<&Service> {
    let id = request_id.to_string();
    services.iter().find(|s| s.faqs.iter().any(|f| f.request_id.as_deref() == Some(id.as_str())))
}

/// `GET /staff/guide/faq`: the answered questions, each with its publishing form.
pub(crate) async fn page(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    if !may_publish(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let loaded = st.db.call(|c| Ok((answered(c, LIST_SIZE)?, catalogue::read(c, None)?))).await;
    let (questions, guide) = match loaded {
        Ok(v) => v,
        Err(e) => return internal(lang, e),
    };
    let done = field(&query(&q), "done") == Some("faq");
    let l = lang.locale();
    let body = html! {
        h1 { (lang.t("أسئلة المواطنين المُجابة", "Citizens' answered questions")) }
        p { (lang.t(
            "انشر سؤالاً مع جوابه على خدمة في الدليل، فيجده المواطن التالي في البحث ولو دون اتصال.",
            "Publish a question and its answer on a guide service: the next citizen finds it in the search, even offline.",
        )) }
        @if done {
            p.notice.ok role="status" { (lang.t("نُشر؛ يصل إلى التطبيق مع المزامنة التالية.", "Published; the app gets it at its next sync.")) }
        }
        @if questions.is_empty() {
            p { (lang.t("لا أسئلة مُجابة بعد.", "No answered questions yet.")) }
        }
        @for a in &questions {
            section.faq-candidate aria-labelledby=(format!("q-{}", a.id)) {
                h2 #(format!("q-{}", a.id)) {
                    (lang.t("السؤال", "Question")) " " a href=(format!("/staff/requests/{}", a.id)) { "#" (a.id) }
                    " · " (when_html(&a.asked_at))
                }
                @if let Some(s) = published_on(&guide.services, a.id) {
                    p { (lang.t("منشور على خدمة: ", "Published on: ")) a href=(format!("/staff/guide/services/{}", s.id)) { (l.pick(&s.title)) } }
                    blockquote dir="auto" { (a.question) }
                } @else {
                    form.faq method="post" action=(format!("/staff/guide/faq/{}", a.id)) {
                        (csrf(&staff))
                        div.field {
                            label for=(format!("service-{}", a.id)) { (lang.t("الخدمة", "Service")) }
                            select id=(format!("service-{}", a.id)) name="service_id" required {
                                option value="" { (lang.t("اختر خدمة", "Choose a service")) }
                                @for s in &guide.services {
                                    option value=(s.id) selected[a.about.as_deref() == Some(s.id.as_str())] { (l.pick(&s.title)) }
                                }
                            }
                        }
                        div.grid {
                            div.field {
                                label for=(format!("qa-{}", a.id)) { (lang.t("السؤال بالعربية", "Question in Arabic")) }
                                textarea id=(format!("qa-{}", a.id)) name="question_ar" dir="rtl" lang="ar" required rows="3" { (a.question) }
                            }
                            div.field {
                                label for=(format!("qe-{}", a.id)) { (lang.t("السؤال بالإنجليزية (اختياري)", "Question in English (optional)")) }
                                textarea id=(format!("qe-{}", a.id)) name="question_en" dir="ltr" lang="en" rows="3" {}
                            }
                            div.field {
                                label for=(format!("aa-{}", a.id)) { (lang.t("الجواب بالعربية", "Answer in Arabic")) }
                                textarea id=(format!("aa-{}", a.id)) name="answer_ar" dir="rtl" lang="ar" required rows="4" { (a.answer) }
                            }
                            div.field {
                                label for=(format!("ae-{}", a.id)) { (lang.t("الجواب بالإنجليزية (اختياري)", "Answer in English (optional)")) }
                                textarea id=(format!("ae-{}", a.id)) name="answer_en" dir="ltr" lang="en" rows="4" {}
                            }
                        }
                        button type="submit" { (lang.t("انشر في الدليل", "Publish in the guide")) }
                    }
                }
            }
        }
    };
    pages::respond(
        StatusCode::OK,
        pages::page(lang, lang.t("الأسئلة المجابة", "Answered questions"), Some(&staff), "/staff/guide", body),
    )
}

/// A text of the form, through the server's text policy; empty when missing.
fn text(pairs: &[(String, String)], name: &str) -> String {
    crate::text::clean(field(pairs, name).unwrap_or("").trim())
}

/// `POST /staff/guide/faq/{request}`: publish that answered question on the chosen service.
pub(crate) async fn publish(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(request): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = match staff.posted_form(&body) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    if !may_publish(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let Some(request_id) = parse_id(&request) else {
        return pages::message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("لا يوجد سؤال بهذا الرقم.", "No such question."),
        );
    };
    let (q_ar, a_ar) = (text(&pairs, "question_ar"), text(&pairs, "answer_ar"));
    let (q_en, a_en) = (text(&pairs, "question_en"), text(&pairs, "answer_en"));
    let service_id = text(&pairs, "service_id");
    let too_long = [&q_ar, &a_ar, &q_en, &a_en].iter().any(|t| t.chars().count() > MAX_CHARS);
    if q_ar.is_empty() || a_ar.is_empty() || service_id.is_empty() || too_long {
        let msg = lang.t(
            "اختر خدمة واكتب السؤال والجواب بالعربية (2000 حرف على الأكثر لكل منهما).",
            "Choose a service and write the question and the answer in Arabic (at most 2000 characters each).",
        );
        return pages::message(lang, StatusCode::BAD_REQUEST, msg);
    }
    // An English text left empty reads the Arabic one (the guide's texts are never empty).
    let both = |ar: String, en: String| Localized { en: if en.is_empty() { ar.clone() } else { en }, ar };
    let faq = Faq {
        question: both(q_ar, q_en),
        answer: both(a_ar, a_en),
        request_id: Some(request_id.to_string()),
    };
    let outcome = st
        .db
        .call(move |c| {
            if !answered(c, i64::MAX)?.iter().any(|a| a.id == request_id) {
                return Ok(Err(StatusCode::NOT_FOUND));
            }
            let guide = catalogue::read(c, None)?;
            if published_on(&guide.services, request_id).is_some() {
                return Ok(Err(StatusCode::CONFLICT));
            }
            let Some(mut service) = guide.services.into_iter().find(|s| s.id == service_id) else {
                return Ok(Err(StatusCode::BAD_REQUEST));
            };
            service.faqs.push(faq);
            let id = service.id.clone();
            Ok(Ok((catalogue::put_service(c, &id, service)?, id)))
        })
        .await;
    match outcome {
        Ok(Ok((version, service_id))) => {
            let detail = format!("service={service_id} version={version}");
            staff.audit(&st, "faq_publish", Some(request_id), Some(detail)).await;
            Redirect::to("/staff/guide/faq?done=faq").into_response()
        }
        Ok(Err(status)) => {
            let msg = match status {
                StatusCode::CONFLICT => {
                    lang.t("نُشر هذا السؤال من قبل.", "This question is already published.")
                }
                StatusCode::BAD_REQUEST => {
                    lang.t("لا توجد هذه الخدمة في الدليل.", "That service is not in the guide.")
                }
                _ => lang.t("لا يوجد سؤال مُجاب بهذا الرقم.", "No answered question with that number."),
            };
            pages::message(lang, status, msg)
        }
        Err(e) => internal(lang, e),
    }
}

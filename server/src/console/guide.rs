//! The procedures and violations guide for the editor (and the admin): a service's titles,
//! summary, department, steps, documents, fees and time, or a violation's offence, fine, legal
//! basis and department, both languages side by side, one line per step, document or fee. Each
//! save goes through the staff API's own [`crate::catalogue::put_service`] and `put_violation`:
//! a new catalogue version that the app picks up as a delta. What the form does not show (a
//! service's channels, forms, keywords and category; a document's form and notes, kept by line)
//! stays as it was.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baladiya_wire::{
    DocumentForm, Fee, GuideResponse, Localized, ProcessingTime, RequiredDocument, Service, Violation,
};
use maud::{html, Markup};

use super::accounts::AccountRole;
use super::pages::{self, Lang};
use super::{field, internal, query, ConsoleState, Staff};
use crate::catalogue;
use crate::error::ApiError;
use crate::open311::submit::ascii_digits;

type Pairs = Vec<(String, String)>;

fn may_edit(staff: &Staff) -> bool {
    matches!(staff.account().role, AccountRole::Editor | AccountRole::Admin)
}

async fn guide(st: &ConsoleState) -> Result<GuideResponse, ApiError> {
    st.db.call(|c| catalogue::read(c, None)).await
}

fn lines(v: &str) -> Vec<String> {
    v.lines().map(|l| crate::text::clean(l.trim())).filter(|l| !l.is_empty()).collect()
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

/// An amount in shekels (`25`, `12.5`, `٢٥`) in agorot; `-` or empty: it depends.
fn amount(s: &str) -> Result<Option<i64>, String> {
    let s = ascii_digits(s.trim());
    if s.is_empty() || s == "-" {
        return Ok(None);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let ok = !whole.is_empty()
        && whole.len() <= 9
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err(format!("{s}: an amount in shekels, such as 25 or 12.50"));
    }
    let whole: i64 = whole.parse().map_err(|_| format!("{s}: too large"))?;
    let frac: i64 = format!("{frac:0<2}").parse().unwrap_or(0);
    Ok(Some(whole * 100 + frac))
}

fn shekels(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    }
}

/// An ISO 8601 duration such as `P14D`, `PT2H`, `P1M`.
fn iso_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else { return false };
    !rest.is_empty()
        && rest.bytes().all(|b| b.is_ascii_digit() || b"YMWDTHS".contains(&b))
        && rest.bytes().any(|b| b.is_ascii_digit())
        && !rest.ends_with('T')
}

fn service_pairs(s: &Service) -> Pairs {
    let p = |k: &str, v: String| (k.to_owned(), v);
    vec![
        p("title_ar", s.title.ar.clone()),
        p("title_en", s.title.en.clone()),
        p("summary_ar", s.summary.ar.clone()),
        p("summary_en", s.summary.en.clone()),
        p("department_id", s.department_id.clone()),
        p("steps_ar", joined(s.steps.iter().map(|x| x.ar.as_str()))),
        p("steps_en", joined(s.steps.iter().map(|x| x.en.as_str()))),
        p("docs_ar", joined(s.documents.iter().map(|d| d.name.ar.as_str()))),
        p("docs_en", joined(s.documents.iter().map(|d| d.name.en.as_str()))),
        p(
            "fee_amounts",
            s.fees
                .iter()
                .map(|f| f.amount_minor.map(shekels).unwrap_or_else(|| "-".into()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        p("fees_ar", joined(s.fees.iter().map(|f| f.description.ar.as_str()))),
        p("fees_en", joined(s.fees.iter().map(|f| f.description.en.as_str()))),
        p("time_iso", s.processing_time.iso8601.clone()),
        p("time_ar", s.processing_time.text.ar.clone()),
        p("time_en", s.processing_time.text.en.clone()),
    ]
}

/// The edited service, or every problem of the form.
fn edited_service(old: &Service, f: &Pairs) -> Result<Service, Vec<String>> {
    let mut errors = Vec::new();
    let get = |n: &str| crate::text::clean(field(f, n).unwrap_or("").trim());
    let both = |name: &str, errors: &mut Vec<String>| {
        let (ar, en) = (get(&format!("{name}_ar")), get(&format!("{name}_en")));
        if ar.is_empty() || en.is_empty() {
            errors.push(format!("{name}: Arabic and English are both required"));
        }
        Localized { ar, en }
    };
    let paired = |name: &str, errors: &mut Vec<String>| {
        let (ar, en) = (
            lines(field(f, &format!("{name}_ar")).unwrap_or("")),
            lines(field(f, &format!("{name}_en")).unwrap_or("")),
        );
        if ar.len() != en.len() {
            errors.push(format!(
                "{name}: {} lines in Arabic, {} in English; one line each per item",
                ar.len(),
                en.len()
            ));
        }
        ar.into_iter().zip(en).map(|(ar, en)| Localized { ar, en }).collect::<Vec<_>>()
    };
    let title = both("title", &mut errors);
    let summary = both("summary", &mut errors);
    let steps = paired("steps", &mut errors);
    if steps.is_empty() {
        errors.push("steps: at least one".into());
    }
    let documents = paired("docs", &mut errors)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let kept = old.documents.get(i);
            RequiredDocument {
                name,
                form: kept.map(|d| d.form).unwrap_or(DocumentForm::Original),
                notes: kept.and_then(|d| d.notes.clone()),
            }
        })
        .collect();
    let descriptions = paired("fees", &mut errors);
    let amounts: Vec<String> = field(f, "fee_amounts")
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if amounts.len() != descriptions.len() {
        errors.push(format!(
            "fees: {} amounts for {} descriptions; one line each per fee",
            amounts.len(),
            descriptions.len()
        ));
    }
    let currency = old.fees.first().map(|f| f.currency.clone()).unwrap_or_else(|| "ILS".into());
    let mut fees = Vec::new();
    for (i, (a, description)) in amounts.iter().zip(descriptions).enumerate() {
        match amount(a) {
            Ok(amount_minor) => fees.push(Fee {
                description,
                amount_minor,
                currency: currency.clone(),
                conditions: old.fees.get(i).and_then(|f| f.conditions.clone()),
            }),
            Err(e) => errors.push(format!("fees: {e}")),
        }
    }
    let iso = get("time_iso");
    if !iso_duration(&iso) {
        errors.push("time: an ISO 8601 duration such as P14D (days) or PT2H (hours)".into());
    }
    let text = both("time", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Service {
        title,
        summary,
        department_id: get("department_id"),
        steps,
        documents,
        fees,
        processing_time: ProcessingTime { iso8601: iso, text },
        ..old.clone()
    })
}

fn violation_pairs(v: &Violation) -> Pairs {
    let p = |k: &str, v: String| (k.to_owned(), v);
    vec![
        p("offence_ar", v.offence.ar.clone()),
        p("offence_en", v.offence.en.clone()),
        p("fine_min", shekels(v.fine_min_minor)),
        p("fine_max", shekels(v.fine_max_minor)),
        p("notes_ar", v.fine_notes.as_ref().map(|n| n.ar.clone()).unwrap_or_default()),
        p("notes_en", v.fine_notes.as_ref().map(|n| n.en.clone()).unwrap_or_default()),
        p("legal_ar", v.legal_basis.ar.clone()),
        p("legal_en", v.legal_basis.en.clone()),
        p("department_id", v.department_id.clone()),
    ]
}

fn edited_violation(old: &Violation, f: &Pairs) -> Result<Violation, Vec<String>> {
    let mut errors = Vec::new();
    let get = |n: &str| crate::text::clean(field(f, n).unwrap_or("").trim());
    let mut both = |name: &str, optional: bool| {
        let (ar, en) = (get(&format!("{name}_ar")), get(&format!("{name}_en")));
        if (ar.is_empty() || en.is_empty()) && !(optional && ar.is_empty() && en.is_empty()) {
            errors.push(format!("{name}: Arabic and English are both required"));
        }
        Localized { ar, en }
    };
    let offence = both("offence", false);
    let legal_basis = both("legal", false);
    let notes = both("notes", true);
    let mut fine = |n: &str| match amount(&get(n)) {
        Ok(Some(v)) => v,
        Ok(None) => {
            errors.push(format!("{n}: required"));
            0
        }
        Err(e) => {
            errors.push(format!("{n}: {e}"));
            0
        }
    };
    let (min, max) = (fine("fine_min"), fine("fine_max"));
    if min > max {
        errors.push("fine: the lowest is above the highest".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Violation {
        offence,
        fine_min_minor: min,
        fine_max_minor: max,
        fine_notes: Some(notes).filter(|n| !n.ar.is_empty()),
        legal_basis,
        department_id: get("department_id"),
        ..old.clone()
    })
}

pub(crate) async fn list(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let g = match guide(&st).await {
        Ok(g) => g,
        Err(e) => return internal(lang, e),
    };
    let done = field(&query(&q), "done").map(str::to_owned);
    let l = lang.locale();
    let body = html! {
        h1 { (lang.t("دليل الإجراءات والمخالفات", "Procedures and violations guide")) }
        @if let Some(id) = &done {
            p.notice.ok role="status" { (lang.t("حُفظ؛ يصل إلى التطبيق مع المزامنة التالية: ", "Saved; the app gets it at its next sync: ")) span dir="ltr" { (id) } }
        }
        p { (lang.t("إصدار الدليل: ", "Guide version: ")) (g.version) }
        p { a href="/staff/guide/faq" { (lang.t("أسئلة المواطنين المُجابة: انشرها في الدليل", "Citizens' answered questions: publish them in the guide")) } }
        div.grid {
            div.table-wrap {
                table {
                    caption { (lang.t("الخدمات", "Services")) }
                    thead { tr { th scope="col" { (lang.t("الخدمة", "Service")) } th scope="col" { (lang.t("الإصدار", "Version")) } } }
                    tbody {
                        @for s in &g.services {
                            tr {
                                td { a href=(format!("/staff/guide/services/{}", s.id)) { (l.pick(&s.title)) } }
                                td { (s.version) }
                            }
                        }
                    }
                }
            }
            div.table-wrap {
                table {
                    caption { (lang.t("المخالفات", "Violations")) }
                    thead { tr { th scope="col" { (lang.t("المخالفة", "Violation")) } th scope="col" { (lang.t("الإصدار", "Version")) } } }
                    tbody {
                        @for v in &g.violations {
                            tr {
                                td { a href=(format!("/staff/guide/violations/{}", v.id)) { (l.pick(&v.offence)) } }
                                td { (v.version) }
                            }
                        }
                    }
                }
            }
        }
    };
    pages::respond(
        StatusCode::OK,
        pages::page(lang, lang.t("الدليل", "Guide"), Some(&staff), "/staff/guide", body),
    )
}

fn text_pair(
    lang: Lang,
    f: &Pairs,
    name: &str,
    ar: &'static str,
    en: &'static str,
    rows: Option<u8>,
) -> Markup {
    let v = |k: &str| field(f, k).unwrap_or("").to_owned();
    let (ka, ke) = (format!("{name}_ar"), format!("{name}_en"));
    html! {
        div.pair {
            div {
                label for=(ka) { (lang.t(ar, en)) " — " (lang.t("بالعربية", "Arabic")) }
                @if let Some(r) = rows { textarea id=(ka) name=(ka) rows=(r) lang="ar" dir="rtl" { (v(&ka)) } }
                @else { input id=(ka) type="text" name=(ka) value=(v(&ka)) lang="ar" dir="rtl"; }
            }
            div {
                label for=(ke) { (lang.t(ar, en)) " — " (lang.t("بالإنجليزية", "English")) }
                @if let Some(r) = rows { textarea id=(ke) name=(ke) rows=(r) lang="en" dir="ltr" { (v(&ke)) } }
                @else { input id=(ke) type="text" name=(ke) value=(v(&ke)) lang="en" dir="ltr"; }
            }
        }
    }
}

fn departments(lang: Lang, g: &GuideResponse, f: &Pairs) -> Markup {
    let chosen = field(f, "department_id").unwrap_or("");
    html! {
        label for="department_id" { (lang.t("الدائرة", "Department")) }
        select #department_id name="department_id" {
            @for d in &g.departments {
                option value=(d.id) selected[d.id == chosen] { (lang.locale().pick(&d.name)) }
            }
        }
    }
}

fn edit_page(
    staff: &Staff,
    g: &GuideResponse,
    kind: &str,
    id: &str,
    title: &str,
    f: &Pairs,
    (errors, status): (&[String], StatusCode),
) -> Response {
    let lang = staff.lang;
    let action = format!("/staff/guide/{kind}/{id}");
    let body = html! {
        p.back { a href="/staff/guide" { (lang.t("← الدليل", "← Guide")) } }
        h1 { (title) }
        @if !errors.is_empty() {
            div.notice.error role="alert" { ul { @for e in errors { li dir="auto" { (e) } } } }
        }
        form.intake.wide method="post" action=(action) {
            input type="hidden" name="csrf" value=(staff.session.csrf);
            @if kind == "services" {
                (text_pair(lang, f, "title", "العنوان", "Title", None))
                (text_pair(lang, f, "summary", "الملخص", "Summary", Some(3)))
                (departments(lang, g, f))
                p.hint { (lang.t("سطر لكل خطوة ووثيقة ورسم، بالترتيب نفسه في اللغتين.", "One line per step, document and fee, in the same order in both languages.")) }
                (text_pair(lang, f, "steps", "الخطوات", "Steps", Some(6)))
                (text_pair(lang, f, "docs", "الوثائق المطلوبة", "Required documents", Some(4)))
                label for="fee_amounts" { (lang.t("مبالغ الرسوم بالشيكل (سطر لكل رسم؛ «-» إن كان يتوقف على الحالة)", "Fee amounts in shekels (one line per fee; \"-\" when it depends)")) }
                textarea #fee_amounts name="fee_amounts" rows="3" dir="ltr" { (field(f, "fee_amounts").unwrap_or("")) }
                (text_pair(lang, f, "fees", "وصف الرسوم", "Fee descriptions", Some(3)))
                label for="time_iso" { (lang.t("مدة الإنجاز (ISO 8601، مثل P14D)", "Processing time (ISO 8601, such as P14D)")) }
                input #time_iso type="text" name="time_iso" value=(field(f, "time_iso").unwrap_or("")) dir="ltr";
                (text_pair(lang, f, "time", "مدة الإنجاز بالكلمات", "Processing time in words", None))
            } @else {
                (text_pair(lang, f, "offence", "المخالفة", "Offence", Some(2)))
                div.pair {
                    div {
                        label for="fine_min" { (lang.t("أدنى غرامة (شيكل)", "Lowest fine (shekels)")) }
                        input #fine_min type="text" name="fine_min" inputmode="decimal" value=(field(f, "fine_min").unwrap_or("")) dir="ltr";
                    }
                    div {
                        label for="fine_max" { (lang.t("أعلى غرامة (شيكل)", "Highest fine (shekels)")) }
                        input #fine_max type="text" name="fine_max" inputmode="decimal" value=(field(f, "fine_max").unwrap_or("")) dir="ltr";
                    }
                }
                (text_pair(lang, f, "notes", "ملاحظات على الغرامة (اختيارية)", "Notes on the fine (optional)", None))
                (text_pair(lang, f, "legal", "السند القانوني", "Legal basis", None))
                (departments(lang, g, f))
            }
            button.primary type="submit" { (lang.t("حفظ إصدار جديد", "Save a new version")) }
        }
    };
    pages::respond(status, pages::page(lang, title, Some(staff), &format!("/staff/guide/{kind}/{id}"), body))
}

pub(crate) async fn edit(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path((kind, id)): Path<(String, String)>,
) -> Response {
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let g = match guide(&st).await {
        Ok(g) => g,
        Err(e) => return internal(lang, e),
    };
    let l = lang.locale();
    match kind.as_str() {
        "services" => match g.services.iter().find(|s| s.id == id) {
            Some(s) => edit_page(
                &staff,
                &g,
                "services",
                &id,
                l.pick(&s.title),
                &service_pairs(s),
                (&[], StatusCode::OK),
            ),
            None => not_found(lang),
        },
        "violations" => match g.violations.iter().find(|v| v.id == id) {
            Some(v) => edit_page(
                &staff,
                &g,
                "violations",
                &id,
                l.pick(&v.offence),
                &violation_pairs(v),
                (&[], StatusCode::OK),
            ),
            None => not_found(lang),
        },
        _ => not_found(lang),
    }
}

fn not_found(lang: Lang) -> Response {
    pages::message(lang, StatusCode::NOT_FOUND, lang.t("لا يوجد في الدليل.", "Not in the guide."))
}

pub(crate) async fn save(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path((kind, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let lang = staff.lang;
    let pairs = match staff.posted_form(&body) {
        Ok(pairs) => pairs,
        Err(refused) => return refused,
    };
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let g = match guide(&st).await {
        Ok(g) => g,
        Err(e) => return internal(lang, e),
    };
    let l = lang.locale();
    let result = match kind.as_str() {
        "services" => {
            let Some(old) = g.services.iter().find(|s| s.id == id) else { return not_found(lang) };
            match edited_service(old, &pairs) {
                Ok(s) => {
                    let id = id.clone();
                    st.db.call(move |c| catalogue::put_service(c, &id, s)).await
                }
                Err(errors) => {
                    return edit_page(
                        &staff,
                        &g,
                        "services",
                        &id,
                        l.pick(&old.title),
                        &pairs,
                        (&errors, StatusCode::BAD_REQUEST),
                    )
                }
            }
        }
        "violations" => {
            let Some(old) = g.violations.iter().find(|v| v.id == id) else { return not_found(lang) };
            match edited_violation(old, &pairs) {
                Ok(v) => {
                    let id = id.clone();
                    st.db.call(move |c| catalogue::put_violation(c, &id, v)).await
                }
                Err(errors) => {
                    return edit_page(
                        &staff,
                        &g,
                        "violations",
                        &id,
                        l.pick(&old.offence),
                        &pairs,
                        (&errors, StatusCode::BAD_REQUEST),
                    )
                }
            }
        }
        _ => return not_found(lang),
    };
    match result {
        Ok(version) => {
            staff.audit(&st, "guide_edit", None, Some(format!("{kind}/{id} version={version}"))).await;
            Redirect::to(&format!("/staff/guide?done={kind}/{id}")).into_response()
        }
        Err(ApiError::BadRequest(e)) => {
            let title = id.clone();
            edit_page(&staff, &g, &kind, &id, &title, &pairs, (&[e], StatusCode::BAD_REQUEST))
        }
        Err(e) => internal(lang, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_shekels_of_any_digits() {
        assert_eq!(amount("25"), Ok(Some(2500)));
        assert_eq!(amount("12.5"), Ok(Some(1250)));
        assert_eq!(amount("٢٥"), Ok(Some(2500)));
        assert_eq!(amount("-"), Ok(None));
        assert!(amount("12.345").is_err() && amount("abc").is_err());
        assert_eq!(shekels(1250), "12.50");
        assert!(
            iso_duration("P14D") && iso_duration("PT2H") && !iso_duration("14 days") && !iso_duration("PT")
        );
    }
}

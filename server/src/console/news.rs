//! News for the editor (and the admin): write in Arabic and English, preview as the app will show
//! it, publish (important or not), mark a published item important (or not), withdraw. The same checks and storage as the staff API's
//! `POST /api/v1/staff/news` ([`crate::news::prepare`]): the app's next news sync brings it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use baladiya_wire::{Localized, NewsCategory, NewsItem};
use chrono::{SecondsFormat, Utc};
use maud::{html, Markup};

use super::accounts::AccountRole;
use super::pages::{self, Lang};
use super::{field, internal, ConsoleState, Staff};
use crate::news::{self, store, Publish};

const CATEGORIES: [(NewsCategory, &str, &str, &str); 5] = [
    (NewsCategory::Announcement, "announcement", "إعلان", "Announcement"),
    (NewsCategory::WaterSchedule, "water_schedule", "جدول توزيع المياه", "Water schedule"),
    (NewsCategory::ServiceInterruption, "service_interruption", "انقطاع خدمة", "Service interruption"),
    (NewsCategory::Project, "project", "مشروع", "Project"),
    (NewsCategory::Event, "event", "فعالية", "Event"),
];

fn may_edit(staff: &Staff) -> bool {
    matches!(staff.account().role, AccountRole::Editor | AccountRole::Admin)
}

/// The form's values, kept when it is shown again.
#[derive(Default)]
struct Draft {
    title_ar: String,
    title_en: String,
    body_ar: String,
    body_en: String,
    category: String,
    image_url: String,
    important: bool,
}

impl Draft {
    fn from(pairs: &[(String, String)]) -> Draft {
        let get = |n: &str| field(pairs, n).unwrap_or("").to_owned();
        Draft {
            title_ar: get("title_ar"),
            title_en: get("title_en"),
            body_ar: get("body_ar"),
            body_en: get("body_en"),
            category: get("category"),
            image_url: get("image_url"),
            important: field(pairs, "important").is_some(),
        }
    }

    fn to_publish(&self) -> Result<Publish, String> {
        let category = CATEGORIES
            .iter()
            .find(|(_, key, _, _)| *key == self.category)
            .map(|(c, _, _, _)| *c)
            .ok_or("category: choose one")?;
        Ok(Publish {
            id: None,
            title: Localized { ar: self.title_ar.clone(), en: self.title_en.clone() },
            body: Localized { ar: self.body_ar.clone(), en: self.body_en.clone() },
            published_at: None,
            category,
            image_url: Some(self.image_url.clone()).filter(|u| !u.trim().is_empty()),
            important: self.important,
        })
    }
}

/// The body as the app shows it: paragraphs, `- ` lists, `**bold**` (links stay text).
fn render_body(body: &str) -> Markup {
    let bold = |line: &str| {
        html! {
            @for (i, part) in line.split("**").enumerate() {
                @if i % 2 == 1 { strong { (part) } } @else { (part) }
            }
        }
    };
    html! {
        @for block in body.split("\n\n").map(str::trim).filter(|b| !b.is_empty()) {
            @if block.lines().all(|l| l.trim_start().starts_with("- ")) {
                ul { @for l in block.lines() { li { (bold(l.trim_start().trim_start_matches("- "))) } } }
            } @else {
                p { @for (i, l) in block.lines().enumerate() { @if i > 0 { br; } (bold(l)) } }
            }
        }
    }
}

fn preview(lang: Lang, item: &NewsItem) -> Markup {
    html! {
        section.preview aria-labelledby="h-preview" {
            h2 #h-preview { (lang.t("معاينة كما سيظهر في التطبيق", "Preview as the app will show it")) }
            div.pair {
                article lang="ar" dir="rtl" {
                    @if item.important { p.badge.s-in_progress { "مهم" } }
                    h3 { (item.title.ar) }
                    (render_body(&item.body.ar))
                }
                article lang="en" dir="ltr" {
                    @if item.important { p.badge.s-in_progress { "Important" } }
                    h3 { (item.title.en) }
                    (render_body(&item.body.en))
                }
            }
        }
    }
}

async fn show(
    st: &ConsoleState,
    staff: &Staff,
    status: StatusCode,
    draft: &Draft,
    errors: &[String],
    shown: Option<&NewsItem>,
    done: bool,
) -> Response {
    let lang = staff.lang;
    let items = match st.db.call(|c| store::page(c, 50, None)).await {
        Ok((items, _)) => items,
        Err(e) => return internal(lang, e),
    };
    let csrf = staff.session.csrf.clone();
    let body = html! {
        h1 { (lang.t("الأخبار", "News")) }
        @if done { p.notice.ok role="status" { (lang.t("نُشر الخبر.", "The news item is published.")) } }
        @if !errors.is_empty() {
            div.notice.error role="alert" { ul { @for e in errors { li dir="auto" { (e) } } } }
        }
        @if let Some(item) = shown { (preview(lang, item)) }
        form.intake method="post" action="/staff/news" {
            input type="hidden" name="csrf" value=(csrf);
            h2 { (lang.t("خبر جديد", "A new item")) }
            div.pair {
                div {
                    label for="title_ar" { (lang.t("العنوان بالعربية", "Title in Arabic")) }
                    input #title_ar type="text" name="title_ar" value=(draft.title_ar) lang="ar" dir="rtl" required maxlength="200";
                    label for="body_ar" { (lang.t("النص بالعربية", "Text in Arabic")) }
                    textarea #body_ar name="body_ar" rows="8" lang="ar" dir="rtl" required { (draft.body_ar) }
                }
                div {
                    label for="title_en" { (lang.t("العنوان بالإنجليزية", "Title in English")) }
                    input #title_en type="text" name="title_en" value=(draft.title_en) lang="en" dir="ltr" required maxlength="200";
                    label for="body_en" { (lang.t("النص بالإنجليزية", "Text in English")) }
                    textarea #body_en name="body_en" rows="8" lang="en" dir="ltr" required { (draft.body_en) }
                }
            }
            p.hint { (lang.t(
                "فقرات يفصلها سطر فارغ، وقوائم بسطور تبدأ بـ «- »، و**عريض**، وروابط https فقط.",
                "Paragraphs separated by an empty line, lists of lines starting with \"- \", **bold**, https links only."
            )) }
            label for="category" { (lang.t("النوع", "Category")) }
            select #category name="category" {
                @for (_, key, ar, en) in CATEGORIES {
                    option value=(key) selected[draft.category == key] { (lang.t(ar, en)) }
                }
            }
            label for="image_url" { (lang.t("رابط صورة (https، اختياري)", "Image link (https, optional)")) }
            input #image_url type="url" name="image_url" value=(draft.image_url) dir="ltr";
            div.check {
                input #important type="checkbox" name="important" value="1" checked[draft.important];
                label for="important" { (lang.t("مهم: يُرسل إشعار للمشتركين", "Important: subscribers get a notification")) }
            }
            div.field.actions {
                button type="submit" name="op" value="preview" { (lang.t("معاينة", "Preview")) }
                button.primary type="submit" name="op" value="publish" { (lang.t("نشر", "Publish")) }
            }
        }
        h2 { (lang.t("المنشور", "Published")) }
        div.table-wrap {
            table {
                caption { (lang.t("آخر 50 خبراً", "The last 50 items")) }
                thead { tr {
                    th scope="col" { (lang.t("العنوان", "Title")) }
                    th scope="col" { (lang.t("النشر", "Published")) }
                    th scope="col" { (lang.t("مهم", "Important")) }
                    th scope="col" { (lang.t("إجراء", "Action")) }
                } }
                tbody {
                    @for item in &items {
                        tr {
                            td { (lang.locale().pick(&item.title)) }
                            td { time datetime=(item.published_at) { span { (item.published_at.get(0..10).unwrap_or("")) } } }
                            td { @if item.important { (lang.t("نعم", "yes")) } }
                            td {
                                form.inline method="post" action=(format!("/staff/news/{}/important", item.id)) {
                                    input type="hidden" name="csrf" value=(staff.session.csrf);
                                    input type="hidden" name="important" value=(if item.important { "0" } else { "1" });
                                    button type="submit" {
                                        @if item.important { (lang.t("إلغاء «مهم»", "Not important")) } @else { (lang.t("وضع علامة «مهم»", "Mark important")) }
                                    }
                                }
                                form.inline method="post" action=(format!("/staff/news/{}/withdraw", item.id)) {
                                    input type="hidden" name="csrf" value=(staff.session.csrf);
                                    button.danger type="submit" { (lang.t("سحب", "Withdraw")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    pages::respond(status, pages::page(lang, lang.t("الأخبار", "News"), Some(staff), "/staff/news", body))
}

pub(crate) async fn page(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    q: axum::extract::RawQuery,
) -> Response {
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let done = field(&super::query(&q), "done").is_some();
    let draft = Draft { category: "announcement".into(), ..Draft::default() };
    show(&st, &staff, StatusCode::OK, &draft, &[], None, done).await
}

pub(crate) async fn submit(staff: Staff, State(st): State<Arc<ConsoleState>>, body: Bytes) -> Response {
    let lang = staff.lang;
    let pairs = match staff.posted_form(&body) {
        Ok(pairs) => pairs,
        Err(refused) => return refused,
    };
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let draft = Draft::from(&pairs);
    let now = Utc::now();
    let item = match draft.to_publish().and_then(|p| news::prepare(p, now)) {
        Ok(item) => item,
        Err(e) => return show(&st, &staff, StatusCode::BAD_REQUEST, &draft, &[e], None, false).await,
    };
    if field(&pairs, "op") != Some("publish") {
        return show(&st, &staff, StatusCode::OK, &draft, &[], Some(&item), false).await;
    }
    let mut item = item;
    item.id = match news::new_id(now) {
        Ok(id) => id,
        Err(e) => return internal(lang, e),
    };
    let id = item.id.clone();
    match st.db.call(move |c| store::publish(c, &item)).await {
        Ok(Some(_)) => {
            staff.audit(&st, "news_publish", None, Some(format!("id={id}"))).await;
            Redirect::to("/staff/news?done=1").into_response()
        }
        Ok(None) => internal(lang, crate::error::ApiError::Internal("news id already used".into())),
        Err(e) => internal(lang, e),
    }
}

pub(crate) async fn withdraw(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let lang = staff.lang;
    if let Err(refused) = staff.posted_form(&body) {
        return refused;
    }
    if !may_edit(&staff) {
        return staff.forbidden();
    }
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let which = id.clone();
    match st.db.call(move |c| store::withdraw(c, &which, &now)).await {
        Ok(Some(_)) => {
            staff.audit(&st, "news_withdraw", None, Some(format!("id={id}"))).await;
            Redirect::to("/staff/news").into_response()
        }
        Ok(None) => pages::message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("لا يوجد خبر بهذا الرقم.", "No such news item."),
        ),
        Err(e) => internal(lang, e),
    }
}

pub(crate) async fn important(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
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
    let important = field(&pairs, "important") == Some("1");
    let which = id.clone();
    match st.db.call(move |c| store::set_important(c, &which, important)).await {
        Ok(Some(_)) => {
            staff.audit(&st, "news_important", None, Some(format!("id={id} important={important}"))).await;
            Redirect::to("/staff/news").into_response()
        }
        Ok(None) => pages::message(
            lang,
            StatusCode::NOT_FOUND,
            lang.t("لا يوجد خبر بهذا الرقم.", "No such news item."),
        ),
        Err(e) => internal(lang, e),
    }
}

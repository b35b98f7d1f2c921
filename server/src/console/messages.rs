//! Channel messages (WhatsApp, Messenger) waiting for the public-relations team: the list of
//! intake items, newest first, filtered by channel and status; one item with every message, the
//! tracking number it quotes, and its three ways out: make a request (the intake form, prefilled),
//! attach it to a request (an internal note there), dismiss it. For the dispatcher (public
//! relations) and the admin only: the items carry the senders' numbers and names.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::accounts::AccountRole;
use super::pages::{self, csrf, source_label, when_html, Lang};
use super::{field, internal, query, ConsoleState, Staff};
use crate::channels::handle::{self, Handled};
use crate::channels::store::{self as intake, Item, STATUSES};
use crate::open311::staff::StaffError;
use crate::open311::store;

/// Items per page of the list.
const LIST_SIZE: u32 = 200;
/// The last page one can ask for (50,000 items back).
const MAX_PAGE: u32 = 250;

pub(crate) fn may_handle(staff: &Staff) -> bool {
    matches!(staff.account().role, AccountRole::Dispatcher | AccountRole::Admin)
}

fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "new" => lang.t("جديدة", "New"),
        "request" => lang.t("صارت بلاغاً", "Made into a request"),
        "attached" => lang.t("أُلحقت ببلاغ", "Attached to a request"),
        _ => lang.t("مستبعدة", "Dismissed"),
    }
}

fn channel_label(lang: Lang, c: &str) -> &'static str {
    source_label(lang, c)
}

/// The sender as the team sees them: the name if given, and the number (WhatsApp) or the page-scoped
/// id (Messenger).
fn sender(item: &Item) -> String {
    if item.sender_id.is_empty() {
        return "—".into();
    }
    let id = if item.channel == "whatsapp" { format!("+{}", item.sender_id) } else { item.sender_id.clone() };
    match &item.sender_name {
        Some(n) => format!("{n} ({id})"),
        None => id,
    }
}

/// A message's kind in the page's language (Messenger's several attachments read `image+image`).
fn kind_label(lang: Lang, kind: &str) -> String {
    kind.split('+')
        .map(|k| match k {
            "text" => lang.t("نص", "text"),
            "image" => lang.t("صورة", "image"),
            "location" => lang.t("موقع", "location"),
            "audio" => lang.t("تسجيل صوتي", "audio"),
            "video" => lang.t("فيديو", "video"),
            "document" | "file" => lang.t("ملف", "file"),
            "sticker" => lang.t("ملصق", "sticker"),
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn preview(item: &Item) -> String {
    let text = item.text();
    let mut p: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        p.push('…');
    }
    p
}

pub(crate) async fn list(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    if !may_handle(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let pairs = query(&q);
    let channel =
        field(&pairs, "channel").filter(|c| ["whatsapp", "facebook"].contains(c)).map(str::to_owned);
    let status = field(&pairs, "status").filter(|s| STATUSES.contains(s)).map(str::to_owned);
    let page = field(&pairs, "page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).clamp(1, MAX_PAGE);
    let (c2, s2) = (channel.clone(), status.clone());
    let offset = (page - 1) * LIST_SIZE;
    // One more than a page: whether there are older ones.
    let mut items =
        match st.db.call(move |c| intake::list(c, c2.as_deref(), s2.as_deref(), LIST_SIZE + 1, offset)).await
        {
            Ok(items) => items,
            Err(e) => return internal(lang, e),
        };
    let older = items.len() > LIST_SIZE as usize;
    items.truncate(LIST_SIZE as usize);
    let page_link = |p: u32| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(c) = &channel {
            q.append_pair("channel", c);
        }
        if let Some(s) = &status {
            q.append_pair("status", s);
        }
        q.append_pair("page", &p.to_string());
        format!("/staff/messages?{}", q.finish())
    };
    // Messages the sender gave up on (see channels::outbound): the team answers these by hand.
    let failed = match st.db.call(|c| crate::channels::outbound::list(c, Some("failed"), LIST_SIZE)).await {
        Ok(rows) => rows,
        Err(e) => return internal(lang, e),
    };
    let body = html! {
        h1 { (lang.t("رسائل القنوات", "Channel messages")) }
        @if !failed.is_empty() {
            section.outbound-failed {
                h2 { (lang.t("رسائل صادرة لم تُرسل", "Outgoing messages not sent")) }
                table {
                    thead { tr {
                        th { "#" } th { (lang.t("القناة", "Channel")) } th { (lang.t("النوع", "Kind")) }
                        th { (lang.t("البلاغ", "Request")) } th { (lang.t("المحاولات", "Attempts")) }
                        th { (lang.t("الخطأ", "Error")) } th { (lang.t("أنشئت", "Created")) }
                        th { (lang.t("إجراء", "Action")) }
                    } }
                    tbody {
                        @for row in &failed {
                            tr.failed {
                                td { (row.id) }
                                td { (channel_label(lang, &row.channel)) }
                                td { (row.kind) }
                                td { @if let Some(r) = row.request_id { a href=(format!("/staff/requests/{r}")) { "#" (r) } } }
                                td { (row.attempts) }
                                td dir="ltr" { (row.last_error.as_deref().unwrap_or("")) }
                                td { (when_html(&row.created_at)) }
                                td {
                                    form.inline method="post" action=(format!("/staff/messages/outbound/{}/retry", row.id)) {
                                        (csrf(&staff))
                                        button type="submit" aria-label=(format!("{} #{}", lang.t("أعد إرسال الرسالة", "Send message again"), row.id)) {
                                            (lang.t("أعد الإرسال", "Send again"))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        form.filters method="get" action="/staff/messages" {
            div.field {
                label for="channel" { (lang.t("القناة", "Channel")) }
                select #channel name="channel" {
                    option value="" { (lang.t("الكل", "All")) }
                    @for c in ["whatsapp", "facebook"] {
                        option value=(c) selected[channel.as_deref() == Some(c)] { (channel_label(lang, c)) }
                    }
                }
            }
            div.field {
                label for="status" { (lang.t("الحالة", "Status")) }
                select #status name="status" {
                    option value="" { (lang.t("الكل", "All")) }
                    @for s in STATUSES {
                        option value=(s) selected[status.as_deref() == Some(s)] { (status_label(lang, s)) }
                    }
                }
            }
            div.field.actions { button type="submit" { (lang.t("عرض", "Show")) } }
        }
        @if items.is_empty() {
            p { (lang.t("لا رسائل.", "No messages.")) }
        } @else {
            table {
                caption { (lang.t("الأحدث أولاً", "Newest first")) }
                thead { tr {
                    th { "#" } th { (lang.t("القناة", "Channel")) } th { (lang.t("المرسل", "Sender")) }
                    th { (lang.t("الرسالة", "Message")) } th { (lang.t("آخر رسالة", "Latest")) } th { (lang.t("الحالة", "Status")) }
                } }
                tbody {
                    @for item in &items {
                        tr {
                            td { a href=(format!("/staff/messages/{}", item.id)) { (item.id) } }
                            td { (channel_label(lang, &item.channel)) }
                            td dir="auto" { (sender(item)) }
                            td dir="auto" {
                                (preview(item))
                                @if item.messages.iter().any(|m| m.media_ref.is_some()) { " 🖼" }
                                @if item.location().is_some() { " 📍" }
                            }
                            td { (when_html(&item.last_at)) }
                            td {
                                (status_label(lang, &item.status))
                                @if let Some(r) = item.request_id { " " a href=(format!("/staff/requests/{r}")) { "#" (r) } }
                            }
                        }
                    }
                }
            }
        }
        @if page > 1 || older {
            nav.pager aria-label=(lang.t("صفحات الرسائل", "Message pages")) {
                @if page > 1 { a href=(page_link(page - 1)) rel="prev" { (lang.t("الأحدث", "Newer")) } " " }
                span { (lang.t("صفحة", "Page")) " " (page) }
                @if older { " " a href=(page_link(page + 1)) rel="next" { (lang.t("الأقدم", "Older")) } }
            }
        }
    };
    pages::respond(
        StatusCode::OK,
        pages::page(lang, lang.t("رسائل القنوات", "Channel messages"), Some(&staff), "/staff/messages", body),
    )
}

async fn load(st: &ConsoleState, lang: Lang, id: &str) -> Result<Item, Response> {
    let Some(id) = store::parse_id(id) else {
        return Err(super::staff_error(lang, StaffError(StatusCode::NOT_FOUND, String::new())));
    };
    match st.db.call(move |c| intake::get(c, id)).await {
        Ok(Some(item)) => Ok(item),
        Ok(None) => Err(super::staff_error(lang, StaffError(StatusCode::NOT_FOUND, String::new()))),
        Err(e) => Err(internal(lang, e)),
    }
}

pub(crate) async fn detail(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Response {
    if !may_handle(&staff) {
        return staff.forbidden();
    }
    let item = match load(&st, staff.lang, &id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let done = field(&query(&q), "done").map(str::to_owned);
    show(&staff, &item, StatusCode::OK, None, done.as_deref())
}

fn show(staff: &Staff, item: &Item, status: StatusCode, error: Option<&str>, done: Option<&str>) -> Response {
    let lang = staff.lang;
    let tracking = item.tracking_number();
    let body = html! {
        h1 { (lang.t("رسالة من ", "Message by ")) (channel_label(lang, &item.channel)) " #" (item.id) }
        @if let Some(e) = error { p.notice.error role="alert" { (e) } }
        @if let Some(d) = done {
            p.notice role="status" { (match d {
                "attached" => lang.t("أُلحقت الرسالة بالبلاغ كملاحظة داخلية.", "The message is attached to the request as an internal note."),
                "dismissed" => lang.t("استُبعدت الرسالة.", "The message is dismissed."),
                _ => lang.t("تم.", "Done."),
            }) }
        }
        dl {
            dt { (lang.t("المرسل", "Sender")) } dd dir="auto" { (sender(item)) }
            dt { (lang.t("الحالة", "Status")) }
            dd {
                (status_label(lang, &item.status))
                @if let Some(r) = item.request_id { " " a href=(format!("/staff/requests/{r}")) { "#" (r) } }
                @if let Some(by) = &item.handled_by { " · " (by) }
            }
            dt { (lang.t("أول رسالة", "First message")) } dd { (when_html(&item.first_at)) }
            @if let Some(t) = &tracking {
                dt { (lang.t("رقم متابعة مذكور", "Tracking number quoted")) }
                dd.tracking dir="ltr" {
                    @if let Some(id) = store::parse_id(t) { a href=(format!("/staff/requests/{id}")) { (t) } } @else { (t) }
                }
            }
        }
        h2 { (lang.t("الرسائل", "Messages")) }
        @if item.messages.is_empty() && item.sender_id.is_empty() {
            p.notice { (lang.t("حُذفت الرسائل وبيانات المرسل بعد انقضاء مدة الاحتفاظ.", "The messages and the sender's details were erased after the retention period.")) }
        }
        ol.messages {
            @for m in &item.messages {
                li.message {
                    (when_html(&m.received_at)) " · " (kind_label(lang, &m.kind))
                    @if let Some(t) = &m.text { p dir="auto" { (t) } }
                    // Labels in the page's direction, the values (ids, URLs, coordinates) isolated
                    // left to right.
                    @if let Some(r) = &m.media_ref {
                        p {
                            (lang.t("وسائط", "Media")) " " bdi dir="ltr" { "(" (m.media_type.as_deref().unwrap_or("?")) ")" } ": "
                            bdi dir="ltr" {
                                @if r.starts_with("https://") { a href=(r) rel="noreferrer noopener" { (r) } } @else { code { (r) } }
                            }
                        }
                    }
                    @if let Some((lat, lon)) = m.location {
                        p { (lang.t("الموقع", "Location")) ": " bdi dir="ltr" { (format!("{lat:.6}, {lon:.6}")) } }
                    }
                    @if let Some(p) = &m.place { p dir="auto" { (p) } }
                }
            }
        }
        @if item.status == "new" {
            h2 { (lang.t("الإجراء", "Action")) }
            p { a.button href=(format!("/staff/intake?item={}", item.id)) { (lang.t("إنشاء بلاغ منها", "Make a request")) } }
            form.inline method="post" action=(format!("/staff/messages/{}/attach", item.id)) {
                (csrf(staff))
                label for="request" { (lang.t("إلحاق بالبلاغ رقم", "Attach to request number")) }
                input #request type="text" name="request" inputmode="numeric" dir="ltr" required
                    value=(tracking.as_deref().filter(|t| store::parse_id(t).is_some()).unwrap_or(""));
                button type="submit" { (lang.t("إلحاق", "Attach")) }
            }
            form.inline method="post" action=(format!("/staff/messages/{}/dismiss", item.id)) {
                (csrf(staff))
                button type="submit" { (lang.t("استبعاد", "Dismiss")) }
            }
        }
    };
    let title = lang.t("رسالة قناة", "Channel message");
    pages::respond(
        status,
        pages::page(lang, title, Some(staff), &format!("/staff/messages/{}", item.id), body),
    )
}

/// `POST /staff/messages/{id}/attach`: the item's messages become an internal note on request N.
pub(crate) async fn attach(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let pairs = match staff.posted_form(&body) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    if !may_handle(&staff) {
        return staff.forbidden();
    }
    let lang = staff.lang;
    let item = match load(&st, lang, &id).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(request_id) =
        field(&pairs, "request").map(str::trim).and_then(|r| store::parse_id(r.trim_start_matches('#')))
    else {
        let msg = lang.t("اكتب رقم البلاغ.", "Write the request's number.");
        return show(&staff, &item, StatusCode::BAD_REQUEST, Some(msg), None);
    };
    let author = staff.actor();
    let item_id = item.id;
    let result = st.db.call(move |c| handle::attach(c, item_id, request_id, &author)).await;
    match result {
        Ok(Handled::Done) => {
            staff
                .audit(&st, "message_attach", Some(request_id), Some(format!("intake_item={item_id}")))
                .await;
            Redirect::to(&format!("/staff/messages/{item_id}?done=attached")).into_response()
        }
        Ok(Handled::NoRequest) => {
            let msg = lang.t("لا يوجد بلاغ بهذا الرقم.", "There is no request with that number.");
            show(&staff, &item, StatusCode::BAD_REQUEST, Some(msg), None)
        }
        Ok(Handled::NoItem | Handled::Already) => already(&staff, &st, item_id).await,
        Err(e) => internal(lang, e),
    }
}

/// A form posted by who handles channel messages about the item or outgoing message `id`: its
/// number, or the answer refusing it (CSRF, role, not a number).
fn posted_about(staff: &Staff, body: &Bytes, id: &str) -> Result<i64, Response> {
    staff.posted_form(body)?;
    if !may_handle(staff) {
        return Err(staff.forbidden());
    }
    store::parse_id(id)
        .ok_or_else(|| super::staff_error(staff.lang, StaffError(StatusCode::NOT_FOUND, String::new())))
}

/// `POST /staff/messages/outbound/{id}/retry`: a message the sender gave up on goes out again
/// (after the team fixed its cause), with a fresh round of attempts.
pub(crate) async fn retry_outbound(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = match posted_about(&staff, &body, &id) {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let lang = staff.lang;
    match st.db.call(move |c| crate::channels::outbound::retry(c, id, chrono::Utc::now())).await {
        Ok(true) => {
            staff.audit(&st, "outbound_retry", None, Some(format!("outbound={id}"))).await;
            Redirect::to("/staff/messages").into_response()
        }
        Ok(false) => pages::message(
            lang,
            StatusCode::CONFLICT,
            lang.t(
                "هذه الرسالة ليست بين الرسائل المتعثرة (ربما أعاد أحد الزملاء إرسالها).",
                "This message is not among the failed ones (a colleague may have sent it again).",
            ),
        ),
        Err(e) => internal(lang, e),
    }
}

/// Someone acted on the item first: show it as it is now.
async fn already(staff: &Staff, st: &ConsoleState, id: i64) -> Response {
    let lang = staff.lang;
    match load(st, lang, &id.to_string()).await {
        Ok(item) => {
            let msg =
                lang.t("عالج أحد الزملاء هذه الرسالة للتو.", "A colleague has just handled this message.");
            show(staff, &item, StatusCode::CONFLICT, Some(msg), None)
        }
        Err(r) => r,
    }
}

pub(crate) async fn dismiss(
    staff: Staff,
    State(st): State<Arc<ConsoleState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let id = match posted_about(&staff, &body, &id) {
        Ok(id) => id,
        Err(refused) => return refused,
    };
    let lang = staff.lang;
    let by = staff.actor();
    match st.db.call(move |c| handle::dismiss(c, id, &by)).await {
        Ok(Handled::Done) => {
            staff.audit(&st, "message_dismiss", None, Some(format!("intake_item={id}"))).await;
            Redirect::to(&format!("/staff/messages/{id}?done=dismissed")).into_response()
        }
        Ok(Handled::Already | Handled::NoRequest) => already(&staff, &st, id).await,
        Ok(Handled::NoItem) => super::staff_error(lang, StaffError(StatusCode::NOT_FOUND, String::new())),
        Err(e) => internal(lang, e),
    }
}

/// The intake form's values from an item still `new`: the channel, the text, the location, the
/// sender's name and (WhatsApp) number.
pub(crate) async fn prefill(st: &ConsoleState, id: i64) -> Option<Vec<(String, String)>> {
    let item = st.db.call(move |c| intake::get(c, id)).await.ok().flatten()?;
    if item.status != "new" {
        return None;
    }
    let mut values = vec![("item".to_owned(), item.id.to_string())];
    values.extend(handle::prefill(&item));
    Some(values)
}

//! The console's pages, written with `maud`: HTML in Rust, checked when the server is compiled,
//! every interpolated value escaped (nothing here uses `PreEscaped` but the doctype). Arabic and
//! right to left by default; English with the language switch.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::accounts::{Account, AccountRole, AuditEntry};
use super::{Detail, IntakeForm, ListQuery, Listing, Staff};
use crate::open311::categories::Locale;
use crate::open311::staff::Role;
use crate::open311::store::DETAILED_STATUSES;

pub const CSS: &str = include_str!("console.css");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    pub fn t(self, ar: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Ar => ar,
            Lang::En => en,
        }
    }

    pub fn locale(self) -> Locale {
        match self {
            Lang::Ar => Locale::Ar,
            Lang::En => Locale::En,
        }
    }

    fn code(self) -> &'static str {
        self.t("ar", "en")
    }

    fn dir(self) -> &'static str {
        self.t("rtl", "ltr")
    }

    fn other(self) -> (&'static str, &'static str, &'static str) {
        // (path segment, label, its language)
        match self {
            Lang::Ar => ("en", "English", "en"),
            Lang::En => ("ar", "العربية", "ar"),
        }
    }
}

pub fn status_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "open" => lang.t("مفتوح", "Open"),
        "closed" => lang.t("مغلق", "Closed"),
        "received" => lang.t("مستلم", "Received"),
        "verified" => lang.t("تم التحقق", "Verified"),
        "routed" => lang.t("محال", "Routed"),
        "in_progress" => lang.t("قيد العمل", "In progress"),
        "fixed" => lang.t("تمت المعالجة", "Fixed"),
        "rejected" => lang.t("مرفوض", "Rejected"),
        "duplicate" => lang.t("مكرر", "Duplicate"),
        _ => lang.t("مغلق", "Closed"),
    }
}

pub fn source_label(lang: Lang, s: &str) -> &'static str {
    match s {
        "app" => lang.t("التطبيق", "App"),
        "web" => lang.t("الموقع", "Website"),
        "whatsapp" => lang.t("واتساب", "WhatsApp"),
        "facebook" => lang.t("فيسبوك", "Facebook"),
        "twitter" => lang.t("تويتر", "Twitter"),
        "phone" => lang.t("الهاتف", "Phone"),
        "walk_in" => lang.t("مراجعة شخصية", "At the counter"),
        _ => lang.t("أخرى", "Other"),
    }
}

fn role_label(lang: Lang, role: &AccountRole) -> &'static str {
    match role {
        AccountRole::Dispatcher => lang.t("العلاقات العامة", "Public relations"),
        AccountRole::Verifier => lang.t("التحقق", "Verification"),
        AccountRole::Department(_) => lang.t("دائرة", "Department"),
        AccountRole::Editor => lang.t("التحرير", "Editor"),
        AccountRole::Admin => lang.t("مدير النظام", "Administrator"),
    }
}

/// A stamp (`2026-11-30T12:34:56.123456Z`) as a `time` element, `2026-11-30 12:34 UTC`: its date
/// and its time each kept on one line.
pub(crate) fn when_html(stamp: &str) -> Markup {
    match (stamp.get(0..10), stamp.get(11..16)) {
        (Some(d), Some(t)) => html! { time datetime=(stamp) { span { (d) } " " span { (t) " UTC" } } },
        _ => html! { time datetime=(stamp) { (stamp) } },
    }
}

pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response()
}

/// The page frame; `staff` adds the navigation, the user and the sign-out.
pub(crate) fn page(lang: Lang, title: &str, staff: Option<&Staff>, here: &str, body: Markup) -> Markup {
    let (other, other_label, other_lang) = lang.other();
    let switch = format!(
        "/staff/lang/{other}?next={}",
        form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>()
    );
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (lang.t("بلدية غزة", "Gaza Municipality")) }
                link rel="stylesheet" href="/staff/static/console.css";
            }
            body {
                a.skip href="#main" { (lang.t("انتقل إلى المحتوى", "Skip to content")) }
                header.top {
                    a.brand href="/staff/" { (lang.t("بلدية غزة — لوحة الموظفين", "Gaza Municipality — staff console")) }
                    @if let Some(s) = staff {
                        nav aria-label=(lang.t("الأقسام", "Sections")) {
                            ul {
                                @let role = &s.account().role;
                                @if matches!(role, AccountRole::Dispatcher | AccountRole::Verifier | AccountRole::Admin) {
                                    li { a href="/staff/inbox" aria-current=[(here.starts_with("/staff/inbox")).then_some("page")] { (lang.t("الوارد", "Inbox")) } }
                                }
                                @if matches!(role, AccountRole::Dispatcher | AccountRole::Admin) {
                                    li { a href="/staff/messages" aria-current=[(here.starts_with("/staff/messages")).then_some("page")] { (lang.t("رسائل القنوات", "Channel messages")) } }
                                }
                                @if !matches!(role, AccountRole::Editor | AccountRole::Verifier) {
                                    li { a href="/staff/queue" aria-current=[(here.starts_with("/staff/queue")).then_some("page")] { (lang.t("طابور الدائرة", "Department queue")) } }
                                    li { a href="/staff/intake" aria-current=[(here.starts_with("/staff/intake")).then_some("page")] { (lang.t("إدخال بلاغ", "Intake")) } }
                                }
                                @if *role != AccountRole::Editor {
                                    li { a href="/staff/dashboard" aria-current=[(here.starts_with("/staff/dashboard")).then_some("page")] { (lang.t("المؤشرات", "Dashboard")) } }
                                }
                                @if matches!(role, AccountRole::Editor | AccountRole::Admin) {
                                    li { a href="/staff/news" aria-current=[(here.starts_with("/staff/news")).then_some("page")] { (lang.t("الأخبار", "News")) } }
                                    li { a href="/staff/guide" aria-current=[(here.starts_with("/staff/guide")).then_some("page")] { (lang.t("الدليل", "Guide")) } }
                                }
                                @if *role == AccountRole::Admin {
                                    li { a href="/staff/accounts" aria-current=[(here.starts_with("/staff/accounts")).then_some("page")] { (lang.t("الحسابات", "Accounts")) } }
                                }
                            }
                        }
                    }
                    div.tools {
                        a href=(switch) lang=(other_lang) hreflang=(other_lang) { (other_label) }
                        @if let Some(s) = staff {
                            span.who {
                                (s.account().username) " · " (role_label(lang, &s.account().role))
                                @if let Some(d) = s.account().role.department() { " (" (d) ")" }
                            }
                            form.inline method="post" action="/staff/logout" {
                                input type="hidden" name="csrf" value=(s.session.csrf);
                                button type="submit" { (lang.t("خروج", "Sign out")) }
                            }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    }
}

/// A page with one message (errors, refusals).
pub fn message(lang: Lang, status: StatusCode, text: &str) -> Response {
    let body = html! {
        h1 { (status.as_u16()) }
        p.notice.error role="alert" { (text) }
        p { a href="/staff/" { (lang.t("العودة إلى الصفحة الرئيسية", "Back to the start page")) } }
    };
    respond(status, page(lang, text, None, "/staff/", body))
}

pub fn login(lang: Lang, status: StatusCode, csrf: &str, error: Option<&str>, username: &str) -> Response {
    let body = html! {
        section.login {
            h1 { (lang.t("تسجيل دخول الموظفين", "Staff sign-in")) }
            @if let Some(e) = error { p.notice.error role="alert" { (e) } }
            form method="post" action="/staff/login" {
                input type="hidden" name="csrf" value=(csrf);
                label for="username" { (lang.t("اسم المستخدم", "Username")) }
                input #username type="text" name="username" value=(username) autocomplete="username" required autocapitalize="none" spellcheck="false" dir="ltr";
                label for="password" { (lang.t("كلمة المرور", "Password")) }
                input #password type="password" name="password" autocomplete="current-password" required dir="ltr";
                button.primary type="submit" { (lang.t("دخول", "Sign in")) }
            }
        }
    };
    respond(status, page(lang, lang.t("تسجيل الدخول", "Sign in"), None, "/staff/login", body))
}

fn count_of(l: &Listing, key: &str, value: Option<&str>) -> i64 {
    l.counts.get(key).and_then(|c| c.iter().find(|(v, _)| v.as_deref() == value)).map_or(0, |(_, n)| *n)
}

/// The filter form (GET, no script: a button applies it) and the counts beside each choice.
fn filters(lang: Lang, base: &str, q: &ListQuery, l: &Listing, with_department: bool) -> Markup {
    let total_of = |key: &str| l.counts.get(key).map_or(0, |c| c.iter().map(|(_, n)| n).sum::<i64>());
    let open: i64 = l.counts.get("status").map_or(0, |c| {
        c.iter()
            .filter(|(s, _)| s.as_deref().is_some_and(|s| !crate::open311::store::is_closed(s)))
            .map(|(_, n)| n)
            .sum()
    });
    html! {
        form.filters method="get" action=(base) aria-label=(lang.t("تصفية", "Filters")) {
            div.field {
                label for="f-status" { (lang.t("الحالة", "Status")) }
                select #f-status name="status" {
                    option value="" { (lang.t("الكل", "All")) " (" (total_of("status")) ")" }
                    option value="open" selected[q.status.as_deref() == Some("open")] { (status_label(lang, "open")) " (" (open) ")" }
                    option value="closed" selected[q.status.as_deref() == Some("closed")] { (status_label(lang, "closed")) " (" (total_of("status") - open) ")" }
                    @for s in DETAILED_STATUSES {
                        option value=(s) selected[q.status.as_deref() == Some(s)] { (status_label(lang, s)) " (" (count_of(l, "status", Some(s))) ")" }
                    }
                }
            }
            div.field {
                label for="f-source" { (lang.t("القناة", "Channel")) }
                select #f-source name="source" {
                    option value="" { (lang.t("الكل", "All")) }
                    @for s in crate::open311::SOURCES {
                        option value=(s) selected[q.source.as_deref() == Some(s)] { (source_label(lang, s)) " (" (count_of(l, "source", Some(s))) ")" }
                    }
                }
            }
            div.field {
                label for="f-category" { (lang.t("الفئة", "Category")) }
                select #f-category name="category" {
                    option value="" { (lang.t("الكل", "All")) }
                    @for (code, name) in &l.categories {
                        option value=(code) selected[q.category.as_deref() == Some(code.as_str())] { (name) " (" (count_of(l, "category", Some(code))) ")" }
                    }
                }
            }
            @if with_department {
                div.field {
                    label for="f-department" { (lang.t("الدائرة", "Department")) }
                    select #f-department name="department" {
                        option value="" { (lang.t("الكل", "All")) }
                        option value="unrouted" selected[q.department.as_deref() == Some("unrouted")] { (lang.t("غير محال", "Not routed")) " (" (count_of(l, "department", None)) ")" }
                        @for (id, name) in &l.departments {
                            option value=(id) selected[q.department.as_deref() == Some(id.as_str())] { (name) " (" (count_of(l, "department", Some(id))) ")" }
                        }
                    }
                }
            }
            div.field {
                label for="f-age" { (lang.t("العمر", "Age")) }
                select #f-age name="age" {
                    option value="" { (lang.t("أي وقت", "Any time")) }
                    @for (v, ar, en) in [("day", "آخر 24 ساعة", "Last 24 hours"), ("week", "آخر 7 أيام", "Last 7 days"), ("month", "آخر 30 يوماً", "Last 30 days"), ("older", "أقدم من 30 يوماً", "Older than 30 days")] {
                        option value=(v) selected[q.age.as_deref() == Some(v)] { (lang.t(ar, en)) }
                    }
                }
            }
            div.field.check {
                input #f-overdue type="checkbox" name="overdue" value="1" checked[q.overdue];
                label for="f-overdue" { (lang.t("المتأخرة فقط", "Overdue only")) " (" (l.overdue) ")" }
            }
            div.field.actions {
                button type="submit" { (lang.t("تطبيق", "Apply")) }
                a href=(base) { (lang.t("مسح", "Clear")) }
            }
        }
    }
}

fn request_table(lang: Lang, l: &Listing, caption: &str) -> Markup {
    html! {
        div.table-wrap {
            table.requests {
                caption { (caption) }
                thead {
                    tr {
                        th scope="col" { (lang.t("الرقم", "No.")) }
                        th scope="col" { (lang.t("الفئة", "Category")) }
                        th scope="col" { (lang.t("الوصف", "Description")) }
                        th scope="col" { (lang.t("القناة", "Channel")) }
                        th scope="col" { (lang.t("الحالة", "Status")) }
                        th scope="col" { (lang.t("الدائرة", "Department")) }
                        th scope="col" { (lang.t("الاستلام", "Received")) }
                        th scope="col" { (lang.t("الموعد المتوقع", "Expected by")) }
                    }
                }
                tbody {
                    @if l.rows.is_empty() {
                        tr { td colspan="8" { (lang.t("لا توجد بلاغات.", "No requests.")) } }
                    }
                    @for r in &l.rows {
                        tr.overdue[r.overdue] {
                            td { a href=(format!("/staff/requests/{}", r.id)) { "#" (r.id) } }
                            td { (r.category) }
                            td.desc {
                                (r.description)
                                @if r.followers > 0 { br; small.followers { (lang.t("المتابعون: ", "Followers: ")) (r.followers) } }
                            }
                            td { (source_label(lang, &r.source)) }
                            td { span class=(format!("badge s-{}", r.detailed_status)) { (status_label(lang, &r.detailed_status)) } }
                            td { @if let Some(d) = &r.department { (d) } @else { "—" } }
                            td { (when_html(&r.requested_at)) }
                            td {
                                @if let Some(e) = &r.expected_at { (when_html(e)) }
                                @if r.overdue { " " strong.late { (lang.t("متأخر", "overdue")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn pager(lang: Lang, base: &str, q: &ListQuery, total: i64) -> Markup {
    let pages = ((total.max(0) as u64).div_ceil(super::PAGE_SIZE as u64)).max(1);
    let page = q.page as u64;
    let prev = (page - 1).to_string();
    let next = (page + 1).to_string();
    html! {
        nav.pager aria-label=(lang.t("الصفحات", "Pages")) {
            @if page > 1 { a rel="prev" href=(q.href(base, &[("page", Some(prev.as_str()))])) { (lang.t("السابق", "Previous")) } }
            span { (lang.t("صفحة", "Page")) " " (page) " / " (pages) " · " (total) " " (lang.t("بلاغ", "requests")) }
            @if page < pages { a rel="next" href=(q.href(base, &[("page", Some(next.as_str()))])) { (lang.t("التالي", "Next")) } }
        }
    }
}

pub fn inbox(staff: &Staff, q: &ListQuery, l: &Listing) -> Response {
    let lang = staff.lang;
    let here = q.href("/staff/inbox", &[]);
    let dept = !matches!(staff.account().role, AccountRole::Department(_));
    let body = html! {
        h1 { (lang.t("الوارد", "Inbox")) " " span.count { "(" (l.total) ")" } }
        (filters(lang, "/staff/inbox", q, l, dept))
        (request_table(lang, l, lang.t("البلاغات، الأحدث أولاً", "Requests, newest first")))
        (pager(lang, "/staff/inbox", q, l.total))
    };
    respond(StatusCode::OK, page(lang, lang.t("الوارد", "Inbox"), Some(staff), &here, body))
}

pub fn queue(staff: &Staff, q: &ListQuery, l: &Listing, chosen: bool) -> Response {
    let lang = staff.lang;
    let here = q.href("/staff/queue", &[]);
    let own = staff.account().role.department().is_some();
    let dept_name = q.department.as_deref().map(|d| {
        l.departments.iter().find(|(id, _)| id == d).map(|(_, n)| n.clone()).unwrap_or_else(|| d.to_owned())
    });
    let body = html! {
        h1 {
            (lang.t("طابور الدائرة", "Department queue"))
            @if let Some(n) = &dept_name { " — " (n) }
        }
        @if !own {
            form.filters method="get" action="/staff/queue" {
                div.field {
                    label for="q-department" { (lang.t("الدائرة", "Department")) }
                    select #q-department name="department" {
                        @for (id, name) in &l.departments {
                            option value=(id) selected[q.department.as_deref() == Some(id.as_str())] { (name) }
                        }
                    }
                }
                div.field.actions { button type="submit" { (lang.t("عرض", "Show")) } }
            }
        }
        @if chosen {
            p.summary {
                strong.late { (l.overdue) " " (lang.t("متأخر", "overdue")) }
                " · " (l.total) " " (lang.t("مفتوح", "open"))
            }
            (filters(lang, "/staff/queue", q, l, false))
            (request_table(lang, l, lang.t("البلاغات المحالة، الأقدم أولاً", "Routed requests, oldest first")))
            (pager(lang, "/staff/queue", q, l.total))
        }
    };
    respond(StatusCode::OK, page(lang, lang.t("طابور الدائرة", "Department queue"), Some(staff), &here, body))
}

pub(crate) fn csrf(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.session.csrf); }
}

fn done_text(lang: Lang, done: &str) -> &'static str {
    match done {
        "verify" => lang.t("تم التحقق من البلاغ.", "The request is verified."),
        "reject" => lang.t("رُفض البلاغ.", "The request is rejected."),
        "route" => lang.t("أُحيل البلاغ.", "The request is routed."),
        "status" => lang.t("تغيّرت الحالة.", "The status is changed."),
        "reply" => lang.t("أُرسل الرد إلى المواطن.", "The reply is sent to the citizen."),
        "note" => lang.t("حُفظت الملاحظة الداخلية.", "The internal note is saved."),
        "intake" => lang.t("سُجّل البلاغ.", "The request is entered."),
        _ => lang.t("تم.", "Done."),
    }
}

pub fn detail(
    staff: &Staff,
    role: &Role,
    d: &Detail,
    status: StatusCode,
    error: Option<&str>,
    done: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let r = &d.request;
    let id = &r.service_request_id;
    let action_url = format!("/staff/requests/{id}/action");
    let closed = r.status == "closed";
    let suggested = r.department_id.clone().or_else(|| r.suggested_department_id.clone());
    let c = r.contact.clone().unwrap_or_default();
    let body = html! {
        p.back { a href="/staff/inbox" { (lang.t("← الوارد", "← Inbox")) } }
        h1 { (lang.t("البلاغ", "Request")) " #" (id) " — " (r.service_name) }
        @if let Some(e) = error { p.notice.error role="alert" { (e) } }
        @if let Some(k) = done { p.notice.ok role="status" { (done_text(lang, k)) } }
        div.detail {
            section.facts aria-labelledby="h-facts" {
                h2 #h-facts { (lang.t("البيانات", "Details")) }
                dl {
                    dt { (lang.t("الحالة", "Status")) }
                    dd { span class=(format!("badge s-{}", r.detailed_status)) { (status_label(lang, &r.detailed_status)) } }
                    dt { (lang.t("القناة", "Channel")) } dd { (source_label(lang, &r.source)) }
                    dt { (lang.t("الدائرة", "Department")) }
                    dd { @if let Some(n) = &d.department_name { (n) } @else { (lang.t("غير محال", "Not routed")) } }
                    dt { (lang.t("الاستلام", "Received")) }
                    dd { (when_html(&r.requested_datetime)) }
                    @if let Some(e) = &r.expected_datetime {
                        dt { (lang.t("الموعد المتوقع", "Expected by")) }
                        dd { (when_html(e)) }
                    }
                    dt { (lang.t("المتابعون", "Followers")) }
                    dd { (r.followers) " " small { (lang.t("(مواطنون أبلغوا عن المشكلة نفسها فتابعوه)", "(citizens with the same problem who follow it)")) } }
                }
                h2 { (lang.t("الوصف", "Description")) }
                p.description { @if let Some(t) = &r.description { (t) } @else { "—" } }
                @if !d.answers.is_empty() {
                    h2 { (lang.t("إجابات الأسئلة", "Answers")) }
                    dl { @for (q, a) in &d.answers { dt { (q) } dd { (a) } } }
                }
                h2 { (lang.t("الموقع", "Location")) }
                dl {
                    @if let Some(a) = &r.address { dt { (lang.t("العنوان", "Address")) } dd { (a) } }
                    @if let (Some(lat), Some(lon)) = (r.lat, r.long) {
                        dt { (lang.t("الإحداثيات", "Coordinates")) }
                        dd dir="ltr" {
                            (format!("{lat:.6}, {lon:.6}")) " · "
                            a href=(format!("https://www.openstreetmap.org/?mlat={lat:.6}&mlon={lon:.6}#map=18/{lat:.6}/{lon:.6}")) rel="noopener noreferrer" target="_blank" {
                                (lang.t("افتح في الخريطة", "Open in a map"))
                            }
                        }
                    }
                }
                @if !r.media_urls.is_empty() {
                    h2 { (lang.t("الصور", "Photos")) }
                    div.photos {
                        @for (i, m) in r.media_urls.iter().enumerate() {
                            @if m.starts_with("/open311/") {
                                a href=(m) { img src=(m) alt=(format!("{} {}", lang.t("صورة", "Photo"), i + 1)) loading="lazy"; }
                            } @else {
                                a href=(m) rel="noopener noreferrer" dir="ltr" { (m) }
                            }
                        }
                    }
                }
                h2 { (lang.t("بيانات الاتصال (للموظفين فقط)", "Contact (staff only)")) }
                dl.contact {
                    @let name = [c.first_name.as_deref(), c.last_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    dt { (lang.t("الاسم", "Name")) } dd { @if name.is_empty() { "—" } @else { (name) } }
                    dt { (lang.t("الهاتف", "Phone")) } dd { @if let Some(p) = &c.phone { a href=(format!("tel:{p}")) dir="ltr" { (p) } } @else { "—" } }
                    dt { (lang.t("البريد الإلكتروني", "Email")) } dd { @if let Some(e) = &c.email { span dir="ltr" { (e) } } @else { "—" } }
                    @if let Some(a) = &c.account_id { dt { (lang.t("رقم الحساب", "Account")) } dd { span dir="ltr" { (a) } } }
                }
            }
            section.side {
                section aria-labelledby="h-actions" {
                    h2 #h-actions { (lang.t("الإجراءات", "Actions")) }
                    @if role.may("verify") && !closed {
                        form.action method="post" action=(action_url) {
                            (csrf(staff))
                            input type="hidden" name="action" value="verify";
                            label for="verify-note" { (lang.t("ملاحظة عامة (اختيارية)", "Public note (optional)")) }
                            textarea #verify-note name="note" rows="2" {}
                            button.primary type="submit" { (lang.t("تحقق: البلاغ صحيح", "Verify")) }
                        }
                        form.action method="post" action=(action_url) {
                            (csrf(staff))
                            input type="hidden" name="action" value="reject";
                            label for="reject-note" { (lang.t("سبب الرفض (يراه المواطن)", "Reason for rejecting (the citizen sees it)")) }
                            textarea #reject-note name="note" rows="2" required {}
                            button.danger type="submit" { (lang.t("رفض", "Reject")) }
                        }
                    }
                    @if role.may("route") && !closed {
                        form.action method="post" action=(action_url) {
                            (csrf(staff))
                            input type="hidden" name="action" value="route";
                            label for="route-dept" { (lang.t("إحالة إلى دائرة", "Route to a department")) }
                            select #route-dept name="department_id" {
                                @for (did, name) in &d.departments {
                                    option value=(did) selected[suggested.as_deref() == Some(did.as_str())] { (name) }
                                }
                            }
                            label for="route-note" { (lang.t("ملاحظة عامة (اختيارية)", "Public note (optional)")) }
                            textarea #route-note name="note" rows="2" {}
                            button.primary type="submit" { (lang.t("إحالة", "Route")) }
                        }
                    }
                    @if role.may("status") {
                        form.action method="post" action=(action_url) {
                            (csrf(staff))
                            input type="hidden" name="action" value="status";
                            label for="status-value" { (lang.t("تغيير الحالة", "Set the status")) }
                            select #status-value name="detailed_status" {
                                @for s in ["in_progress", "fixed", "closed"] {
                                    option value=(s) { (status_label(lang, s)) }
                                }
                            }
                            label for="status-note" { (lang.t("ملاحظة عامة يراها المواطن", "Public note the citizen sees")) }
                            textarea #status-note name="note" rows="2" {}
                            button type="submit" { (lang.t("حفظ الحالة", "Save status")) }
                        }
                        @if !closed {
                            form.action method="post" action=(action_url) {
                                (csrf(staff))
                                input type="hidden" name="action" value="duplicate";
                                label for="dup-of" { (lang.t("مكرر للبلاغ رقم", "Duplicate of request no.")) }
                                input #dup-of type="text" name="duplicate_of" inputmode="numeric" required dir="ltr";
                                label for="dup-note" { (lang.t("ملاحظة عامة (اختيارية)", "Public note (optional)")) }
                                textarea #dup-note name="note" rows="2" {}
                                button type="submit" { (lang.t("وضع علامة مكرر", "Mark as duplicate")) }
                            }
                        }
                    }
                    @if role.may("reply") {
                        form.action method="post" action=(action_url) {
                            (csrf(staff))
                            input type="hidden" name="action" value="reply";
                            label for="reply-note" { (lang.t("رد على المواطن", "Reply to the citizen")) }
                            textarea #reply-note name="note" rows="3" required {}
                            button.primary type="submit" { (lang.t("إرسال الرد", "Send reply")) }
                        }
                    }
                    form.action.internal method="post" action=(format!("/staff/requests/{id}/note")) {
                        (csrf(staff))
                        label for="internal-note" { (lang.t("ملاحظة داخلية (لا يراها المواطن)", "Internal note (the citizen never sees it)")) }
                        textarea #internal-note name="note" rows="2" required {}
                        button type="submit" { (lang.t("حفظ الملاحظة", "Save note")) }
                    }
                }
                section aria-labelledby="h-history" {
                    h2 #h-history { (lang.t("السجل", "History")) }
                    ol.history {
                        @for u in &r.updates {
                            li {
                                span class=(format!("badge s-{}", u.detailed_status)) { (status_label(lang, &u.detailed_status)) }
                                " " (when_html(&u.updated_datetime))
                                " · " span.actor dir="ltr" { (u.actor) }
                                @if u.action == "reply" { " · " strong { (lang.t("رد", "reply")) } }
                                p { (u.description) }
                            }
                        }
                    }
                }
                @if !d.notes.is_empty() {
                    section.notes aria-labelledby="h-notes" {
                        h2 #h-notes { (lang.t("ملاحظات داخلية", "Internal notes")) }
                        ol.history {
                            @for n in &d.notes {
                                li {
                                    (when_html(&n.created_at))
                                    " · " span.actor dir="ltr" { (n.author) }
                                    p { (n.body) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let here = format!("/staff/requests/{id}");
    respond(status, page(lang, &format!("#{id}"), Some(staff), &here, body))
}

/// A category's questions in their order.
fn questions(cat: &crate::open311::categories::Category) -> Vec<&crate::open311::categories::AttributeDef> {
    let mut defs: Vec<_> = cat.attributes.iter().filter(|a| a.variable).collect();
    defs.sort_by_key(|a| a.order);
    defs
}

fn value_of<'a>(form: &'a IntakeForm, name: &str) -> &'a str {
    form.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
}

pub fn intake(staff: &Staff, form: &IntakeForm, status: StatusCode) -> Response {
    let lang = staff.lang;
    let locale = lang.locale();
    let body = html! {
        h1 { (lang.t("إدخال بلاغ من قناة أخرى", "Enter a request from another channel")) }
        @if !form.errors.is_empty() {
            div.notice.error role="alert" {
                p { (lang.t("صحّح ما يلي:", "Please correct:")) }
                ul { @for e in &form.errors { li dir="auto" { (e) } } }
            }
        }
        form.filters method="get" action="/staff/intake" {
            div.field {
                label for="category" { (lang.t("الفئة", "Category")) }
                select #category name="category" required {
                    @for (code, name, group) in &form.categories {
                        option value=(code) selected[form.category.as_ref().is_some_and(|c| &c.service_code == code)] { (group) " — " (name) }
                    }
                }
            }
            @if let Some(item) = form.item {
                input type="hidden" name="item" value=(item);
            }
            div.field.actions { button type="submit" { (lang.t("اختيار", "Choose")) } }
        }
        @if let Some(item) = form.item {
            p.notice { (lang.t("من رسائل القنوات، الرسالة رقم ", "From channel message ")) a href=(format!("/staff/messages/{item}")) { (item) } }
        }
        @if let Some(cat) = &form.category {
            form.intake method="post" action="/staff/intake" enctype="multipart/form-data" {
                (csrf(staff))
                @if let Some(item) = form.item {
                    input type="hidden" name="item" value=(item);
                }
                input type="hidden" name="service_code" value=(cat.service_code);
                h2 { (locale.pick(&cat.name)) }
                fieldset {
                    legend { (lang.t("القناة والرسالة", "Channel and message")) }
                    label for="source" { (lang.t("وصل البلاغ عبر", "Came by")) }
                    select #source name="source" required {
                        @for s in ["whatsapp", "facebook", "twitter", "phone", "walk_in"] {
                            option value=(s) selected[value_of(form, "source") == s] { (source_label(lang, s)) }
                        }
                    }
                    label for="description" { (lang.t("نص الرسالة الأصلي", "The original message text")) }
                    textarea #description name="description" rows="5" dir="auto" { (value_of(form, "description")) }
                }
                @let defs = questions(cat);
                @if !defs.is_empty() {
                    fieldset {
                        legend { (lang.t("أسئلة الفئة", "The category's questions")) }
                        @for a in defs {
                            @let name = if a.datatype == "multivaluelist" { format!("attribute[{}][]", a.code) } else { format!("attribute[{}]", a.code) };
                            @let fid = format!("attr-{}", a.code);
                            @if a.datatype == "multivaluelist" {
                                fieldset.choices {
                                    legend { (locale.pick(&a.description)) @if a.required { " *" } }
                                    @for v in &a.values {
                                        @let vid = format!("{fid}-{}", v.key);
                                        div.check {
                                            input id=(vid) type="checkbox" name=(name) value=(v.key) checked[form.values.iter().any(|(k, x)| k == &name && x == &v.key)];
                                            label for=(vid) { (locale.pick(&v.name)) }
                                        }
                                    }
                                }
                            } @else {
                                label for=(fid) { (locale.pick(&a.description)) @if a.required { " *" } }
                                @if a.datatype == "singlevaluelist" {
                                    select id=(fid) name=(name) required[a.required] {
                                        option value="" { "—" }
                                        @for v in &a.values {
                                            option value=(v.key) selected[value_of(form, &name) == v.key] { (locale.pick(&v.name)) }
                                        }
                                    }
                                } @else if a.datatype == "text" {
                                    textarea id=(fid) name=(name) rows="3" required[a.required] dir="auto" { (value_of(form, &name)) }
                                } @else {
                                    input id=(fid) name=(name) value=(value_of(form, &name)) required[a.required]
                                        type=(match a.datatype.as_str() { "number" => "text", "datetime" => "datetime-local", _ => "text" })
                                        inputmode=[(a.datatype == "number").then_some("decimal")];
                                }
                            }
                        }
                    }
                }
                fieldset {
                    legend { (lang.t("الموقع", "Location")) }
                    label for="address" { (lang.t("العنوان", "Address")) }
                    input #address type="text" name="address_string" value=(value_of(form, "address_string")) dir="auto";
                    div.pair {
                        div {
                            label for="lat" { (lang.t("خط العرض", "Latitude")) }
                            input #lat type="text" name="lat" inputmode="decimal" value=(value_of(form, "lat")) dir="ltr";
                        }
                        div {
                            label for="long" { (lang.t("خط الطول", "Longitude")) }
                            input #long type="text" name="long" inputmode="decimal" value=(value_of(form, "long")) dir="ltr";
                        }
                    }
                }
                fieldset {
                    legend { (lang.t("بيانات المواطن", "The citizen's contact")) }
                    div.pair {
                        div {
                            label for="first_name" { (lang.t("الاسم الأول", "First name")) }
                            input #first_name type="text" name="first_name" value=(value_of(form, "first_name")) autocomplete="off";
                        }
                        div {
                            label for="last_name" { (lang.t("اسم العائلة", "Last name")) }
                            input #last_name type="text" name="last_name" value=(value_of(form, "last_name")) autocomplete="off";
                        }
                    }
                    label for="phone" { (lang.t("الهاتف", "Phone")) }
                    input #phone type="tel" name="phone" value=(value_of(form, "phone")) dir="ltr" autocomplete="off";
                    label for="email" { (lang.t("البريد الإلكتروني", "Email")) }
                    input #email type="email" name="email" value=(value_of(form, "email")) dir="ltr" autocomplete="off";
                }
                fieldset {
                    legend { (lang.t("صورة", "Photo")) }
                    label for="photo" { (lang.t("صورة مرفقة (JPEG أو PNG، حتى 2 ميغابايت)", "An attached photo (JPEG or PNG, up to 2 MB)")) }
                    input #photo type="file" name="photo" accept="image/jpeg,image/png";
                    label for="media_url" { (lang.t("أو رابط المنشور أو الصورة", "Or a link to the post or photo")) }
                    input #media_url type="url" name="media_url" value=(value_of(form, "media_url")) dir="ltr";
                }
                button.primary type="submit" { (lang.t("تسجيل البلاغ", "Enter the request")) }
            }
        }
    };
    respond(status, page(lang, lang.t("إدخال بلاغ", "Intake"), Some(staff), "/staff/intake", body))
}

pub fn accounts(
    staff: &Staff,
    list: &[Account],
    log: &[AuditEntry],
    departments: &[(String, String)],
    (status, msg, token): (StatusCode, Option<&str>, Option<(&str, &str)>),
) -> Response {
    let lang = staff.lang;
    let body = html! {
        h1 { (lang.t("الحسابات", "Accounts")) }
        @if let Some(m) = msg { p.notice.error role="alert" { (m) } }
        @if let Some((user, t)) = token {
            div.notice.ok role="status" {
                p { (lang.t("رمز جديد لواجهة الموظفين البرمجية للحساب ", "A new staff API token for ")) span dir="ltr" { (user) } ". "
                    (lang.t("انسخه الآن: لن يظهر مرة أخرى.", "Copy it now: it is not shown again.")) }
                p dir="ltr" { code.token { (t) } }
            }
        }
        div.table-wrap {
            table {
                caption { (lang.t("حسابات الموظفين", "Staff accounts")) }
                thead { tr {
                    th scope="col" { (lang.t("المستخدم", "User")) }
                    th scope="col" { (lang.t("الدور", "Role")) }
                    th scope="col" { (lang.t("الحالة", "State")) }
                    th scope="col" { (lang.t("إجراء", "Action")) }
                } }
                tbody {
                    @for a in list {
                        tr {
                            td dir="ltr" { (a.username) }
                            td { (role_label(lang, &a.role)) @if let Some(d) = a.role.department() { " (" (d) ")" } }
                            td { @if a.disabled { (lang.t("معطّل", "Disabled")) } @else { (lang.t("فعّال", "Active")) } }
                            td {
                                form.inline method="post" action="/staff/accounts" {
                                    (csrf(staff))
                                    input type="hidden" name="username" value=(a.username);
                                    @if a.disabled {
                                        input type="hidden" name="op" value="enable";
                                        button type="submit" { (lang.t("تفعيل", "Enable")) }
                                    } @else {
                                        input type="hidden" name="op" value="disable";
                                        button type="submit" { (lang.t("تعطيل", "Disable")) }
                                    }
                                }
                                form.inline method="post" action="/staff/accounts" {
                                    (csrf(staff))
                                    input type="hidden" name="op" value="token";
                                    input type="hidden" name="username" value=(a.username);
                                    button type="submit" { (lang.t("رمز API جديد", "New API token")) }
                                }
                                form.inline method="post" action="/staff/accounts" {
                                    (csrf(staff))
                                    input type="hidden" name="op" value="revoke";
                                    input type="hidden" name="username" value=(a.username);
                                    button type="submit" { (lang.t("سحب الرموز", "Revoke tokens")) }
                                }
                                form.inline method="post" action="/staff/accounts" {
                                    (csrf(staff))
                                    input type="hidden" name="op" value="reset";
                                    input type="hidden" name="username" value=(a.username);
                                    label for=(format!("pw-{}", a.username)) { (lang.t("كلمة مرور جديدة", "New password")) }
                                    input id=(format!("pw-{}", a.username)) type="password" name="password" autocomplete="new-password" minlength="10" required;
                                    button type="submit" { (lang.t("تعيين", "Reset")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (lang.t("حساب جديد", "New account")) }
        form.intake method="post" action="/staff/accounts" {
            (csrf(staff))
            input type="hidden" name="op" value="add";
            label for="new-user" { (lang.t("اسم المستخدم", "Username")) }
            input #new-user type="text" name="username" required dir="ltr" autocapitalize="none";
            label for="new-role" { (lang.t("الدور", "Role")) }
            select #new-role name="role" {
                @for r in ["dispatcher", "verifier", "department", "editor", "admin"] {
                    option value=(r) { (role_label(lang, &AccountRole::parse(r, (r == "department").then_some("x")).unwrap_or(AccountRole::Editor))) }
                }
            }
            label for="new-dept" { (lang.t("الدائرة (لحساب دائرة)", "Department (for a department account)")) }
            select #new-dept name="department" {
                @for (id, name) in departments { option value=(id) { (name) } }
            }
            label for="new-pw" { (lang.t("كلمة المرور (10 أحرف على الأقل)", "Password (at least 10 characters)")) }
            input #new-pw type="password" name="password" autocomplete="new-password" minlength="10" required;
            button.primary type="submit" { (lang.t("إنشاء", "Create")) }
        }
        h2 { (lang.t("سجل التدقيق", "Audit log")) }
        div.table-wrap {
            table {
                caption { (lang.t("آخر 100 إجراء", "The last 100 actions")) }
                thead { tr {
                    th scope="col" { (lang.t("الوقت", "When")) }
                    th scope="col" { (lang.t("المستخدم", "Who")) }
                    th scope="col" { (lang.t("الإجراء", "What")) }
                    th scope="col" { (lang.t("البلاغ", "Request")) }
                    th scope="col" { (lang.t("التفاصيل", "Detail")) }
                    th scope="col" { (lang.t("من", "From")) }
                } }
                tbody {
                    @for e in log {
                        tr {
                            td { (when_html(&e.at)) }
                            td dir="ltr" { (e.username) }
                            td dir="ltr" { (e.action) }
                            td { @if let Some(id) = e.request_id { a href=(format!("/staff/requests/{id}")) { "#" (id) } } }
                            td dir="ltr" { (e.detail.as_deref().unwrap_or("")) }
                            td dir="ltr" { (e.client.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    };
    respond(status, page(lang, lang.t("الحسابات", "Accounts"), Some(staff), "/staff/accounts", body))
}

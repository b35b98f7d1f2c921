//! The dashboard (`/staff/dashboard`) and its CSV export (`/staff/dashboard.csv`): for a period,
//! requests per channel, category, department and status, the median time to the first response
//! and to resolution, and how many are overdue. A department's staff see their own department's.
//! No personal data in either.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use maud::html;

use super::pages::{self, source_label, status_label, Lang};
use super::{context, field, internal, names, query, ConsoleState, Staff};
use crate::error::ApiError;
use crate::open311::followup::{self, Satisfaction};
use crate::open311::staff::Role;
use crate::open311::store::stamp;

/// The longest period one page or export covers.
const MAX_DAYS: i64 = 366;

/// One request as the dashboard counts it.
struct Row {
    id: i64,
    requested_at: String,
    source: String,
    service_code: String,
    department_id: Option<String>,
    detailed_status: String,
    open: bool,
    expected_at: Option<String>,
    first_response_at: Option<String>,
    closed_at: Option<String>,
}

/// The period asked for: `from` and `to` (days, both included); the last 30 days by default.
struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

impl Period {
    fn parse(q: &RawQuery) -> Period {
        let pairs = query(q);
        let day =
            |n: &str| field(&pairs, n).and_then(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok());
        let today = Utc::now().date_naive();
        let to = day("to").unwrap_or(today);
        let from = day("from").unwrap_or(to - Duration::days(29));
        let from = from.min(to).max(to - Duration::days(MAX_DAYS - 1));
        Period { from, to }
    }

    fn bounds(&self) -> (String, String) {
        let start = self.from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
        let end =
            (self.to + Duration::days(1)).and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_else(Utc::now);
        (stamp(start), stamp(end))
    }
}

async fn rows(st: &ConsoleState, role: &Role, period: &Period) -> Result<Vec<Row>, ApiError> {
    let (start, end) = period.bounds();
    let department = match role {
        Role::Department(d) => Some(d.clone()),
        _ => None,
    };
    st.db
        .call(move |c| {
            let mut stmt = c.prepare(
                "SELECT r.id, r.requested_at, r.source, r.service_code, r.department_id, r.detailed_status,
                        r.status, r.expected_at,
                        (SELECT MIN(u.created_at) FROM open311_updates u WHERE u.request_id = r.id AND u.seq > 1),
                        (SELECT MIN(u.created_at) FROM open311_updates u WHERE u.request_id = r.id AND u.status = 'closed')
                 FROM open311_requests r
                 WHERE r.requested_at >= ?1 AND r.requested_at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR r.department_id = ?3)
                 ORDER BY r.requested_at DESC, r.id DESC",
            )?;
            let rows = stmt.query_map(crate::sql::params![start, end, department], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    requested_at: r.get(1)?,
                    source: r.get(2)?,
                    service_code: r.get(3)?,
                    department_id: r.get(4)?,
                    detailed_status: r.get(5)?,
                    open: r.get::<_, String>(6)? == "open",
                    expected_at: r.get(7)?,
                    first_response_at: r.get(8)?,
                    closed_at: r.get(9)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
}

/// Feedback and reopenings filed in the period, per department and category (a department its own).
async fn satisfaction(
    st: &ConsoleState,
    role: &Role,
    period: &Period,
) -> Result<Vec<Satisfaction>, ApiError> {
    let (start, end) = period.bounds();
    let department = match role {
        Role::Department(d) => Some(d.clone()),
        _ => None,
    };
    st.db.call(move |c| followup::satisfaction(c, &start, &end, department.as_deref())).await
}

fn parse(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// The median of the durations from each request to `pick`'s time, in hours.
fn median_hours(rows: &[Row], pick: impl Fn(&Row) -> Option<&String>) -> Option<f64> {
    let mut hours: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            let from = parse(&r.requested_at)?;
            let to = parse(pick(r)?)?;
            Some((to - from).num_seconds() as f64 / 3600.0)
        })
        .collect();
    if hours.is_empty() {
        return None;
    }
    hours.sort_by(|a, b| a.total_cmp(b));
    let n = hours.len();
    Some(if n % 2 == 1 { hours[n / 2] } else { (hours[n / 2 - 1] + hours[n / 2]) / 2.0 })
}

fn is_overdue(r: &Row, now: &str) -> bool {
    r.open && r.expected_at.as_deref().is_some_and(|e| e < now)
}

fn count<'a>(items: impl Iterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut m: BTreeMap<&str, usize> = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn hours_text(lang: Lang, h: Option<f64>) -> String {
    match h {
        None => "—".into(),
        Some(h) if h < 48.0 => format!("{h:.1} {}", lang.t("ساعة", "h")),
        Some(h) => format!("{:.1} {}", h / 24.0, lang.t("يوم", "days")),
    }
}

pub(crate) async fn page(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    let lang = staff.lang;
    let role = match staff.request_role() {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let period = Period::parse(&q);
    let rows = match rows(&st, &role, &period).await {
        Ok(r) => r,
        Err(e) => return internal(lang, e),
    };
    let ctx = match st.db.call(|c| context(c)).await {
        Ok(c) => c,
        Err(e) => return internal(lang, e),
    };
    let satisfaction = match satisfaction(&st, &role, &period).await {
        Ok(s) => s,
        Err(e) => return internal(lang, e),
    };
    let (categories, departments) = names(&ctx, lang);
    let name_in = |list: &[(String, String)], id: &str| {
        list.iter().find(|(i, _)| i == id).map(|(_, n)| n.clone()).unwrap_or_else(|| id.to_owned())
    };
    let now = stamp(Utc::now());
    let overdue = rows.iter().filter(|r| is_overdue(r, &now)).count();
    let first = median_hours(&rows, |r| r.first_response_at.as_ref());
    let resolved = median_hours(&rows, |r| r.closed_at.as_ref());
    let by_source = count(rows.iter().map(|r| r.source.as_str()));
    let by_category = count(rows.iter().map(|r| r.service_code.as_str()));
    let by_department = count(rows.iter().map(|r| r.department_id.as_deref().unwrap_or("")));
    let by_status = count(rows.iter().map(|r| r.detailed_status.as_str()));
    let (from, to) = (period.from.to_string(), period.to.to_string());
    let csv = format!("/staff/dashboard.csv?from={from}&to={to}");
    let table = |caption: &str, rows: Vec<(String, usize)>| {
        html! {
            div.table-wrap {
                table {
                    caption { (caption) }
                    thead { tr { th scope="col" { (caption) } th scope="col" { (lang.t("العدد", "Requests")) } } }
                    tbody { @for (k, n) in rows { tr { td { (k) } td { (n) } } } }
                }
            }
        }
    };
    let body = html! {
        h1 { (lang.t("لوحة المؤشرات", "Dashboard")) }
        form.filters method="get" action="/staff/dashboard" {
            div.field {
                label for="d-from" { (lang.t("من", "From")) }
                input #d-from type="date" name="from" value=(from);
            }
            div.field {
                label for="d-to" { (lang.t("إلى", "To")) }
                input #d-to type="date" name="to" value=(to);
            }
            div.field.actions {
                button type="submit" { (lang.t("عرض", "Show")) }
                a href=(csv) download { (lang.t("تصدير CSV", "Export CSV")) }
            }
        }
        dl.kpis {
            dt { (lang.t("البلاغات في الفترة", "Requests in the period")) } dd { (rows.len()) }
            dt { (lang.t("المتأخرة الآن", "Overdue now")) } dd.late { (overdue) }
            dt { (lang.t("الوسيط حتى أول استجابة", "Median time to first response")) } dd { (hours_text(lang, first)) }
            dt { (lang.t("الوسيط حتى الحل", "Median time to resolution")) } dd { (hours_text(lang, resolved)) }
        }
        div.grid {
            (table(lang.t("القناة", "Channel"), by_source.into_iter().map(|(k, n)| (source_label(lang, &k).to_owned(), n)).collect()))
            (table(lang.t("الحالة", "Status"), by_status.into_iter().map(|(k, n)| (status_label(lang, &k).to_owned(), n)).collect()))
            (table(lang.t("الفئة", "Category"), by_category.into_iter().map(|(k, n)| (name_in(&categories, &k), n)).collect()))
            (table(lang.t("الدائرة", "Department"), by_department.into_iter().map(|(k, n)| {
                (if k.is_empty() { lang.t("غير محال", "Not routed").to_owned() } else { name_in(&departments, &k) }, n)
            }).collect()))
        }
        // Issue 15.2: the citizens' feedback after closing, and their reopenings, in the period.
        div.table-wrap {
            table #satisfaction {
                caption { (lang.t("رضا المواطنين حسب الدائرة والفئة", "Citizens' satisfaction by department and category")) }
                thead { tr {
                    th scope="col" { (lang.t("الدائرة", "Department")) }
                    th scope="col" { (lang.t("الفئة", "Category")) }
                    th scope="col" { (lang.t("التقييمات", "Answers")) }
                    th scope="col" { (lang.t("حُلّت فعلاً", "Really resolved")) }
                    th scope="col" { (lang.t("متوسط النجوم", "Mean stars")) }
                    th scope="col" { (lang.t("أُعيد فتحها", "Reopened")) }
                } }
                tbody {
                    @if satisfaction.is_empty() {
                        tr { td colspan="6" { (lang.t("لا تقييمات في هذه الفترة", "No feedback in this period")) } }
                    }
                    @for s in &satisfaction { tr {
                        td { (s.department_id.as_deref().map(|d| name_in(&departments, d)).unwrap_or_else(|| lang.t("غير محال", "Not routed").to_owned())) }
                        td { (name_in(&categories, &s.service_code)) }
                        td { (s.answers) }
                        td { (if s.answers > 0 { format!("{}%", s.resolved * 100 / s.answers) } else { "—".to_owned() }) }
                        td { (s.mean_rating.map(|r| format!("{r:.1} / 5")).unwrap_or_else(|| "—".to_owned())) }
                        td { (s.reopened) }
                    } }
                }
            }
        }
    };
    pages::respond(
        StatusCode::OK,
        pages::page(lang, lang.t("لوحة المؤشرات", "Dashboard"), Some(&staff), "/staff/dashboard", body),
    )
}

/// A CSV cell: quoted, and a leading `= + - @` defused so a spreadsheet does not run it.
fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(crate) async fn csv(staff: Staff, State(st): State<Arc<ConsoleState>>, q: RawQuery) -> Response {
    let role = match staff.request_role() {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let period = Period::parse(&q);
    let rows = match rows(&st, &role, &period).await {
        Ok(r) => r,
        Err(e) => return internal(staff.lang, e),
    };
    let now = stamp(Utc::now());
    let mut out = String::from(
        "id,requested_at,source,service_code,department_id,detailed_status,expected_at,overdue,first_response_at,closed_at\r\n",
    );
    for r in &rows {
        let line = [
            r.id.to_string(),
            r.requested_at.clone(),
            r.source.clone(),
            r.service_code.clone(),
            r.department_id.clone().unwrap_or_default(),
            r.detailed_status.clone(),
            r.expected_at.clone().unwrap_or_default(),
            is_overdue(r, &now).to_string(),
            r.first_response_at.clone().unwrap_or_default(),
            r.closed_at.clone().unwrap_or_default(),
        ]
        .iter()
        .map(|c| cell(c))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&line);
        out.push_str("\r\n");
    }
    let name = format!("attachment; filename=\"requests-{}-{}.csv\"", period.from, period.to);
    let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&name) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(cell("-1"), "\"'-1\"");
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let row = |h: i64| Row {
            id: 1,
            requested_at: "2026-01-01T00:00:00.000000Z".into(),
            source: "app".into(),
            service_code: "x".into(),
            department_id: None,
            detailed_status: "fixed".into(),
            open: false,
            expected_at: None,
            first_response_at: Some(stamp(parse("2026-01-01T00:00:00Z").unwrap() + Duration::hours(h))),
            closed_at: None,
        };
        let rows = [row(1), row(3), row(10), row(2)];
        assert_eq!(median_hours(&rows, |r| r.first_response_at.as_ref()), Some(2.5));
        assert_eq!(median_hours(&rows, |r| r.closed_at.as_ref()), None);
    }
}

//! `baladiya complaint ...`: file, list and follow complaints and suggestions.

use std::path::PathBuf;

use baladiya_core::complaints::follow::{NearbyCheck, NearbyRequest};
use baladiya_core::complaints::{
    AttributeAnswer, Complaint, ComplaintDraft, ComplaintState, Contact, GeoPoint,
};
use baladiya_core::Baladiya;

use crate::render::Langs;
use clap::Subcommand;

#[derive(Subcommand)]
pub enum ComplaintCommand {
    /// Fetch the categories (complaints and suggestions) for offline use, and list them.
    Categories {
        /// Show each category's attributes too.
        #[arg(long)]
        attributes: bool,
    },
    /// File a complaint now; it is queued and sent by `flush` (works offline).
    New {
        #[arg(long)]
        category: String,
        #[arg(long)]
        description: String,
        #[arg(long, requires = "long", allow_negative_numbers = true)]
        lat: Option<f64>,
        #[arg(long, requires = "lat", allow_negative_numbers = true)]
        long: Option<f64>,
        #[arg(long)]
        address: Option<String>,
        /// An attribute answer, `code=value` (repeat for several, or for several list values).
        #[arg(long = "attr", value_name = "CODE=VALUE")]
        attributes: Vec<String>,
        /// A photo to attach (JPEG or PNG; at most 3).
        #[arg(long = "photo")]
        photos: Vec<PathBuf>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
    /// Before filing: the open requests of this category already reported within 50 m of the
    /// point ("this is my problem too"); skipped offline or against another city's server.
    Nearby {
        #[arg(long)]
        category: String,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        long: f64,
    },
    /// Follow a request `nearby` lists instead of filing it again (it is looked up nearby again,
    /// so this needs the network; its updates then come with `refresh`).
    Follow {
        /// The municipality's number of the request, as `nearby` lists it.
        request: String,
        #[arg(long)]
        category: String,
        #[arg(long, allow_negative_numbers = true)]
        lat: f64,
        #[arg(long, allow_negative_numbers = true)]
        long: f64,
    },
    /// The complaints on this phone.
    List,
    /// One complaint with its history.
    Show { local_id: String },
    /// What is still waiting to be sent.
    Outbox,
    /// Send the queued complaints now.
    Flush,
    /// Bring status changes and replies.
    Refresh,
    /// Withdraw a complaint that has not left the phone.
    Cancel { local_id: String },
    /// Queue a refused complaint again.
    Resend { local_id: String },
}

/// The status a complaint is in now: its newest history entry's (the first status the server gave
/// is not updated by a server that reports only `status`), else what the last answer said.
pub fn current_status<'a>(
    status: Option<&'a str>,
    detailed_status: Option<&'a str>,
    history: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
) -> &'a str {
    // (updated_datetime, status, detailed_status); the last of equal times wins.
    let newest = history.into_iter().fold(None, |best: Option<(&str, &str, Option<&str>)>, u| match best {
        Some(b) if b.0 > u.0 => Some(b),
        _ => Some(u),
    });
    match newest {
        Some((_, status, detailed)) => detailed.unwrap_or(status),
        None => detailed_status.or(status).unwrap_or("open"),
    }
}

/// Each line of a reason, the later ones indented under the first.
fn lines(reason: &str) -> String {
    reason.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n    ")
}

fn state(c: &Complaint) -> String {
    match c.state {
        ComplaintState::Queued if c.attempts > 0 => {
            format!(
                "queued (attempt {} failed: {})",
                c.attempts,
                lines(c.last_error.as_deref().unwrap_or(""))
            )
        }
        ComplaintState::Queued => "queued".into(),
        ComplaintState::Sent => format!(
            "{} #{} — {}{}",
            if c.followed { "following" } else { "sent as" },
            c.server_id.as_deref().or(c.token.as_deref()).unwrap_or("?"),
            current_status(
                c.status.as_deref(),
                c.detailed_status.as_deref(),
                c.updates.iter().map(|u| (
                    u.updated_datetime.as_str(),
                    u.status.as_str(),
                    u.detailed_status.as_deref()
                ))
            ),
            match c.followers {
                Some(n) if n > 0 => format!(" ({n} following)"),
                _ => String::new(),
            }
        ),
        ComplaintState::NeedsAttention => {
            format!("needs attention: {}", lines(c.last_error.as_deref().unwrap_or("")))
        }
        ComplaintState::Cancelled => "cancelled".into(),
    }
}

fn line(c: &Complaint) {
    say!("{}  {:<28} {}", c.local_id, c.draft.service_code, state(c));
}

fn attributes(raw: Vec<String>) -> Result<Vec<AttributeAnswer>, String> {
    let mut out: Vec<AttributeAnswer> = Vec::new();
    for a in raw {
        let (code, value) = a.split_once('=').ok_or_else(|| format!("--attr {a}: expected CODE=VALUE"))?;
        match out.iter_mut().find(|x| x.code == code) {
            Some(x) => x.values.push(value.to_owned()),
            None => out.push(AttributeAnswer { code: code.to_owned(), values: vec![value.to_owned()] }),
        }
    }
    Ok(out)
}

/// "within 3 days" / "خلال 3 أيام": the time a category's service level (whole hours) gives,
/// in days when it is whole days, with Arabic's counted forms (CLDR: one, two, few, many, other).
fn within(hours: u32, arabic: bool) -> String {
    let (n, ar, en) = if hours.is_multiple_of(24) {
        (hours / 24, ["يوم واحد", "يومين", "أيام", "يومًا", "يوم"], "day")
    } else {
        (hours, ["ساعة واحدة", "ساعتين", "ساعات", "ساعة", "ساعة"], "hour")
    };
    if !arabic {
        return format!("within {n} {en}{}", if n == 1 { "" } else { "s" });
    }
    let counted = match (n, n % 100) {
        (1, _) => ar[0].to_owned(),
        (2, _) => ar[1].to_owned(),
        (_, 3..=10) => format!("{n} {}", ar[2]),
        (_, 11..=99) => format!("{n} {}", ar[3]),
        _ => format!("{n} {}", ar[4]),
    };
    format!("خلال {counted}")
}

/// What a category's line adds about its time (the municipality's server says it; other
/// cities' servers do not, and then nothing is added).
fn expected_time(hours: Option<u32>, langs: Langs) -> String {
    let Some(h) = hours else { return String::new() };
    match langs {
        Langs::Ar => format!("  — {}", within(h, true)),
        Langs::En => format!("  — {}", within(h, false)),
        Langs::Both => format!("  — {} / {}", within(h, true), within(h, false)),
    }
}

/// One request of `complaint nearby`: its number, how far, what, how many follow it.
fn nearby_line(r: &NearbyRequest) {
    say!(
        "{:<8} {:>3} m  {:<12} {}{}  ({} following){}",
        r.service_request_id,
        r.distance_m,
        r.detailed_status.as_deref().unwrap_or("open"),
        r.service_name,
        r.description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default(),
        r.followers,
        if r.on_this_phone { "  [on this phone]" } else { "" }
    );
}

pub async fn run(
    core: &Baladiya,
    cmd: ComplaintCommand,
    langs: Langs,
) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        ComplaintCommand::Categories { attributes } => {
            match core.refresh_complaint_categories().await {
                Ok(n) => say!("{n} categories fetched"),
                Err(e) => say!("offline copy ({e})"),
            }
            for c in core.complaint_categories()? {
                say!("{:<28} [{}] {}{}", c.code, c.group, c.name, expected_time(c.expected_hours, langs));
                if attributes {
                    for a in core.complaint_definition(&c.code)? {
                        let values: Vec<&str> = a.values.iter().map(|v| v.key.as_str()).collect();
                        say!(
                            "    {}{} ({:?}) {} {}",
                            a.code,
                            if a.required { "*" } else { "" },
                            a.datatype,
                            a.description,
                            if values.is_empty() { String::new() } else { format!("[{}]", values.join("|")) }
                        );
                    }
                }
            }
        }
        ComplaintCommand::New {
            category,
            description,
            lat,
            long,
            address,
            attributes: attrs,
            photos,
            name,
            phone,
            email,
        } => {
            let photos = photos.iter().map(std::fs::read).collect::<Result<Vec<_>, _>>()?;
            let contact = Contact { first_name: name, last_name: None, phone, email };
            let draft = ComplaintDraft {
                service_code: category,
                description,
                attributes: attributes(attrs)?,
                location: lat.zip(long).map(|(lat, long)| GeoPoint { lat, long }),
                address,
                contact: Some(contact),
            };
            let id = core.submit_complaint(draft, &photos)?;
            say!("{id}");
            say!("queued — tracking number {id}; run `baladiya complaint flush` to send now");
        }
        ComplaintCommand::Nearby { category, lat, long } => {
            match core.nearby_requests(&category, Some(GeoPoint { lat, long })).await? {
                NearbyCheck::Found { requests } if requests.is_empty() => {
                    say!("nothing of this kind reported within 50 m: file it")
                }
                NearbyCheck::Found { requests } => requests.iter().for_each(nearby_line),
                NearbyCheck::Skipped { reason } => say!("nearby step skipped ({reason:?}): file it as usual"),
            }
        }
        ComplaintCommand::Follow { request, category, lat, long } => {
            let found = match core.nearby_requests(&category, Some(GeoPoint { lat, long })).await? {
                NearbyCheck::Found { requests } => {
                    requests.into_iter().find(|r| r.service_request_id == request)
                }
                NearbyCheck::Skipped { reason } => {
                    return Err(format!("cannot look nearby now ({reason:?})").into())
                }
            };
            let Some(found) = found else {
                return Err(
                    format!("request {request} is not an open {category} within 50 m of that point").into()
                );
            };
            let id = core.follow_request(&found)?;
            say!("{id}");
            say!("following request {request} as {id}; its updates come with `baladiya complaint refresh`");
        }
        ComplaintCommand::List => core.complaints()?.iter().for_each(line),
        ComplaintCommand::Show { local_id } => {
            let c = core.complaint(&local_id)?;
            line(&c);
            say!("  {}", c.draft.description);
            for a in &c.draft.attributes {
                say!("  {} = {}", a.code, a.values.join(", "));
            }
            if let Some(p) = c.draft.location {
                say!("  at {:.5}, {:.5}", p.lat, p.long);
            }
            if let Some(a) = &c.draft.address {
                say!("  address: {a}");
            }
            let waiting = c.photo_count - c.photos_uploaded - c.photos_refused;
            let photos = match (c.state, waiting, c.photos_refused) {
                (ComplaintState::Sent, 0, 0) => format!("{}", c.photo_count),
                (ComplaintState::Sent, w, r) => {
                    format!("{} ({} sent, {w} still to send, {r} refused)", c.photo_count, c.photos_uploaded)
                }
                _ => format!("{}", c.photo_count),
            };
            say!(
                "  photos: {photos}; {}",
                if c.draft.contact.is_some() { "with contact" } else { "anonymous" }
            );
            for u in &c.updates {
                say!(
                    "  {}  {:<12} {}",
                    u.updated_datetime,
                    u.detailed_status.as_deref().unwrap_or(&u.status),
                    u.description
                );
            }
            for l in crate::followup::describe(&c) {
                say!("  {l}");
            }
        }
        ComplaintCommand::Outbox => core
            .complaints()?
            .iter()
            .filter(|c| matches!(c.state, ComplaintState::Queued | ComplaintState::NeedsAttention))
            .for_each(line),
        ComplaintCommand::Flush => {
            // Upload progress on stderr, a line per tenth of each photo (or of a whole POST).
            let tenth = std::sync::Mutex::new((u32::MAX, 0u64));
            let listening = core.subscribe(std::sync::Arc::new(move |e: &baladiya_core::BaladiyaEvent| {
                let baladiya_core::BaladiyaEvent::ComplaintProgress { progress: p } = e else { return };
                let pct = p.photo_bytes_sent * 100 / p.photo_bytes_total.max(1);
                let mut last = tenth.lock().unwrap_or_else(|x| x.into_inner());
                if *last != (p.photo_index, pct / 10) {
                    *last = (p.photo_index, pct / 10);
                    let what = match p.photo_index {
                        0 => "complaint and photos".to_owned(),
                        i => format!("photo {i} of {}", p.photo_count),
                    };
                    eprintln!(
                        "  {}: sending {what} — {pct}% ({} of {} bytes)",
                        p.local_id, p.photo_bytes_sent, p.photo_bytes_total
                    );
                }
            }));
            let r = core.flush_complaints().await;
            core.unsubscribe(listening);
            let r = r?;
            for s in &r.sent {
                say!(
                    "sent {} as #{}",
                    s.local_id,
                    s.server_id.as_deref().or(s.token.as_deref()).unwrap_or("?")
                );
            }
            for refusal in &r.needs_attention {
                say!("refused {}: {}", refusal.local_id, lines(&refusal.reason));
            }
            if let Some(retry) = &r.retry_later {
                say!("not sent {}: {} (will retry)", retry.local_id, retry.error);
            }
            say!("{} still queued", r.remaining);
            if r.photos_uploaded > 0 {
                say!("{} photos sent after their complaints", r.photos_uploaded);
            }
            for refusal in &r.photos_refused {
                say!("photo of {} refused: {}", refusal.local_id, lines(&refusal.reason));
            }
            if let Some(retry) = &r.photos_retry_later {
                say!("photos of {} not sent: {} (will retry)", retry.local_id, retry.error);
            }
            if r.photos_remaining > 0 {
                say!("{} photos still to send", r.photos_remaining);
            }
            for f in &r.followups_sent {
                say!("{} of {} sent", f.kind.as_str(), f.local_id);
            }
            for f in &r.followups_refused {
                say!("{} of {} refused: {}", f.kind.as_str(), f.local_id, lines(&f.reason));
            }
            if let Some(retry) = &r.followups_retry_later {
                say!("feedback or reopening of {} not sent: {} (will retry)", retry.local_id, retry.error);
            }
            if r.followups_remaining > 0 {
                say!("{} feedback or reopenings still to send", r.followups_remaining);
            }
        }
        ComplaintCommand::Refresh => {
            let r = core.refresh_complaints().await?;
            say!("{} checked, {} changed, {} new updates", r.checked, r.changed, r.new_updates);
        }
        ComplaintCommand::Cancel { local_id } => {
            core.cancel_complaint(&local_id)?;
            say!("cancelled {local_id}");
        }
        ComplaintCommand::Resend { local_id } => {
            core.resend_complaint(&local_id)?;
            say!("queued {local_id} again");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{current_status, expected_time, within};
    use crate::render::Langs;

    #[test]
    fn a_category_says_its_time_in_days_or_hours() {
        assert_eq!(within(72, true), "خلال 3 أيام");
        assert_eq!(within(72, false), "within 3 days");
        assert_eq!((within(24, true).as_str(), within(24, false).as_str()), ("خلال يوم واحد", "within 1 day"));
        assert_eq!(within(48, true), "خلال يومين");
        assert_eq!(within(336, true), "خلال 14 يومًا");
        assert_eq!(within(2400, true), "خلال 100 يوم");
        assert_eq!(
            (within(12, true).as_str(), within(12, false).as_str()),
            ("خلال 12 ساعة", "within 12 hours")
        );
        assert_eq!(within(1, false), "within 1 hour");
        assert_eq!(expected_time(Some(120), Langs::Both), "  — خلال 5 أيام / within 5 days");
        assert_eq!(expected_time(None, Langs::Both), "");
    }

    #[test]
    fn the_header_follows_the_newest_history_entry() {
        // A server that reports only `status`: the first answer said received, a later change of
        // status became a history entry of its own.
        let history =
            [("2026-11-01T10:00:00Z", "open", Some("received")), ("2026-11-03T09:00:00Z", "closed", None)];
        assert_eq!(current_status(Some("closed"), Some("received"), history), "closed");
        let ours = [
            ("2026-11-01T10:00:00Z", "open", Some("received")),
            ("2026-11-02T10:00:00Z", "open", Some("in_progress")),
        ];
        assert_eq!(current_status(Some("open"), Some("received"), ours), "in_progress");
        assert_eq!(current_status(Some("open"), None, []), "open");
        assert_eq!(current_status(None, Some("received"), []), "received");
    }
}

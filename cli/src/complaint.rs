//! `baladiya complaint ...`: file, list and follow complaints and suggestions.

use std::path::PathBuf;

use baladiya_core::complaints::{
    AttributeAnswer, Complaint, ComplaintDraft, ComplaintState, Contact, GeoPoint,
};
use baladiya_core::Baladiya;
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

fn state(c: &Complaint) -> String {
    match c.state {
        ComplaintState::Queued if c.attempts > 0 => {
            format!("queued (attempt {} failed: {})", c.attempts, c.last_error.as_deref().unwrap_or(""))
        }
        ComplaintState::Queued => "queued".into(),
        ComplaintState::Sent => format!(
            "sent as #{} — {}",
            c.server_id.as_deref().or(c.token.as_deref()).unwrap_or("?"),
            c.detailed_status.as_deref().or(c.status.as_deref()).unwrap_or("open")
        ),
        ComplaintState::NeedsAttention => {
            format!("needs attention: {}", c.last_error.as_deref().unwrap_or(""))
        }
        ComplaintState::Cancelled => "cancelled".into(),
    }
}

fn line(c: &Complaint) {
    println!("{}  {:<28} {}", c.local_id, c.draft.service_code, state(c));
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

pub async fn run(core: &Baladiya, cmd: ComplaintCommand) -> Result<(), Box<dyn std::error::Error>> {
    match cmd {
        ComplaintCommand::Categories { attributes } => {
            match core.refresh_complaint_categories().await {
                Ok(n) => println!("{n} categories fetched"),
                Err(e) => println!("offline copy ({e})"),
            }
            for c in core.complaint_categories()? {
                println!("{:<28} [{}] {}", c.code, c.group, c.name);
                if attributes {
                    for a in core.complaint_definition(&c.code)? {
                        let values: Vec<&str> = a.values.iter().map(|v| v.key.as_str()).collect();
                        println!(
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
            println!("{id}");
            println!("queued — tracking number {id}; run `baladiya complaint flush` to send now");
        }
        ComplaintCommand::List => core.complaints()?.iter().for_each(line),
        ComplaintCommand::Show { local_id } => {
            let c = core.complaint(&local_id)?;
            line(&c);
            println!("  {}", c.draft.description);
            for a in &c.draft.attributes {
                println!("  {} = {}", a.code, a.values.join(", "));
            }
            if let Some(p) = c.draft.location {
                println!("  at {:.5}, {:.5}", p.lat, p.long);
            }
            if let Some(a) = &c.draft.address {
                println!("  address: {a}");
            }
            println!(
                "  photos: {}; {}",
                c.photo_count,
                if c.draft.contact.is_some() { "with contact" } else { "anonymous" }
            );
            for u in &c.updates {
                println!(
                    "  {}  {:<12} {}",
                    u.updated_datetime,
                    u.detailed_status.as_deref().unwrap_or(&u.status),
                    u.description
                );
            }
        }
        ComplaintCommand::Outbox => core
            .complaints()?
            .iter()
            .filter(|c| matches!(c.state, ComplaintState::Queued | ComplaintState::NeedsAttention))
            .for_each(line),
        ComplaintCommand::Flush => {
            let r = core.flush_complaints().await?;
            for s in &r.sent {
                println!(
                    "sent {} as #{}",
                    s.local_id,
                    s.server_id.as_deref().or(s.token.as_deref()).unwrap_or("?")
                );
            }
            for (id, reason) in &r.needs_attention {
                println!("refused {id}: {reason}");
            }
            if let Some(retry) = &r.retry_later {
                println!("not sent {}: {} (will retry)", retry.local_id, retry.error);
            }
            println!("{} still queued", r.remaining);
        }
        ComplaintCommand::Refresh => {
            let r = core.refresh_complaints().await?;
            println!("{} checked, {} changed, {} new updates", r.checked, r.changed, r.new_updates);
        }
        ComplaintCommand::Cancel { local_id } => {
            core.cancel_complaint(&local_id)?;
            println!("cancelled {local_id}");
        }
        ComplaintCommand::Resend { local_id } => {
            core.resend_complaint(&local_id)?;
            println!("queued {local_id} again");
        }
    }
    Ok(())
}

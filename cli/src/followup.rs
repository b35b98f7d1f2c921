//! `baladiya feedback …` and `baladiya reopen …`: what the citizen says after a complaint is
//! closed. Both work offline: they go to the outbox and `baladiya complaint flush` sends them.

use baladiya_core::complaints::followup::{FeedbackDraft, FollowUpState};
use baladiya_core::complaints::Complaint;
use baladiya_core::Baladiya;
use clap::ValueEnum;

/// The citizen's answer to "was it really resolved?"
#[derive(Clone, Copy, ValueEnum)]
pub enum Resolved {
    Yes,
    No,
}

fn state(s: FollowUpState, error: Option<&str>) -> String {
    match (s, error) {
        (FollowUpState::Queued, None) => "queued".into(),
        (FollowUpState::Queued, Some(e)) => format!("queued, retrying ({e})"),
        (FollowUpState::Sent, _) => "sent".into(),
        (FollowUpState::Refused, e) => format!("refused: {}", e.unwrap_or("?")),
    }
}

/// The lines `complaint show` adds about feedback and reopening.
pub fn describe(c: &Complaint) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(f) = &c.feedback {
        out.push(format!(
            "feedback: {} — {} stars{} ({})",
            if f.resolved { "resolved" } else { "not resolved" },
            f.rating,
            f.comment.as_deref().map(|t| format!(", “{t}”")).unwrap_or_default(),
            state(f.state, f.error.as_deref())
        ));
    } else if c.can_give_feedback {
        out.push(format!(
            "feedback: you can say whether it was resolved (`baladiya feedback {}`)",
            c.local_id
        ));
    }
    if let Some(r) = &c.reopen {
        out.push(format!("reopen: “{}” ({})", r.reason, state(r.state, r.error.as_deref())));
    } else if let (true, Some(until)) = (c.can_reopen, c.reopen_until) {
        let until = chrono::DateTime::from_timestamp_millis(until)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        out.push(format!("reopen: possible until {until} (`baladiya reopen {} --reason …`)", c.local_id));
    }
    out
}

pub fn feedback(
    core: &Baladiya,
    local_id: &str,
    resolved: Resolved,
    stars: u8,
    comment: Option<String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let draft = FeedbackDraft { resolved: matches!(resolved, Resolved::Yes), rating: stars, comment };
    core.give_complaint_feedback(local_id, draft)?;
    say!("feedback on {local_id} queued; run `baladiya complaint flush` to send now");
    Ok(())
}

pub fn reopen(core: &Baladiya, local_id: &str, reason: &str) -> Result<(), Box<dyn std::error::Error>> {
    core.reopen_complaint(local_id, reason)?;
    say!("reopening of {local_id} queued; run `baladiya complaint flush` to send now");
    Ok(())
}

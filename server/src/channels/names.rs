//! Messenger gives the team a page-scoped id, not a name; the User Profile API does:
//! `GET /{version}/{PSID}?fields=first_name,last_name` with the page's token, for a person who has
//! written to the page. The sender asks for the senders of items still waiting for the team (a
//! few each round); a name found goes on their items (personal data: shown only on the staff
//! pages, never logged). One that cannot be had is not asked again by this process; another
//! process, or a restart, asks once more.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::Deserialize;

use super::outbound::GraphConfig;
use super::store;
use crate::db::Db;

/// Senders asked per round of the sender's loop.
const PER_ROUND: u32 = 5;

#[derive(Deserialize)]
struct Profile {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

/// Ask for the names of Messenger senders the team does not know yet.
pub(super) async fn name_messenger_senders(
    db: &Db,
    http: &reqwest::Client,
    config: &GraphConfig,
    tried: &Mutex<HashSet<String>>,
) {
    let Some(token) = &config.messenger_token else { return };
    let senders = match db.call(|c| store::unnamed_messenger_senders(c, PER_ROUND * 4)).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "channel names: senders not read");
            return;
        }
    };
    let fresh: Vec<String> = {
        let mut tried = tried.lock().unwrap_or_else(|p| p.into_inner());
        senders.into_iter().filter(|s| tried.insert(s.clone())).take(PER_ROUND as usize).collect()
    };
    for psid in fresh {
        // Page-scoped ids are digits; anything else never reaches a URL path.
        if psid.is_empty() || psid.len() > 32 || !psid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let url = format!(
            "{}/{}/{psid}?fields=first_name,last_name",
            config.base.trim_end_matches('/'),
            config.version
        );
        let name = match http.get(url).bearer_auth(token).send().await {
            Ok(r) if r.status().is_success() => r.json::<Profile>().await.ok().and_then(full_name),
            Ok(r) => {
                tracing::info!(
                    status = r.status().as_u16(),
                    "channel names: a Messenger profile was refused"
                );
                None
            }
            Err(_) => {
                tracing::info!("channel names: the User Profile API did not answer");
                None
            }
        };
        if let Some(name) = name {
            if let Err(e) = db.call(move |c| store::name_messenger_sender(c, &psid, &name)).await {
                tracing::error!(error = %e, "channel names: a name not stored");
            }
        }
    }
}

/// "First Last", each part through the server's text policy and at most 100 characters in all.
fn full_name(p: Profile) -> Option<String> {
    let parts: Vec<String> = [p.first_name, p.last_name]
        .into_iter()
        .flatten()
        .map(|s| crate::text::clean(s.trim()))
        .filter(|s| !s.is_empty())
        .collect();
    let name: String = parts.join(" ").chars().take(100).collect();
    (!name.is_empty()).then_some(name)
}

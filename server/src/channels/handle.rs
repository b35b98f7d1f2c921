//! What the public-relations team does with an intake item, in one place for the console's pages
//! and the staff API: attach it to a request, dismiss it, or make a request of it (the form's
//! values prefilled from what the citizen sent). Each is one transaction that acts only on an
//! item still `new`, so two colleagues (or a page and a script) never both handle it.

use crate::console::accounts;
use crate::error::ApiError;
use crate::open311::store as requests;
use crate::sql::Conn;

use super::store::{self, Item};

/// How handling an item went, short of a database failure.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    Done,
    /// No item with that id.
    NoItem,
    /// No request with the number given to attach to.
    NoRequest,
    /// Someone acted on it first.
    Already,
}

/// The item's messages become an internal note on request `request_id`, and the item is marked
/// `attached`.
pub fn attach(conn: &Conn, item_id: i64, request_id: i64, by: &str) -> Result<Handled, ApiError> {
    let Some(item) = store::get(conn, item_id)? else { return Ok(Handled::NoItem) };
    if requests::get(conn, request_id)?.is_none() {
        return Ok(Handled::NoRequest);
    }
    let tx = conn.transaction()?;
    if !store::settle(&tx, item_id, "attached", Some(request_id), by)? {
        return Ok(Handled::Already);
    }
    accounts::add_note(&tx, request_id, by, &item.as_note())?;
    tx.commit()?;
    Ok(Handled::Done)
}

/// The item is marked `dismissed` (nothing is made of it; retention erases it in time).
pub fn dismiss(conn: &Conn, item_id: i64, by: &str) -> Result<Handled, ApiError> {
    if store::get(conn, item_id)?.is_none() {
        return Ok(Handled::NoItem);
    }
    Ok(if store::settle(conn, item_id, "dismissed", None, by)? { Handled::Done } else { Handled::Already })
}

/// Inside the transaction that entered request `request_id` from the item: mark it made into that
/// request and keep everything the citizen sent (media ids among it) as an internal note there.
/// False (and the caller rolls back) when someone acted on the item first.
pub fn made_into(conn: &Conn, item_id: i64, request_id: i64, by: &str) -> Result<bool, ApiError> {
    let Some(item) = store::get(conn, item_id)? else { return Ok(false) };
    if !store::settle(conn, item_id, "request", Some(request_id), by)? {
        return Ok(false);
    }
    accounts::add_note(conn, request_id, by, &item.as_note())?;
    Ok(true)
}

/// A request form's values from what the citizen sent: the channel as `source`, the texts, the
/// location and the place, the sender's name and (WhatsApp) number.
pub fn prefill(item: &Item) -> Vec<(String, String)> {
    let mut values =
        vec![("source".to_owned(), item.channel.clone()), ("description".to_owned(), item.text())];
    if let Some((lat, lon)) = item.location() {
        values.push(("lat".into(), format!("{lat:.6}")));
        values.push(("long".into(), format!("{lon:.6}")));
    }
    if let Some(p) = item.place() {
        values.push(("address_string".into(), p.to_owned()));
    }
    if let Some(n) = &item.sender_name {
        values.push(("first_name".into(), n.clone()));
    }
    if item.channel == "whatsapp" && !item.sender_id.is_empty() {
        values.push(("phone".into(), format!("+{}", item.sender_id)));
    }
    values
}

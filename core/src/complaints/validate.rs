//! Checking a draft before it enters the outbox, against the cached definition of its category:
//! required attributes, list values, numbers and datetimes, lengths, and a location inside the
//! municipality (or an address). Errors name the field the citizen has to fix.

use super::{Area, AttributeAnswer, ComplaintDraft, Contact};
use crate::error::{Error, Result};
use crate::open311::{AttributeDef, ComplaintCategory, Datatype};
use crate::text::ascii_digits;

pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_STRING_CHARS: usize = 250;

/// Normalise what can be (trim; digits of any script in numbers and phones) and check the rest.
/// `category` and `definition` are what the cache holds; with an empty cache (never online) only
/// the checks that need no definition are made, and the server has the last word.
pub fn check(
    mut draft: ComplaintDraft,
    categories_known: bool,
    category: Option<&ComplaintCategory>,
    definition: Option<&[AttributeDef]>,
    area: &Area,
) -> Result<ComplaintDraft> {
    draft.service_code = draft.service_code.trim().to_owned();
    if draft.service_code.is_empty() {
        return Err(Error::validation("service_code", "choose a category"));
    }
    if categories_known && category.is_none() {
        return Err(Error::validation("service_code", "unknown category"));
    }
    draft.description = draft.description.trim().to_owned();
    let chars = draft.description.chars().count();
    if chars == 0 {
        return Err(Error::validation("description", "describe the problem"));
    }
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(Error::validation("description", format!("at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    draft.address = draft.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    match (draft.location, &draft.address) {
        (Some(p), _) if !p.lat.is_finite() || !p.long.is_finite() => {
            return Err(Error::validation("location", "not a valid point"));
        }
        (Some(p), _) if !area.contains(p) => {
            return Err(Error::validation("location", "outside the municipality's area"));
        }
        (None, None) => return Err(Error::validation("location", "give a location or an address")),
        _ => {}
    }
    if let Some(defs) = definition {
        draft.attributes = check_attributes(draft.attributes, defs)?;
    }
    draft.contact = draft.contact.map(check_contact).transpose()?.flatten();
    Ok(draft)
}

fn field(code: &str) -> String {
    format!("attribute[{code}]")
}

fn check_attributes(answers: Vec<AttributeAnswer>, defs: &[AttributeDef]) -> Result<Vec<AttributeAnswer>> {
    let mut out = Vec::with_capacity(answers.len());
    for mut a in answers {
        let def = defs
            .iter()
            .find(|d| d.code == a.code)
            .ok_or_else(|| Error::validation(&field(&a.code), "not an attribute of this category"))?;
        a.values = a.values.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
        if a.values.is_empty() {
            continue;
        }
        if def.datatype != Datatype::MultiValueList && a.values.len() > 1 {
            return Err(Error::validation(&field(&a.code), "only one value is allowed"));
        }
        for v in a.values.iter_mut() {
            check_value(def, v)?;
        }
        out.push(a);
    }
    for def in defs.iter().filter(|d| d.required && d.variable) {
        if !out.iter().any(|a| a.code == def.code) {
            return Err(Error::validation(&field(&def.code), "required"));
        }
    }
    Ok(out)
}

fn check_value(def: &AttributeDef, v: &mut String) -> Result<()> {
    let name = field(&def.code);
    match def.datatype {
        Datatype::SingleValueList | Datatype::MultiValueList => {
            if !def.values.iter().any(|x| x.key == *v) {
                return Err(Error::validation(&name, format!("not one of the listed values: {v}")));
            }
        }
        Datatype::Number => {
            // Accept any digit script and the Arabic decimal separator.
            let ascii: String = v
                .chars()
                .map(|c| match c {
                    '٫' => '.',
                    c => ascii_digits(&c.to_string()).chars().next().unwrap_or(c),
                })
                .collect();
            if ascii.trim().parse::<f64>().map(|n| !n.is_finite()).unwrap_or(true) {
                return Err(Error::validation(&name, "a number is expected"));
            }
            *v = ascii.trim().to_owned();
        }
        Datatype::Datetime => {
            if chrono::DateTime::parse_from_rfc3339(v).is_err() {
                return Err(Error::validation(&name, "a date and time (RFC 3339) is expected"));
            }
        }
        Datatype::String => {
            if v.chars().count() > MAX_STRING_CHARS {
                return Err(Error::validation(&name, format!("at most {MAX_STRING_CHARS} characters")));
            }
        }
        Datatype::Text => {
            if v.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(Error::validation(&name, format!("at most {MAX_DESCRIPTION_CHARS} characters")));
            }
        }
    }
    Ok(())
}

/// An empty contact is anonymous. Phone digits may be typed in any script.
fn check_contact(c: Contact) -> Result<Option<Contact>> {
    let clean = |s: Option<String>| s.map(|x| x.trim().to_owned()).filter(|x| !x.is_empty());
    let phone = clean(c.phone)
        .map(|p| {
            let plus = p.trim_start().starts_with('+');
            let digits = ascii_digits(&p);
            if !(9..=15).contains(&digits.len()) {
                return Err(Error::validation("contact.phone", "a phone number has 9 to 15 digits"));
            }
            Ok(if plus { format!("+{digits}") } else { digits })
        })
        .transpose()?;
    let email = clean(c.email);
    if let Some(e) = &email {
        let ok = e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !ok {
            return Err(Error::validation("contact.email", "not an email address"));
        }
    }
    let contact = Contact { first_name: clean(c.first_name), last_name: clean(c.last_name), phone, email };
    let empty = contact.first_name.is_none()
        && contact.last_name.is_none()
        && contact.phone.is_none()
        && contact.email.is_none();
    Ok((!empty).then_some(contact))
}

/// The spec's form fields for a checked draft. Anonymous drafts carry no personal field at all.
/// A multi-value list is sent as `attribute[code][]` even with one value.
pub fn form_fields(d: &ComplaintDraft, definition: Option<&[AttributeDef]>) -> Vec<(String, String)> {
    let multi = |code: &str| {
        definition
            .is_some_and(|defs| defs.iter().any(|x| x.code == code && x.datatype == Datatype::MultiValueList))
    };
    let mut f: Vec<(String, String)> = vec![
        ("service_code".into(), d.service_code.clone()),
        ("description".into(), d.description.clone()),
        ("source".into(), "app".into()),
    ];
    if let Some(p) = d.location {
        f.push(("lat".into(), format!("{:.6}", p.lat)));
        f.push(("long".into(), format!("{:.6}", p.long)));
    }
    if let Some(a) = &d.address {
        f.push(("address_string".into(), a.clone()));
    }
    for a in &d.attributes {
        if a.values.len() > 1 || multi(&a.code) {
            f.extend(a.values.iter().map(|v| (format!("attribute[{}][]", a.code), v.clone())));
        } else if let Some(v) = a.values.first() {
            f.push((format!("attribute[{}]", a.code), v.clone()));
        }
    }
    if let Some(c) = &d.contact {
        for (k, v) in [
            ("first_name", &c.first_name),
            ("last_name", &c.last_name),
            ("phone", &c.phone),
            ("email", &c.email),
        ] {
            if let Some(v) = v {
                f.push((k.into(), v.clone()));
            }
        }
    }
    f
}

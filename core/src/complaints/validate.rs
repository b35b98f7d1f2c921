//! Checking a draft before it enters the outbox, against the cached definition of its category:
//! required attributes, list values, numbers and datetimes, lengths, and a location inside the
//! municipality (or an address). Errors name the field the citizen has to fix.

use super::{Area, AttributeAnswer, ComplaintDraft, Contact};
use crate::error::{Error, FieldProblem, Result};
use crate::open311::{AttributeDef, ComplaintCategory, Datatype};
use crate::text::ascii_digits;

pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_STRING_CHARS: usize = 250;

/// Every problem found in one draft, in the order the form shows its fields.
#[derive(Default)]
struct Problems(Vec<FieldProblem>);

impl Problems {
    fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldProblem { field: field.to_owned(), reason: reason.into() });
    }
}

/// Normalise what can be (trim; digits of any script in numbers and phones) and check the rest.
/// `category` and `definition` are what the cache holds; with an empty cache (never online) only
/// the checks that need no definition are made, and the server has the last word.
///
/// Every problem of the draft is reported at once (the first leading), so a citizen fixes them in
/// one pass instead of learning of the next one after each tap on "send".
pub fn check(
    mut draft: ComplaintDraft,
    categories_known: bool,
    category: Option<&ComplaintCategory>,
    definition: Option<&[AttributeDef]>,
    area: &Area,
) -> Result<ComplaintDraft> {
    let mut problems = Problems::default();
    draft.service_code = draft.service_code.trim().to_owned();
    if draft.service_code.is_empty() {
        problems.add("service_code", "choose a category");
    } else if categories_known && category.is_none() {
        problems.add("service_code", "unknown category");
    }
    if let Some(defs) = definition {
        draft.attributes = check_attributes(std::mem::take(&mut draft.attributes), defs, &mut problems);
    }
    draft.description = draft.description.trim().to_owned();
    let chars = draft.description.chars().count();
    if chars == 0 {
        problems.add("description", "describe the problem");
    } else if chars > MAX_DESCRIPTION_CHARS {
        problems.add("description", format!("at most {MAX_DESCRIPTION_CHARS} characters"));
    }
    draft.address = draft.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    match (draft.location, &draft.address) {
        (Some(p), _) if !p.lat.is_finite() || !p.long.is_finite() => {
            problems.add("location", "not a valid point")
        }
        (Some(p), _) if !area.contains(p) => problems.add("location", "outside the municipality's area"),
        (None, None) => problems.add("location", "give a location or an address"),
        _ => {}
    }
    draft.contact = draft.contact.and_then(|c| check_contact(c, &mut problems));
    match Error::validation_all(problems.0) {
        Some(e) => Err(e),
        None => Ok(draft),
    }
}

fn field(code: &str) -> String {
    format!("attribute[{code}]")
}

/// The answers that pass, normalised; every failing one (and every required one missing) is
/// added to `problems`, in the definition's order.
fn check_attributes(
    answers: Vec<AttributeAnswer>,
    defs: &[AttributeDef],
    problems: &mut Problems,
) -> Vec<AttributeAnswer> {
    let mut out = Vec::with_capacity(answers.len());
    for mut a in answers {
        let Some(def) = defs.iter().find(|d| d.code == a.code) else {
            problems.add(&field(&a.code), "not an attribute of this category");
            continue;
        };
        a.values = a.values.into_iter().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).collect();
        if a.values.is_empty() {
            continue;
        }
        if def.datatype != Datatype::MultiValueList && a.values.len() > 1 {
            problems.add(&field(&a.code), "only one value is allowed");
            continue;
        }
        let before = problems.0.len();
        for v in a.values.iter_mut() {
            if let Err(reason) = check_value(def, v) {
                problems.add(&field(&def.code), reason);
                break;
            }
        }
        if problems.0.len() == before {
            out.push(a);
        }
    }
    for def in defs.iter().filter(|d| d.required && d.variable) {
        let answered = out.iter().any(|a| a.code == def.code);
        let flagged = problems.0.iter().any(|p| p.field == field(&def.code));
        if !answered && !flagged {
            problems.add(&field(&def.code), "required");
        }
    }
    // The form shows the questions in the definition's order: report them in it too.
    let rank = |f: &str| defs.iter().position(|d| field(&d.code) == f).unwrap_or(usize::MAX);
    problems.0.sort_by_key(|p| if p.field.starts_with("attribute[") { rank(&p.field) } else { 0 });
    out
}

/// One value checked and normalised; the error is the reason shown under the field.
fn check_value(def: &AttributeDef, v: &mut String) -> std::result::Result<(), String> {
    match def.datatype {
        Datatype::SingleValueList | Datatype::MultiValueList => {
            if !def.values.iter().any(|x| x.key == *v) {
                return Err(format!("not one of the listed values: {v}"));
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
                return Err("a number is expected".into());
            }
            *v = ascii.trim().to_owned();
        }
        Datatype::Datetime => {
            if chrono::DateTime::parse_from_rfc3339(v).is_err() {
                return Err("a date and time (RFC 3339) is expected".into());
            }
        }
        Datatype::String => {
            if v.chars().count() > MAX_STRING_CHARS {
                return Err(format!("at most {MAX_STRING_CHARS} characters"));
            }
        }
        Datatype::Text => {
            if v.chars().count() > MAX_DESCRIPTION_CHARS {
                return Err(format!("at most {MAX_DESCRIPTION_CHARS} characters"));
            }
        }
    }
    Ok(())
}

/// An empty contact is anonymous. Phone digits may be typed in any script.
fn check_contact(c: Contact, problems: &mut Problems) -> Option<Contact> {
    let clean = |s: Option<String>| s.map(|x| x.trim().to_owned()).filter(|x| !x.is_empty());
    let phone = clean(c.phone).and_then(|p| {
        let plus = p.trim_start().starts_with('+');
        let digits = ascii_digits(&p);
        if !(9..=15).contains(&digits.len()) {
            problems.add("contact.phone", "a phone number has 9 to 15 digits");
            return None;
        }
        Some(if plus { format!("+{digits}") } else { digits })
    });
    let email = clean(c.email);
    if let Some(e) = &email {
        let ok = e.split_once('@').is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
        if !ok {
            problems.add("contact.email", "not an email address");
        }
    }
    let contact = Contact { first_name: clean(c.first_name), last_name: clean(c.last_name), phone, email };
    let empty = contact.first_name.is_none()
        && contact.last_name.is_none()
        && contact.phone.is_none()
        && contact.email.is_none();
    (!empty).then_some(contact)
}

/// The spec's form fields for a checked draft, and nothing beyond them (a strict GeoReport v2
/// server refuses any other; our own server names the channel itself, so no `source`).
/// Anonymous drafts carry no personal field at all. A multi-value list is sent as
/// `attribute[code][]` even with one value.
pub fn form_fields(d: &ComplaintDraft, definition: Option<&[AttributeDef]>) -> Vec<(String, String)> {
    let multi = |code: &str| {
        definition
            .is_some_and(|defs| defs.iter().any(|x| x.code == code && x.datatype == Datatype::MultiValueList))
    };
    let mut f: Vec<(String, String)> =
        vec![("service_code".into(), d.service_code.clone()), ("description".into(), d.description.clone())];
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::open311::ListValue;

    fn def(code: &str, datatype: Datatype, required: bool, order: i64) -> AttributeDef {
        let values = vec![ListValue { key: "out".into(), name: "Out".into() }];
        AttributeDef {
            code: code.into(),
            variable: true,
            datatype,
            required,
            description: code.into(),
            order,
            values,
        }
    }

    fn streetlight() -> (ComplaintCategory, Vec<AttributeDef>) {
        let category = ComplaintCategory {
            code: "streetlight".into(),
            name: "Streetlight".into(),
            description: String::new(),
            group: "roads".into(),
            keywords: vec![],
            has_attributes: true,
            expected_hours: Some(12),
        };
        let defs = vec![
            def("pole_number", Datatype::String, true, 1),
            def("problem", Datatype::SingleValueList, true, 2),
            def("height", Datatype::Number, false, 3),
        ];
        (category, defs)
    }

    fn draft() -> ComplaintDraft {
        ComplaintDraft {
            service_code: "streetlight".into(),
            description: "The light is out".into(),
            attributes: vec![],
            location: None,
            address: Some("Omar al-Mukhtar St.".into()),
            contact: None,
        }
    }

    fn fields(e: &Error) -> Vec<String> {
        e.problems().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn every_missing_answer_is_reported_at_once_in_the_forms_order() {
        let (category, defs) = streetlight();
        let err = check(draft(), true, Some(&category), Some(&defs), &Area::GAZA_CITY).unwrap_err();
        assert_eq!(fields(&err), ["attribute[pole_number]", "attribute[problem]"]);
        assert!(err.to_string().ends_with("(and 1 more)"), "{err}");
    }

    #[test]
    fn problems_of_different_fields_come_together() {
        let (category, defs) = streetlight();
        let mut d = draft();
        d.description = "  ".into();
        d.address = None;
        d.attributes = vec![
            AttributeAnswer { code: "height".into(), values: vec!["tall".into()] },
            AttributeAnswer { code: "problem".into(), values: vec!["out".into()] },
        ];
        d.contact =
            Some(Contact { phone: Some("12".into()), email: Some("nope".into()), ..Default::default() });
        let err = check(d, true, Some(&category), Some(&defs), &Area::GAZA_CITY).unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "attribute[pole_number]",
                "attribute[height]",
                "description",
                "location",
                "contact.phone",
                "contact.email"
            ]
        );
    }

    #[test]
    fn a_valid_draft_passes_normalised() {
        let (category, defs) = streetlight();
        let mut d = draft();
        d.attributes = vec![
            AttributeAnswer { code: "pole_number".into(), values: vec![" P-17 ".into()] },
            AttributeAnswer { code: "problem".into(), values: vec!["out".into()] },
            AttributeAnswer { code: "height".into(), values: vec!["٧٫٥".into()] },
        ];
        let ok = check(d, true, Some(&category), Some(&defs), &Area::GAZA_CITY).unwrap();
        assert_eq!(ok.attributes[0].values, ["P-17"]);
        assert_eq!(ok.attributes[2].values, ["7.5"]);
    }

    #[test]
    fn the_form_carries_the_specs_fields_only() {
        let (_, mut defs) = streetlight();
        defs.push(def("lamps", Datatype::MultiValueList, false, 4));
        let mut d = draft();
        d.location = Some(super::super::GeoPoint { lat: 31.5, long: 34.45 });
        d.attributes = vec![
            AttributeAnswer { code: "problem".into(), values: vec!["out".into()] },
            AttributeAnswer { code: "lamps".into(), values: vec!["out".into()] },
        ];
        d.contact = Some(Contact {
            first_name: Some("Huda".into()),
            last_name: Some("Saleh".into()),
            phone: Some("0599000000".into()),
            email: Some("huda@example.ps".into()),
        });
        let fields = form_fields(&d, Some(&defs));
        let beyond: Vec<&str> = fields
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !crate::open311::extensions::Kind::Post.is_spec(k))
            .collect();
        assert!(beyond.is_empty(), "{beyond:?}");
        assert!(fields.contains(&("attribute[lamps][]".into(), "out".into())));
        assert_eq!(fields.len(), 11, "{fields:?}");
    }
}

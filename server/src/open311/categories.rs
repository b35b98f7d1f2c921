//! Complaint and suggestion categories (Open311 "services"): bilingual definitions in the
//! database, shown in Arabic by default and in English with `locale=en`. Not to be confused with
//! the procedures guide's catalogue ([`crate::catalogue`]), whose departments they share.

use std::collections::HashMap;

use crate::sql::{params, Conn, OptionalExt};
use baladiya_wire::{Attribute, AttributeValue, Department, Localized, Open311Service, ServiceDefinition};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The group of suggestion categories.
pub const SUGGESTIONS_GROUP: &str = "suggestions";

pub const DATATYPES: [&str; 6] =
    ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    Ar,
    En,
}

impl Locale {
    /// `en` (or `en-GB`, …) is English; anything else is Arabic, the app's first language.
    pub fn parse(value: Option<&str>) -> Locale {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en") || v.to_ascii_lowercase().starts_with("en-") => {
                Locale::En
            }
            _ => Locale::Ar,
        }
    }

    pub fn pick(self, text: &Localized) -> &str {
        match self {
            Locale::Ar => &text.ar,
            Locale::En => &text.en,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CategorySeed {
    pub groups: Vec<Group>,
    pub categories: Vec<Category>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: Localized,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Keywords {
    #[serde(default)]
    pub ar: Vec<String>,
    #[serde(default)]
    pub en: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    pub service_code: String,
    /// Id of the group (`suggestions` for suggestions).
    pub group: String,
    /// Filled from `groups` when the category is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<Localized>,
    /// The department a dispatcher routes it to by default.
    pub department_id: String,
    /// The service level: `expected_datetime` is the request time plus this.
    pub expected_hours: i64,
    pub name: Localized,
    pub description: Localized,
    #[serde(default)]
    pub keywords: Keywords,
    #[serde(default)]
    pub attributes: Vec<AttributeDef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributeDef {
    pub code: String,
    pub datatype: String,
    pub required: bool,
    /// False for an informational attribute that takes no value.
    #[serde(default = "yes")]
    pub variable: bool,
    pub order: i64,
    pub description: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype_description: Option<Localized>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ValueDef>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValueDef {
    pub key: String,
    pub name: Localized,
}

impl AttributeDef {
    pub fn is_list(&self) -> bool {
        self.datatype == "singlevaluelist" || self.datatype == "multivaluelist"
    }
}

impl Category {
    pub fn to_service(&self, locale: Locale) -> Open311Service {
        let keywords = match locale {
            Locale::Ar => &self.keywords.ar,
            Locale::En => &self.keywords.en,
        };
        Open311Service {
            service_code: self.service_code.clone(),
            service_name: locale.pick(&self.name).to_owned(),
            description: locale.pick(&self.description).to_owned(),
            metadata: !self.attributes.is_empty(),
            kind: "realtime".into(),
            keywords: keywords.join(", "),
            group: self
                .group_name
                .as_ref()
                .map(|g| locale.pick(g).to_owned())
                .unwrap_or_else(|| self.group.clone()),
            expected_hours: self.service_level_hours(),
        }
    }

    /// The service level as the extension `expected_hours` gives it (at least 1).
    pub fn service_level_hours(&self) -> Option<u32> {
        u32::try_from(self.expected_hours.max(1)).ok()
    }

    pub fn to_definition(&self, locale: Locale) -> ServiceDefinition {
        let mut attributes: Vec<Attribute> = self
            .attributes
            .iter()
            .map(|a| Attribute {
                variable: a.variable,
                code: a.code.clone(),
                datatype: a.datatype.clone(),
                required: a.required,
                datatype_description: a
                    .datatype_description
                    .as_ref()
                    .map(|d| locale.pick(d).to_owned())
                    .unwrap_or_default(),
                order: a.order,
                description: locale.pick(&a.description).to_owned(),
                values: a
                    .values
                    .iter()
                    .map(|v| AttributeValue { key: v.key.clone(), name: locale.pick(&v.name).to_owned() })
                    .collect(),
            })
            .collect();
        attributes.sort_by_key(|a| a.order);
        ServiceDefinition {
            service_code: self.service_code.clone(),
            attributes,
            expected_hours: self.service_level_hours(),
        }
    }

    /// "We aim to deal with it within 2 days" in the locale.
    pub fn service_notice(&self, locale: Locale) -> String {
        let h = self.expected_hours.max(1);
        match locale {
            Locale::En => {
                let span = if h % 24 == 0 {
                    let d = h / 24;
                    if d == 1 {
                        "1 day".to_owned()
                    } else {
                        format!("{d} days")
                    }
                } else if h == 1 {
                    "1 hour".to_owned()
                } else {
                    format!("{h} hours")
                };
                format!("We aim to deal with this report within {span}.")
            }
            Locale::Ar => {
                let span = if h % 24 == 0 { arabic_count(h / 24, DAY) } else { arabic_count(h, HOUR) };
                format!("نعمل على معالجة البلاغ خلال {span}.")
            }
        }
    }
}

/// Arabic forms of a counted noun: one, two, three to ten, eleven and more.
struct Noun {
    one: &'static str,
    two: &'static str,
    few: &'static str,
    many: &'static str,
}
const DAY: Noun = Noun { one: "يوم واحد", two: "يومين", few: "أيام", many: "يومًا" };
const HOUR: Noun =
    Noun { one: "ساعة واحدة", two: "ساعتين", few: "ساعات", many: "ساعة" };

fn arabic_count(n: i64, noun: Noun) -> String {
    match n {
        1 => noun.one.to_owned(),
        2 => noun.two.to_owned(),
        3..=10 => format!("{n} {}", noun.few),
        _ => format!("{n} {}", noun.many),
    }
}

/// Check a seed before storing it: codes, datatypes, list values, groups.
pub fn check(seed: &CategorySeed) -> Result<(), String> {
    let mut codes = std::collections::HashSet::new();
    for c in &seed.categories {
        if !codes.insert(c.service_code.as_str()) {
            return Err(format!("duplicate service_code {}", c.service_code));
        }
        if !seed.groups.iter().any(|g| g.id == c.group) {
            return Err(format!("{}: unknown group {}", c.service_code, c.group));
        }
        for a in &c.attributes {
            if !DATATYPES.contains(&a.datatype.as_str()) {
                return Err(format!("{}: attribute {} has datatype {}", c.service_code, a.code, a.datatype));
            }
            if a.is_list() == a.values.is_empty() {
                return Err(format!(
                    "{}: attribute {} values do not fit its datatype",
                    c.service_code, a.code
                ));
            }
        }
    }
    Ok(())
}

/// Store the categories into an empty table; categories already there are kept.
pub fn seed_if_empty(conn: &Conn, seed: &CategorySeed) -> Result<bool, ApiError> {
    check(seed).map_err(ApiError::BadRequest)?;
    // Checked inside the write transaction: of two processes starting on one database, one seeds.
    let tx = conn.transaction()?;
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM open311_services", (), |r| r.get(0))?;
    if count > 0 {
        return Ok(false);
    }
    for (position, c) in seed.categories.iter().enumerate() {
        let mut c = c.clone();
        c.group_name = seed.groups.iter().find(|g| g.id == c.group).map(|g| g.name.clone());
        tx.execute(
            "INSERT INTO open311_services (service_code, position, group_id, department_id, expected_hours, doc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                c.service_code,
                position as i64,
                c.group,
                c.department_id,
                c.expected_hours,
                serde_json::to_string(&c)?
            ],
        )?;
    }
    bump_version(&tx)?;
    tx.commit()?;
    Ok(true)
}

/// Every change of the categories bumps their version (migration 012), so each server process's
/// serialised services list and definitions ([`super::state::CatalogueCache`]) are made again.
pub fn bump_version(tx: &Conn) -> Result<(), ApiError> {
    tx.execute("UPDATE catalogue_meta SET value = value + 1 WHERE key = 'open311_version'", ())?;
    Ok(())
}

pub fn all(conn: &Conn) -> Result<Vec<Category>, ApiError> {
    let mut stmt = conn.prepare_cached("SELECT doc FROM open311_services ORDER BY position, service_code")?;
    let docs: Vec<String> = stmt.query_map((), |r| r.get(0))?.collect::<Result<_, _>>()?;
    docs.iter().map(|d| serde_json::from_str(d).map_err(ApiError::from)).collect()
}

pub fn get(conn: &Conn, code: &str) -> Result<Option<Category>, ApiError> {
    let doc: Option<String> = conn
        .prepare_cached("SELECT doc FROM open311_services WHERE service_code = ?1")?
        .query_row([code], |r| r.get(0))
        .optional()?;
    doc.map(|d| serde_json::from_str(&d).map_err(ApiError::from)).transpose()
}

/// Names of the departments of the procedures guide (empty when no catalogue is loaded).
pub fn departments(conn: &Conn) -> Result<HashMap<String, Localized>, ApiError> {
    let mut stmt = conn.prepare_cached("SELECT doc FROM departments")?;
    let docs: Vec<String> = stmt.query_map((), |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut out = HashMap::new();
    for d in docs {
        let d: Department = serde_json::from_str(&d)?;
        out.insert(d.id, d.name);
    }
    Ok(out)
}

/// The sample categories shipped in the repository (`server/data/sample-complaint-categories.json`).
pub fn sample() -> Result<CategorySeed, String> {
    let seed: CategorySeed =
        serde_json::from_str(include_str!("../../data/sample-complaint-categories.json"))
            .map_err(|e| e.to_string())?;
    check(&seed)?;
    Ok(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_has_every_datatype_and_a_suggestions_group() {
        let seed = sample().unwrap();
        let complaints = seed.categories.iter().filter(|c| c.group != SUGGESTIONS_GROUP).count();
        let suggestions = seed.categories.len() - complaints;
        assert!((15..=25).contains(&complaints), "{complaints} complaint categories");
        assert!((2..=3).contains(&suggestions), "{suggestions} suggestion categories");
        for dt in DATATYPES {
            assert!(
                seed.categories.iter().flat_map(|c| &c.attributes).any(|a| a.datatype == dt),
                "no attribute of datatype {dt}"
            );
        }
    }

    #[test]
    fn arabic_notice_counts_correctly() {
        assert_eq!(arabic_count(1, DAY), "يوم واحد");
        assert_eq!(arabic_count(2, DAY), "يومين");
        assert_eq!(arabic_count(7, DAY), "7 أيام");
        assert_eq!(arabic_count(14, DAY), "14 يومًا");
        assert_eq!(arabic_count(12, HOUR), "12 ساعة");
    }
}

//! Reading Open311 JSON from servers in the wild: `"true"`/`"false"` strings for booleans, numbers
//! for ids, bare arrays or arrays wrapped in an object (`{"services": [...]}`), missing
//! extensions. Everything here returns `None` rather than failing on a field it cannot read.

use serde_json::Value;

/// The list in `value`: a bare array, or the first array found in a wrapping object (also one
/// level deeper, as in `{"service_requests": {"request": [...]}}`), or a lone object as a list of one.
pub fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => {
            for v in map.values() {
                match v {
                    Value::Array(items) => return items.iter().collect(),
                    Value::Object(inner) => {
                        if let Some(Value::Array(items)) = inner.values().find(|x| x.is_array()) {
                            return items.iter().collect();
                        }
                    }
                    _ => {}
                }
            }
            vec![value]
        }
        _ => Vec::new(),
    }
}

/// A string field; numbers are written as strings (ids), empty strings are absent.
pub fn text(obj: &Value, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A boolean field: `true`, `"true"`, `"1"`, `1`, `"yes"`.
pub fn flag(obj: &Value, key: &str) -> Option<bool> {
    match obj.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A number field, from a number or a numeric string.
pub fn number(obj: &Value, key: &str) -> Option<f64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_servers_in_the_wild_send() {
        let wrapped = json!({"services": [{"service_code": 12}]});
        assert_eq!(text(list(&wrapped)[0], "service_code").as_deref(), Some("12"));
        let deeper = json!({"service_requests": {"request": [{"a": 1}, {"a": 2}]}});
        assert_eq!(list(&deeper).len(), 2);
        assert_eq!(list(&json!([1, 2, 3])).len(), 3);
        assert_eq!(list(&json!({"service_request_id": "9"})).len(), 1);
        let o = json!({"a": "true", "b": "False", "c": 1, "d": true, "e": "maybe", "n": "31.5", "s": " "});
        assert_eq!(
            (flag(&o, "a"), flag(&o, "b"), flag(&o, "c"), flag(&o, "d")),
            (Some(true), Some(false), Some(true), Some(true))
        );
        assert_eq!(flag(&o, "e"), None);
        assert_eq!(number(&o, "n"), Some(31.5));
        assert_eq!(text(&o, "s"), None);
        assert_eq!(text(&o, "missing"), None);
    }
}

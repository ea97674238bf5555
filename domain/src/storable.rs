//! Text the event log can store. PostgreSQL keeps no NUL character (U+0000) in `text` nor in `jsonb` (where
//! the escape `\u0000` is refused too), so a string holding one is refused wherever it enters: an event that
//! held one would be appended on SQLite and fail on PostgreSQL, or be appended and then never projected. Every
//! other Unicode scalar value is storable on both engines.

use serde_json::Value;

/// The message a refusal of such text carries.
pub const NUL_REFUSED: &str = "must not contain the NUL character (\\u0000)";

/// Whether `text` can be stored in the log and the read models on both engines.
pub fn is_storable(text: &str) -> bool {
    !text.contains('\0')
}

/// Where `value` holds a string (or an object key) that cannot be stored: the path to it with `.` between the
/// steps (`memories.0.content`; the empty string for the value itself); `None` when everything is storable.
/// A key that cannot be stored is reported at the object that holds it.
pub fn unstorable_at(value: &Value) -> Option<String> {
    let mut path = Vec::new();
    walk(value, &mut path).then(|| path.join("."))
}

/// Whether `value` holds unstorable text; when it does, `path` ends up naming where.
fn walk(value: &Value, path: &mut Vec<String>) -> bool {
    match value {
        Value::String(text) => !is_storable(text),
        Value::Array(items) => items.iter().enumerate().any(|(index, item)| {
            path.push(index.to_string());
            let found = walk(item, path);
            if !found {
                path.pop();
            }
            found
        }),
        Value::Object(fields) => fields.iter().any(|(key, item)| {
            if !is_storable(key) {
                return true;
            }
            path.push(key.clone());
            let found = walk(item, path);
            if !found {
                path.pop();
            }
            found
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_nul_character_is_unstorable() {
        assert!(is_storable(
            "tab\t, newline\n, bell \u{7}, emoji 🧠, U+FFFF \u{ffff}"
        ));
        assert!(!is_storable("a\0b"));
    }

    #[test]
    fn the_path_names_the_first_unstorable_string() {
        assert_eq!(
            unstorable_at(&json!({"content": "ok", "tags": ["a", 1]})),
            None
        );
        assert_eq!(unstorable_at(&json!("\u{0}")), Some(String::new()));
        assert_eq!(
            unstorable_at(&json!({"memories": [{"content": "ok"}, {"content": "x\u{0}"}]})),
            Some("memories.1.content".into())
        );
        assert_eq!(
            unstorable_at(&json!({"outer": {"a\u{0}": true}})),
            Some("outer".into())
        );
    }
}

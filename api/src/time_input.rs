//! Timestamps as clients send them: ISO-8601 with an offset, or without one (read as UTC), or a bare date
//! (midnight UTC), per the spec's conventions.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer};

/// The current time at the precision the API stores and returns (microseconds).
pub fn now() -> DateTime<Utc> {
    let at = Utc::now();
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// A timestamp read from client input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputTime(pub DateTime<Utc>);

/// Parses one client timestamp.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}

impl<'de> Deserialize<'de> for InputTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map(InputTime).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid datetime {:?}; use ISO-8601",
                echoed(&text)
            ))
        })
    }
}

/// At most [`ECHOED_CHARS`] characters of a refused input, for its error message: a huge value is not sent back.
pub(crate) fn echoed(text: &str) -> String {
    match text.char_indices().nth(ECHOED_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// How much of a refused date-time an error message repeats.
const ECHOED_CHARS: usize = 64;

/// A string: an ISO-8601 date-time (with an offset, or without one: UTC) or a bare date (`2026-01-02`, midnight
/// UTC). The schema gives no `format`, since `date-time` alone would refuse the forms without an offset.
impl JsonSchema for InputTime {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "InputTime".into()
    }

    fn json_schema(_generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "An ISO-8601 date-time (with an offset, or without one: UTC) or a bare date (midnight UTC)",
            "examples": ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05", "2026-01-02"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_naive_times_and_dates_are_all_read_as_utc() {
        assert_eq!(
            parse("2026-01-02T03:04:05+02:00").unwrap().to_rfc3339(),
            "2026-01-02T01:04:05+00:00"
        );
        assert_eq!(
            parse("2026-01-02T03:04:05.5").unwrap().to_rfc3339(),
            "2026-01-02T03:04:05.500+00:00"
        );
        assert_eq!(
            parse("2026-01-02").unwrap().to_rfc3339(),
            "2026-01-02T00:00:00+00:00"
        );
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn a_refused_value_is_repeated_only_in_part() {
        let huge = "é".repeat(100_000);
        let error =
            serde_json::from_value::<InputTime>(serde_json::Value::String(huge)).unwrap_err();
        let message = error.to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains(&format!("{}…", "é".repeat(ECHOED_CHARS))));
        let short = serde_json::from_value::<InputTime>(serde_json::json!("tonight")).unwrap_err();
        assert!(short.to_string().contains("\"tonight\""), "{short}");
    }
}

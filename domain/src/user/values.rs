//! The value objects of a user's settings and their limits.

use chrono::{DateTime, NaiveDateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::conversation::Geolocation;
use crate::DomainError;

/// The most characters a profile field (name, email, motivation, use case, job, company) holds.
pub const MAX_PROFILE_FIELD_CHARS: usize = 500;
/// The most characters a language code holds (`en`, `zh-TW`, `multi`).
pub const MAX_LANGUAGE_CHARS: usize = 16;
/// The most words and phrases of custom vocabulary.
pub const MAX_VOCABULARY_ENTRIES: usize = 100;
/// The most characters one vocabulary entry holds.
pub const MAX_VOCABULARY_ENTRY_CHARS: usize = 100;
/// Mentor notifications are off at 0 and most frequent at this value.
pub const MAX_MENTOR_FREQUENCY: u8 = 5;
/// The mentor-notification frequency of a user who never chose one.
pub const DEFAULT_MENTOR_FREQUENCY: u8 = 3;
/// The languages the multi-language speech-to-text model transcribes; any other language is transcribed in
/// single-language mode.
pub const MULTI_LANGUAGE_CODES: &[&str] = &[
    "multi", "en", "es", "fr", "de", "hi", "ru", "pt", "ja", "it", "nl",
];

/// Whether `language` needs the single-language mode of speech-to-text (it is not one the multi-language
/// model knows). The empty language (not chosen) does not.
pub fn single_language_mode_for(language: &str) -> bool {
    let base = language.split(['-', '_']).next().unwrap_or_default();
    !language.is_empty() && !MULTI_LANGUAGE_CODES.contains(&base.to_ascii_lowercase().as_str())
}

/// An IANA time zone name (`Europe/Paris`, `America/New_York`, `UTC`), as the tz database spells it.
pub fn parse_time_zone(name: &str) -> Result<chrono_tz::Tz, DomainError> {
    name.parse::<chrono_tz::Tz>().map_err(|_| {
        DomainError::Invalid(format!(
            "time_zone must be an IANA time zone name such as Europe/Paris, not {:?}",
            name.chars().take(64).collect::<String>()
        ))
    })
}

/// The wall-clock time at `at` in `time_zone` (an IANA name); UTC's when there is none (or it is not a zone).
pub fn local_time(time_zone: Option<&str>, at: DateTime<Utc>) -> NaiveDateTime {
    match time_zone.and_then(|name| name.parse::<chrono_tz::Tz>().ok()) {
        Some(zone) => at.with_timezone(&zone).naive_local(),
        None => at.naive_utc(),
    }
}

/// The user's profile; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Profile {
    pub name: Option<String>,
    pub email: Option<String>,
    /// An IANA time zone name; daily summaries are scheduled in it (UTC when absent).
    pub time_zone: Option<String>,
    pub motivation: Option<String>,
    pub use_case: Option<String>,
    pub job: Option<String>,
    pub company: Option<String>,
}

/// Where the user is in the apps' onboarding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Onboarding {
    pub completed: bool,
    pub acquisition_source: Option<String>,
    pub device_onboarding_completed: bool,
}

/// The state of a training-data opt-in: asked for, waiting for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrainingDataStatus {
    PendingReview,
}

/// Refuses coordinates outside the globe (or not numbers).
pub fn check_place(place: &Geolocation) -> Result<(), DomainError> {
    if !(-90.0..=90.0).contains(&place.latitude) {
        return Err(DomainError::Invalid(
            "latitude must be between -90 and 90".into(),
        ));
    }
    if !(-180.0..=180.0).contains(&place.longitude) {
        return Err(DomainError::Invalid(
            "longitude must be between -180 and 180".into(),
        ));
    }
    Ok(())
}

/// Whether both places are the same at 4 decimals of latitude and longitude (about 11 m).
pub fn same_place(one: &Geolocation, other: &Geolocation) -> bool {
    let round = |degrees: f64| (degrees * 10_000.0).round() as i64;
    round(one.latitude) == round(other.latitude) && round(one.longitude) == round(other.longitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_languages_the_multi_language_model_lacks_need_single_language_mode() {
        assert!(!single_language_mode_for("en"));
        assert!(!single_language_mode_for("pt-BR"));
        assert!(!single_language_mode_for(""));
        assert!(single_language_mode_for("vi"));
        assert!(single_language_mode_for("zh-TW"));
    }

    #[test]
    fn local_time_is_the_wall_clock_of_the_zone_and_utc_without_one() {
        use chrono::TimeZone;
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).unwrap();
        let tokyo = local_time(Some("Asia/Tokyo"), at);
        assert_eq!(tokyo.to_string(), "2026-12-02 08:30:00");
        let los_angeles = local_time(Some("America/Los_Angeles"), at);
        assert_eq!(los_angeles.to_string(), "2026-12-01 15:30:00");
        assert_eq!(local_time(None, at), at.naive_utc());
        assert_eq!(local_time(Some("Nowhere/Else"), at), at.naive_utc());
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(parse_time_zone("Europe/Paris").is_ok());
        assert!(parse_time_zone("UTC").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
        assert!(parse_time_zone("").is_err());
    }

    #[test]
    fn places_are_the_same_at_four_decimals() {
        let at = |latitude, longitude| Geolocation {
            latitude,
            longitude,
            google_place_id: None,
            address: None,
            location_type: None,
        };
        assert!(same_place(&at(48.85661, 2.35222), &at(48.85659, 2.35218)));
        assert!(!same_place(&at(48.8566, 2.3522), &at(48.8567, 2.3522)));
        assert!(check_place(&at(91.0, 0.0)).is_err());
        assert!(check_place(&at(0.0, f64::NAN)).is_err());
    }
}

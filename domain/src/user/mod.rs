//! A user's profile and settings (spec §7.10): the profile (name, email, IANA time zone, motivation, use case,
//! job, company), language and transcription preferences, onboarding, the store-recording permission, private
//! cloud sync, the training-data opt-in, the last geolocation, mentor-notification settings and the user's
//! ratings of conversation summaries. One stream per user, whose id is derived from the uid ([`user_stream_id`]).
//! A user who never changed anything has the defaults ([`User::default`]). The daily-summary settings stay in
//! their own aggregate (`daily_summary_settings`); their hour is read in this profile's time zone.

mod aggregate;
mod commands;
mod events;
mod values;

use uuid::Uuid;

pub use aggregate::User;
pub use commands::UserCommand;
pub use events::UserEvent;
pub use values::{
    local_time, parse_time_zone, single_language_mode_for, Geolocation, Onboarding, Profile,
    TrainingDataStatus, DEFAULT_MENTOR_FREQUENCY, MAX_LANGUAGE_CHARS, MAX_MENTOR_FREQUENCY,
    MAX_PROFILE_FIELD_CHARS, MAX_VOCABULARY_ENTRIES, MAX_VOCABULARY_ENTRY_CHARS,
    MULTI_LANGUAGE_CODES,
};

const USER_STREAM_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_695f_7573_6572_5f73_7472_6561_6d31);

/// The id of `uid`'s user stream: the same uid always gives the same id, and it is a UUID whatever the uid
/// holds (Firebase uids, local token subjects).
pub fn user_stream_id(uid: &str) -> String {
    Uuid::new_v5(&USER_STREAM_NAMESPACE, uid.as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_id_depends_on_the_uid_only() {
        assert_eq!(user_stream_id("alice"), user_stream_id("alice"));
        assert_ne!(user_stream_id("alice"), user_stream_id("bob"));
        assert!(Uuid::parse_str(&user_stream_id("a/b\u{1f}c")).is_ok());
    }
}

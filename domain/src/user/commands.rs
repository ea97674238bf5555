//! What can be asked of a user's settings. Every command names the user; absent fields are left as they are.

use serde::{Deserialize, Serialize};

use super::{Geolocation, Profile};
use crate::Timestamp;

/// A command to one user's stream (see [`super::user_stream_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserCommand {
    /// Sets the given profile fields; an empty string clears a field. The time zone must be an IANA name.
    ChangeProfile {
        uid: String,
        changes: Profile,
        at: Timestamp,
    },
    /// Sets the language; single-language mode follows from it.
    ChangeLanguage {
        uid: String,
        language: String,
        at: Timestamp,
    },
    /// Sets single-language mode and/or the custom vocabulary (at most 100 entries).
    ChangeTranscriptionPreferences {
        uid: String,
        single_language_mode: Option<bool>,
        vocabulary: Option<Vec<String>>,
        at: Timestamp,
    },
    /// Sets the given onboarding fields.
    ChangeOnboarding {
        uid: String,
        completed: Option<bool>,
        acquisition_source: Option<String>,
        device_onboarding_completed: Option<bool>,
        at: Timestamp,
    },
    /// Grants or revokes the permission to store recordings.
    SetStoreRecordingPermission {
        uid: String,
        granted: bool,
        at: Timestamp,
    },
    /// Turns private cloud sync on or off.
    SetPrivateCloudSync {
        uid: String,
        enabled: bool,
        at: Timestamp,
    },
    /// Opts in to training data (pending review); turns private cloud sync on.
    OptInToTrainingData { uid: String, at: Timestamp },
    /// Records where the user is, unless it is where they were at 4 decimals.
    RecordGeolocation {
        uid: String,
        geolocation: Geolocation,
        at: Timestamp,
    },
    /// Sets the mentor-notification frequency (0 off .. 5).
    ChangeMentorNotificationSettings {
        uid: String,
        frequency: u8,
        at: Timestamp,
    },
    /// Rates the summary of one of the user's conversations: 1, 0 or -1.
    RateConversationSummary {
        uid: String,
        conversation_id: String,
        rating: i8,
        at: Timestamp,
    },
}

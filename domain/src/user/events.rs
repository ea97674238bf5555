//! What happened to a user's settings.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`). Each event holds the
//! whole of the settings it changed, as they are from then on.

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Geolocation, Onboarding, Profile, User};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a user's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum UserEvent {
    /// The profile as it is from now on.
    #[serde(rename = "UserProfileChanged")]
    UserProfileChanged {
        uid: String,
        profile: Profile,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "UserLanguageChanged")]
    UserLanguageChanged {
        uid: String,
        language: String,
        single_language_mode: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "TranscriptionPreferencesChanged")]
    TranscriptionPreferencesChanged {
        uid: String,
        single_language_mode: bool,
        vocabulary: Vec<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "OnboardingChanged")]
    OnboardingChanged {
        uid: String,
        onboarding: Onboarding,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "StoreRecordingPermissionChanged")]
    StoreRecordingPermissionChanged {
        uid: String,
        granted: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "PrivateCloudSyncChanged")]
    PrivateCloudSyncChanged {
        uid: String,
        enabled: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    /// The user opted in to training data; it waits for review.
    #[serde(rename = "TrainingDataOptedIn")]
    TrainingDataOptedIn {
        uid: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        opted_in_at: Timestamp,
    },
    #[serde(rename = "GeolocationRecorded")]
    GeolocationRecorded {
        uid: String,
        geolocation: Geolocation,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        recorded_at: Timestamp,
    },
    #[serde(rename = "MentorNotificationSettingsChanged")]
    MentorNotificationSettingsChanged {
        uid: String,
        frequency: u8,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "ConversationSummaryRated")]
    ConversationSummaryRated {
        uid: String,
        conversation_id: String,
        rating: i8,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        rated_at: Timestamp,
    },
}

impl UserEvent {
    /// The user the event is about.
    pub fn uid(&self) -> &str {
        match self {
            UserEvent::UserProfileChanged { uid, .. }
            | UserEvent::UserLanguageChanged { uid, .. }
            | UserEvent::TranscriptionPreferencesChanged { uid, .. }
            | UserEvent::OnboardingChanged { uid, .. }
            | UserEvent::StoreRecordingPermissionChanged { uid, .. }
            | UserEvent::PrivateCloudSyncChanged { uid, .. }
            | UserEvent::TrainingDataOptedIn { uid, .. }
            | UserEvent::GeolocationRecorded { uid, .. }
            | UserEvent::MentorNotificationSettingsChanged { uid, .. }
            | UserEvent::ConversationSummaryRated { uid, .. } => uid,
        }
    }
}

stored_events! {
    events: UserEvent,
    aggregate_type: User::TYPE,
    stored: {
        UserProfileChanged => ("UserProfileChanged", "1.0"),
        UserLanguageChanged => ("UserLanguageChanged", "1.0"),
        TranscriptionPreferencesChanged => ("TranscriptionPreferencesChanged", "1.0"),
        OnboardingChanged => ("OnboardingChanged", "1.0"),
        StoreRecordingPermissionChanged => ("StoreRecordingPermissionChanged", "1.0"),
        PrivateCloudSyncChanged => ("PrivateCloudSyncChanged", "1.0"),
        TrainingDataOptedIn => ("TrainingDataOptedIn", "1.0"),
        GeolocationRecorded => ("GeolocationRecorded", "1.0"),
        MentorNotificationSettingsChanged => ("MentorNotificationSettingsChanged", "1.0"),
        ConversationSummaryRated => ("ConversationSummaryRated", "1.0"),
    }
}

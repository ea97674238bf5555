//! What happened to apps, installations and reviews.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contracts at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{App, AppDefinition, AppInstallation, AppReview, ChatTool};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on an app's stream. Every event's metadata names the owner, whoever acted (an admin approving).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppEvent {
    #[serde(rename = "AppCreated")]
    AppCreated {
        uid: String,
        definition: Box<AppDefinition>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    #[serde(rename = "AppUpdated")]
    AppUpdated {
        definition: Box<AppDefinition>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    /// A logo image (base64 of its bytes), now the app's image.
    #[serde(rename = "AppLogoStored")]
    AppLogoStored {
        logo_id: String,
        content_type: String,
        data: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        stored_at: Timestamp,
    },
    #[serde(rename = "AppVisibilityChanged")]
    AppVisibilityChanged {
        private: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        changed_at: Timestamp,
    },
    #[serde(rename = "AppApproved")]
    AppApproved {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        approved_at: Timestamp,
    },
    #[serde(rename = "AppRejected")]
    AppRejected {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        rejected_at: Timestamp,
    },
    #[serde(rename = "AppPopularitySet")]
    AppPopularitySet {
        popular: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        set_at: Timestamp,
    },
    /// An `sk_` key of the import API; only the SHA-256 of its secret is kept.
    #[serde(rename = "AppKeyCreated")]
    AppKeyCreated {
        key_id: String,
        label: String,
        hashed_key: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        created_at: Timestamp,
    },
    #[serde(rename = "AppKeyRevoked")]
    AppKeyRevoked {
        key_id: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        revoked_at: Timestamp,
    },
    #[serde(rename = "AppDeleted")]
    AppDeleted {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        deleted_at: Timestamp,
    },
    /// The `whsec_` secret that signs the app's webhook deliveries from now on (the first one, or a rotation).
    #[serde(rename = "AppWebhookSecretRotated")]
    AppWebhookSecretRotated {
        secret: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        rotated_at: Timestamp,
    },
    /// The app's webhook kept failing (nothing delivered for the give-up time): no more deliveries are made
    /// until the owner enables it again.
    #[serde(rename = "AppAutoDisabled")]
    AppAutoDisabled {
        reason: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        disabled_at: Timestamp,
    },
    /// The chat tools its manifest lists, fetched when the app was created, edited or refreshed; they replace the
    /// earlier ones.
    #[serde(rename = "AppChatToolsFetched")]
    AppChatToolsFetched {
        tools: Vec<ChatTool>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        fetched_at: Timestamp,
    },
    /// The owner enabled an auto-disabled app again.
    #[serde(rename = "AppReEnabled")]
    AppReEnabled {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        enabled_at: Timestamp,
    },
}

stored_events! {
    events: AppEvent,
    aggregate_type: App::TYPE,
    stored: {
        AppCreated => ("AppCreated", "1.0"),
        AppUpdated => ("AppUpdated", "1.0"),
        AppLogoStored => ("AppLogoStored", "1.0"),
        AppVisibilityChanged => ("AppVisibilityChanged", "1.0"),
        AppApproved => ("AppApproved", "1.0"),
        AppRejected => ("AppRejected", "1.0"),
        AppPopularitySet => ("AppPopularitySet", "1.0"),
        AppKeyCreated => ("AppKeyCreated", "1.0"),
        AppKeyRevoked => ("AppKeyRevoked", "1.0"),
        AppDeleted => ("AppDeleted", "1.0"),
        AppWebhookSecretRotated => ("AppWebhookSecretRotated", "1.0"),
        AppAutoDisabled => ("AppAutoDisabled", "1.0"),
        AppReEnabled => ("AppReEnabled", "1.0"),
        AppChatToolsFetched => ("AppChatToolsFetched", "1.0"),
    }
}

/// An event on a user's installation of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppInstallationEvent {
    #[serde(rename = "AppEnabled")]
    AppEnabled {
        app_id: String,
        uid: String,
        /// Whether it adds to the app's installs (a public app of another owner, when enabled).
        counts_install: bool,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        enabled_at: Timestamp,
    },
    #[serde(rename = "AppDisabled")]
    AppDisabled {
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        disabled_at: Timestamp,
    },
}

stored_events! {
    events: AppInstallationEvent,
    aggregate_type: AppInstallation::TYPE,
    stored: {
        AppEnabled => ("AppEnabled", "1.0"),
        AppDisabled => ("AppDisabled", "1.0"),
    }
}

/// An event on a user's review of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppReviewEvent {
    #[serde(rename = "AppReviewSubmitted")]
    AppReviewSubmitted {
        app_id: String,
        uid: String,
        score: f64,
        review: String,
        username: Option<String>,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        rated_at: Timestamp,
    },
    #[serde(rename = "AppReviewUpdated")]
    AppReviewUpdated {
        score: f64,
        review: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        updated_at: Timestamp,
    },
    #[serde(rename = "AppReviewReplied")]
    AppReviewReplied {
        response: String,
        #[serde(deserialize_with = "crate::timestamp::deserialize")]
        responded_at: Timestamp,
    },
}

stored_events! {
    events: AppReviewEvent,
    aggregate_type: AppReview::TYPE,
    stored: {
        AppReviewSubmitted => ("AppReviewSubmitted", "1.0"),
        AppReviewUpdated => ("AppReviewUpdated", "1.0"),
        AppReviewReplied => ("AppReviewReplied", "1.0"),
    }
}

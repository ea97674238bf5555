//! What can be asked of an app, of a user's installation of it and of a user's review of it.

use serde::{Deserialize, Serialize};

use super::AppDefinition;
use crate::Timestamp;

/// A command to one app; the stream id is the app id. `uid` is the caller: the aggregate refuses owner
/// commands from anyone else as if the app did not exist (the application layer answers 403 before).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppCommand {
    /// Creates the app, under review.
    CreateApp {
        uid: String,
        definition: Box<AppDefinition>,
        at: Timestamp,
    },
    /// Replaces what the owner wrote.
    UpdateApp {
        uid: String,
        definition: Box<AppDefinition>,
        at: Timestamp,
    },
    /// Stores a new logo (the image bytes, base64) and makes it the app's image.
    StoreLogo {
        uid: String,
        logo_id: String,
        content_type: String,
        data: String,
        at: Timestamp,
    },
    /// Makes the app private or public.
    ChangeVisibility {
        uid: String,
        private: bool,
        at: Timestamp,
    },
    /// An admin approves the app.
    ApproveApp { at: Timestamp },
    /// An admin rejects the app.
    RejectApp { at: Timestamp },
    /// An admin flags the app popular or not.
    SetPopular { popular: bool, at: Timestamp },
    /// Issues an `sk_` key whose raw secret the caller generated and shows once.
    CreateAppKey {
        uid: String,
        key_id: String,
        label: String,
        hashed_key: String,
        at: Timestamp,
    },
    /// Revokes one of the app's keys.
    RevokeAppKey {
        uid: String,
        key_id: String,
        at: Timestamp,
    },
    /// Deletes the app.
    DeleteApp { uid: String, at: Timestamp },
}

/// A command to one user's installation of one app (stream `<app_id>/<uid>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppInstallationCommand {
    /// Enables the app for the user; `counts_install` says whether it adds to the app's installs (a public
    /// app of another owner). Enabling an enabled app records nothing.
    EnableApp {
        app_id: String,
        uid: String,
        counts_install: bool,
        at: Timestamp,
    },
    /// Disables the app for the user; refused when it is not enabled.
    DisableApp { at: Timestamp },
}

/// A command to one user's review of one app (stream `<app_id>/<uid>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AppReviewCommand {
    /// Writes the review, or rewrites it when the user already reviewed the app.
    SubmitReview {
        app_id: String,
        uid: String,
        /// Clamped to 0..=5.
        score: f64,
        review: String,
        username: Option<String>,
        at: Timestamp,
    },
    /// Rewrites an existing review; refused when there is none.
    UpdateReview {
        score: f64,
        review: String,
        at: Timestamp,
    },
    /// The app's owner answers the review.
    ReplyToReview { response: String, at: Timestamp },
}

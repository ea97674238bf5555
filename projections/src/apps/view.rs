//! The rows of the app read models and how each event changes them.

use chrono::{DateTime, Utc};
use omi_domain::app::{AppDefinition, AppEvent, AppInstallationEvent, AppReviewEvent, ChatTool};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{iso, iso_option};

/// An app as stored: what its owner wrote and the server's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    pub id: String,
    /// The owner.
    pub uid: String,
    pub definition: AppDefinition,
    /// The id of the current logo, served at `/v1/app-logos/{logo_id}`.
    pub logo_id: Option<String>,
    pub private: bool,
    pub approved: bool,
    /// `under-review`, `approved` or `rejected`.
    pub status: String,
    pub is_popular: bool,
    #[serde(with = "iso")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "iso")]
    pub updated_at: DateTime<Utc>,
    /// The live `sk_` keys, with their hashes.
    pub keys: Vec<AppKeyRecord>,
    /// The `whsec_` secret that signs its webhook deliveries, once it has one. Only its owner reads it.
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// Why and when its webhook was turned off after failing; `None` while it delivers.
    #[serde(default)]
    pub auto_disabled: Option<AutoDisabledRecord>,
    /// The chat tools its manifest listed when last fetched.
    #[serde(default)]
    pub chat_tools: Vec<ChatTool>,
}

/// An app's webhook turned off after failing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoDisabledRecord {
    pub reason: String,
    #[serde(with = "iso")]
    pub disabled_at: DateTime<Utc>,
}

/// One `sk_` key of an app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppKeyRecord {
    pub id: String,
    pub label: String,
    pub hashed_key: String,
    #[serde(with = "iso")]
    pub created_at: DateTime<Utc>,
}

impl AppRecord {
    /// The app after `event`; `None` once deleted.
    pub(crate) fn evolve(
        id: &str,
        current: Option<AppRecord>,
        event: &AppEvent,
    ) -> Option<AppRecord> {
        if let AppEvent::AppCreated {
            uid,
            definition,
            created_at,
        } = event
        {
            return Some(AppRecord {
                id: id.to_string(),
                uid: uid.clone(),
                definition: (**definition).clone(),
                logo_id: None,
                private: false,
                approved: false,
                status: "under-review".into(),
                is_popular: false,
                created_at: *created_at,
                updated_at: *created_at,
                keys: Vec::new(),
                webhook_secret: None,
                auto_disabled: None,
                chat_tools: Vec::new(),
            });
        }
        let mut app = current?;
        match event {
            AppEvent::AppCreated { .. } => {}
            AppEvent::AppUpdated {
                definition,
                updated_at,
            } => {
                app.definition = (**definition).clone();
                app.updated_at = *updated_at;
            }
            AppEvent::AppLogoStored { logo_id, .. } => app.logo_id = Some(logo_id.clone()),
            AppEvent::AppVisibilityChanged { private, .. } => app.private = *private,
            AppEvent::AppApproved { .. } => {
                app.approved = true;
                app.status = "approved".into();
            }
            AppEvent::AppRejected { .. } => {
                app.approved = false;
                app.status = "rejected".into();
            }
            AppEvent::AppPopularitySet { popular, .. } => app.is_popular = *popular,
            AppEvent::AppKeyCreated {
                key_id,
                label,
                hashed_key,
                created_at,
            } => app.keys.push(AppKeyRecord {
                id: key_id.clone(),
                label: label.clone(),
                hashed_key: hashed_key.clone(),
                created_at: *created_at,
            }),
            AppEvent::AppKeyRevoked { key_id, .. } => app.keys.retain(|key| key.id != *key_id),
            AppEvent::AppDeleted { .. } => return None,
            AppEvent::AppWebhookSecretRotated { secret, .. } => {
                app.webhook_secret = Some(secret.clone())
            }
            AppEvent::AppAutoDisabled {
                reason,
                disabled_at,
            } => {
                app.auto_disabled = Some(AutoDisabledRecord {
                    reason: reason.clone(),
                    disabled_at: *disabled_at,
                })
            }
            AppEvent::AppReEnabled { .. } => app.auto_disabled = None,
            AppEvent::AppChatToolsFetched { tools, .. } => app.chat_tools = tools.clone(),
        }
        Some(app)
    }
}

/// A user's installation of an app (only enabled ones have a row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallationRecord {
    pub app_id: String,
    pub counts_install: bool,
    #[serde(with = "iso")]
    pub enabled_at: DateTime<Utc>,
}

impl InstallationRecord {
    /// The owner and installation after `event`; `None` once disabled.
    pub(crate) fn evolve(
        _current: Option<(String, InstallationRecord)>,
        event: &AppInstallationEvent,
    ) -> Option<(String, InstallationRecord)> {
        match event {
            AppInstallationEvent::AppEnabled {
                app_id,
                uid,
                counts_install,
                enabled_at,
            } => Some((
                uid.clone(),
                InstallationRecord {
                    app_id: app_id.clone(),
                    counts_install: *counts_install,
                    enabled_at: *enabled_at,
                },
            )),
            AppInstallationEvent::AppDisabled { .. } => None,
        }
    }
}

/// A review as the API shows it (`AppReview`, spec §2.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewRecord {
    pub app_id: String,
    /// The reviewer.
    pub uid: String,
    /// 0..5.
    pub score: f64,
    pub review: String,
    pub username: Option<String>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub rated_at: DateTime<Utc>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub updated_at: Option<DateTime<Utc>>,
    pub response: Option<String>,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub responded_at: Option<DateTime<Utc>>,
}

impl ReviewRecord {
    /// The reviewer and review after `event`.
    pub(crate) fn evolve(
        current: Option<(String, ReviewRecord)>,
        event: &AppReviewEvent,
    ) -> Option<(String, ReviewRecord)> {
        if let AppReviewEvent::AppReviewSubmitted {
            app_id,
            uid,
            score,
            review,
            username,
            rated_at,
        } = event
        {
            return Some((
                uid.clone(),
                ReviewRecord {
                    app_id: app_id.clone(),
                    uid: uid.clone(),
                    score: *score,
                    review: review.clone(),
                    username: username.clone(),
                    rated_at: *rated_at,
                    updated_at: None,
                    response: None,
                    responded_at: None,
                },
            ));
        }
        let (uid, mut review) = current?;
        match event {
            AppReviewEvent::AppReviewSubmitted { .. } => {}
            AppReviewEvent::AppReviewUpdated {
                score,
                review: text,
                updated_at,
            } => {
                review.score = *score;
                review.review = text.clone();
                review.updated_at = Some(*updated_at);
            }
            AppReviewEvent::AppReviewReplied {
                response,
                responded_at,
            } => {
                review.response = Some(response.clone());
                review.responded_at = Some(*responded_at);
            }
        }
        Some((uid, review))
    }

    /// The score in thousandths, as the table sums it.
    pub(crate) fn score_millis(&self) -> i64 {
        (self.score * 1000.0).round() as i64
    }
}

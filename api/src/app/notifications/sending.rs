//! Sending a notification (recorded, then pushed by the `notification_push` reaction) and reading them.

use std::collections::BTreeMap;

use omi_commands::Metadata;
use omi_domain::notification::{
    checked_content, Notification, NotificationCommand, NotificationSource,
};
use omi_projections::notifications::{self, NotificationView};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::validation::Problems;
use crate::app::{Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The page rule of the list of notifications.
pub const LIST: PageRule = PageRule::new(25, 100);

/// The most characters of a uid an operator names.
const MAX_UID_CHARS: usize = 128;

/// What a notification says.
#[derive(Debug, Clone, Default)]
pub struct NotificationContent {
    pub title: String,
    pub body: String,
    pub data: BTreeMap<String, String>,
}

/// `POST /v1/notification`: an operator's notification to a user.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AdminNotification {
    /// The user to notify.
    pub uid: String,
    /// 1 to 500 characters.
    pub title: String,
    /// At most 4000 characters.
    #[serde(default)]
    pub body: String,
    /// String values for the app (`navigate_to` …); at most 4096 bytes. `kind: campaign` needs a
    /// `campaign_id`.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
    /// The campaign a `kind: campaign` notification belongs to; recorded in its data.
    pub campaign_id: Option<String>,
}

impl AdminNotification {
    /// The user and the content, or 422 naming every problem.
    pub fn checked(self) -> ApiResult<(String, NotificationContent)> {
        let mut problems = Problems::new();
        let uid = self.uid.trim().to_string();
        if uid.is_empty() || uid.chars().count() > MAX_UID_CHARS {
            problems.add(
                "body.uid",
                format!("uid must be between 1 and {MAX_UID_CHARS} characters"),
            );
        }
        let mut data = self.data;
        let campaign = self.campaign_id.map(|id| id.trim().to_string());
        match campaign.filter(|id| !id.is_empty()) {
            Some(id) => {
                data.insert("campaign_id".into(), id);
            }
            None if data.get("kind").map(String::as_str) == Some("campaign") => {
                problems.add(
                    "body.campaign_id",
                    "campaign_id is required when data.kind is campaign",
                );
            }
            None => {}
        }
        if let Err(refusal) = checked_content(&self.title, &self.body, &data) {
            problems.add("body", refusal.to_string());
        }
        problems.finish()?;
        Ok((
            uid,
            NotificationContent {
                title: self.title,
                body: self.body,
                data,
            },
        ))
    }
}

/// Records a notification to `uid` from `source` (the app `app_id` when an app sends it) and answers it as
/// recorded; the push follows. 422 when the title, body or data break their limits.
pub async fn send(
    state: &AppState,
    metadata: &Metadata,
    uid: &str,
    content: NotificationContent,
    source: NotificationSource,
    app_id: Option<String>,
) -> ApiResult<NotificationView> {
    let id = uuid::Uuid::new_v4().to_string();
    let command = NotificationCommand::CreateNotification {
        uid: uid.to_string(),
        title: content.title,
        body: content.body,
        data: content.data,
        source,
        app_id,
        at: state.clock.now(),
    };
    state.create::<Notification>(&id, command, metadata).await?;
    notifications::get(&state.database, uid, &id)
        .await?
        .ok_or_else(|| ApiError::Internal("a recorded notification is not readable".into()))
}

/// A page of the user's notifications, newest first.
pub async fn list(state: &AppState, uid: &str, page: Page) -> ApiResult<Vec<NotificationView>> {
    Ok(notifications::list(&state.database, uid, page.limit, page.offset).await?)
}

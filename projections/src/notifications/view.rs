//! A notification as the API shows it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use omi_domain::notification::{NotificationEvent, NotificationSource, PushOutcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::documents::Owned;
use crate::time::{iso, iso_option};

/// Where a notification's push stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushState {
    /// Recorded; not pushed (yet, or no push service is configured).
    Recorded,
    /// Pushed to the user's devices; `outcomes` tells how each went.
    Pushed,
}

/// A notification sent to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NotificationView {
    pub id: String,
    pub title: String,
    pub body: String,
    /// Key-value pairs for the app (`navigate_to`, `type` …).
    pub data: BTreeMap<String, String>,
    pub source: NotificationSource,
    /// The app that sent it, when `source` is `app`.
    pub app_id: Option<String>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    pub push: PushState,
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub pushed_at: Option<DateTime<Utc>>,
    /// One per device the user had when it was pushed.
    pub outcomes: Vec<PushOutcome>,
}

impl NotificationView {
    /// The notification after `event`.
    pub(crate) fn evolve(
        id: &str,
        current: Option<Owned<NotificationView>>,
        event: &NotificationEvent,
    ) -> Option<Owned<NotificationView>> {
        match event {
            NotificationEvent::NotificationCreated {
                uid,
                title,
                body,
                data,
                source,
                app_id,
                created_at,
            } => Some(Owned {
                uid: uid.clone(),
                doc: NotificationView {
                    id: id.to_string(),
                    title: title.clone(),
                    body: body.clone(),
                    data: data.clone(),
                    source: *source,
                    app_id: app_id.clone(),
                    created_at: *created_at,
                    push: PushState::Recorded,
                    pushed_at: None,
                    outcomes: Vec::new(),
                },
            }),
            NotificationEvent::NotificationPushed {
                outcomes,
                pushed_at,
                ..
            } => current.map(|mut row| {
                row.doc.push = PushState::Pushed;
                row.doc.pushed_at = Some(*pushed_at);
                row.doc.outcomes = outcomes.clone();
                row
            }),
        }
    }
}

//! What can be asked of a notification.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{NotificationSource, PushOutcome};
use crate::Timestamp;

/// A command to one notification's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NotificationCommand {
    /// Records a notification to `uid` (once: the stream holds one notification).
    CreateNotification {
        uid: String,
        title: String,
        body: String,
        data: BTreeMap<String, String>,
        source: NotificationSource,
        app_id: Option<String>,
        at: Timestamp,
    },
    /// Records how the push to the user's devices went; only the first record counts (a push retried after a
    /// crash records nothing new).
    RecordPush {
        uid: String,
        outcomes: Vec<PushOutcome>,
        at: Timestamp,
    },
}

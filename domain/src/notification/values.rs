//! The values a notification is made of.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{MAX_BODY_CHARS, MAX_DATA_BYTES, MAX_TITLE_CHARS};
use crate::DomainError;

/// Who sent a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationSource {
    /// An operator, through `POST /v1/notification`.
    Admin,
    /// An app of the user (its id is recorded beside).
    App,
    /// The server itself (a daily summary, a webhook's answer …).
    Server,
}

/// What became of a push to one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// The push service accepted it.
    Sent,
    /// The push service does not know the device's token any more; the token is dropped.
    Unregistered,
    /// The push service refused it or could not be reached, also after retries.
    Failed,
}

/// The outcome of the push to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PushOutcome {
    pub device_key: String,
    pub status: PushStatus,
    /// The push service's id of the message, when sent.
    pub message_id: Option<String>,
    /// Why it was not sent.
    pub error: Option<String>,
}

/// The title and body trimmed, or why they are refused: a title of 1 to 500 characters, a body of at most
/// 4000, data of at most 4096 bytes.
pub fn checked_content(
    title: &str,
    body: &str,
    data: &BTreeMap<String, String>,
) -> Result<(String, String), DomainError> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(DomainError::Invalid(format!(
            "title must be between 1 and {MAX_TITLE_CHARS} characters"
        )));
    }
    let body = body.trim();
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(DomainError::Invalid(format!(
            "body must be at most {MAX_BODY_CHARS} characters"
        )));
    }
    let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_DATA_BYTES {
        return Err(DomainError::Invalid(format!(
            "data must be at most {MAX_DATA_BYTES} bytes"
        )));
    }
    Ok((title.to_string(), body.to_string()))
}

//! What can be asked of a user's developer webhooks.

use serde::{Deserialize, Serialize};

use super::WebhookType;
use crate::Timestamp;

/// A command to one user's developer webhooks; the stream id is the user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeveloperWebhooksCommand {
    /// Sets the URL of `wtype` (a URL that [`super::clears`] turns it off). `secret` becomes the endpoint's
    /// signing secret if it has none yet.
    SetDeveloperWebhookUrl {
        uid: String,
        wtype: WebhookType,
        url: String,
        secret: String,
        at: Timestamp,
    },
    /// Turns deliveries to `wtype` on.
    EnableDeveloperWebhook {
        uid: String,
        wtype: WebhookType,
        at: Timestamp,
    },
    /// Turns deliveries to `wtype` off; `reason` says why when the server does it (72 h of failures).
    DisableDeveloperWebhook {
        uid: String,
        wtype: WebhookType,
        reason: Option<String>,
        at: Timestamp,
    },
    /// Replaces the signing secret of `wtype`, which must have a URL.
    RotateDeveloperWebhookSecret {
        uid: String,
        wtype: WebhookType,
        secret: String,
        at: Timestamp,
    },
}

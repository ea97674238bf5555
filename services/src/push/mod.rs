//! Push notifications to users' devices (spec §7.8), behind [`PushSender`]. One implementation, [`Fcm`], speaks
//! the Firebase Cloud Messaging HTTP v1 API with a service account's OAuth 2.0 assertion. The offline default is
//! no sender at all: notifications are then recorded and readable through the API, and nothing is pushed.

mod fcm;
mod jwt;

use std::collections::BTreeMap;

pub use fcm::{Fcm, FcmError, ServiceAccount, FCM_BASE_URL};

/// One push to one device.
#[derive(Debug, Clone, Copy)]
pub struct PushMessage<'a> {
    /// The device's registration token.
    pub token: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub data: &'a BTreeMap<String, String>,
}

/// What became of one push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushResult {
    /// Accepted; the push service's message id.
    Sent(String),
    /// The token is no longer valid (the app was uninstalled, the token rotated): drop it.
    Unregistered(String),
    /// Refused or unreachable; `retryable` when trying again later may succeed (overload, outage).
    Failed { error: String, retryable: bool },
}

/// Sends pushes.
#[async_trait::async_trait]
pub trait PushSender: Send + Sync {
    /// Pushes `message` to its device.
    async fn push(&self, message: PushMessage<'_>) -> PushResult;
}

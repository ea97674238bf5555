//! What can be asked of an integration.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Timestamp;

/// A command to one integration's stream (see [`super::integration_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum IntegrationCommand {
    /// Connects (again), with the tokens given. Through the OAuth callback, `state` is the state it consumes;
    /// a state used before is refused.
    Connect {
        uid: String,
        key: String,
        access_token: Option<String>,
        refresh_token: Option<String>,
        state: Option<String>,
        at: Timestamp,
    },
    /// Disconnects; the tokens are forgotten. Refused when not connected.
    Disconnect { uid: String, at: Timestamp },
    /// Records the health metrics a device synced (Apple Health), and connects it.
    SyncHealthData {
        uid: String,
        key: String,
        data: Value,
        data_types: Vec<String>,
        at: Timestamp,
    },
}

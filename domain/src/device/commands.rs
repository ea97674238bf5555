//! What can be asked of a device.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// A command to one device's stream (see [`super::device_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceCommand {
    /// Records the device's push token and the time zone it reported; nothing happens when both are the ones
    /// recorded already.
    RegisterToken {
        uid: String,
        device_key: String,
        token: String,
        time_zone: Option<String>,
        at: Timestamp,
    },
    /// Drops `token` because the push service refused it for good; nothing happens when the device holds
    /// another token by now (registered after the refused push was sent).
    DropToken {
        uid: String,
        token: String,
        reason: String,
        at: Timestamp,
    },
}

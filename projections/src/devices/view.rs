//! A device as the push sender reads it.

use chrono::{DateTime, Utc};
use omi_domain::device::DeviceEvent;
use serde::{Deserialize, Serialize};

use crate::documents::Owned;
use crate::time::iso;

/// A device that receives pushes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    /// The stream id.
    pub id: String,
    /// `<platform>_<device id hash>`.
    pub device_key: String,
    pub token: String,
    pub time_zone: Option<String>,
    #[serde(with = "iso")]
    pub registered_at: DateTime<Utc>,
}

impl DeviceView {
    /// The device after `event`; `None` once its token is dropped.
    pub(crate) fn evolve(
        id: &str,
        _current: Option<Owned<DeviceView>>,
        event: &DeviceEvent,
    ) -> Option<Owned<DeviceView>> {
        match event {
            DeviceEvent::DeviceTokenRegistered {
                uid,
                device_key,
                token,
                time_zone,
                registered_at,
            } => Some(Owned {
                uid: uid.clone(),
                doc: DeviceView {
                    id: id.to_string(),
                    device_key: device_key.clone(),
                    token: token.clone(),
                    time_zone: time_zone.clone(),
                    registered_at: *registered_at,
                },
            }),
            DeviceEvent::DeviceTokenDropped { .. } => None,
        }
    }
}

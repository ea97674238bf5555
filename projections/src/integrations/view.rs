//! An integration as the API reads it.

use chrono::{DateTime, Utc};
use omi_domain::integration::IntegrationEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::documents::Owned;
use crate::time::iso;

/// The metrics last synced from a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthData {
    pub data: Value,
    pub data_types: Vec<String>,
    #[serde(with = "iso")]
    pub synced_at: DateTime<Utc>,
}

/// An integration of the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationView {
    pub app_key: String,
    pub connected: bool,
    /// Whether the connection holds an access token (the token itself is never read back).
    pub has_access_token: bool,
    #[serde(with = "iso")]
    pub updated_at: DateTime<Utc>,
    pub health: Option<HealthData>,
}

impl IntegrationView {
    /// The integration after `event`.
    pub(crate) fn evolve(
        _id: &str,
        current: Option<Owned<IntegrationView>>,
        event: &IntegrationEvent,
    ) -> Option<Owned<IntegrationView>> {
        match event {
            IntegrationEvent::IntegrationConnected {
                uid,
                key,
                access_token,
                connected_at,
                ..
            } => {
                let health = current.and_then(|row| row.doc.health);
                Some(Owned {
                    uid: uid.clone(),
                    doc: IntegrationView {
                        app_key: key.clone(),
                        connected: true,
                        has_access_token: access_token.is_some(),
                        updated_at: *connected_at,
                        health,
                    },
                })
            }
            IntegrationEvent::IntegrationDisconnected {
                disconnected_at, ..
            } => current.map(|mut row| {
                row.doc.connected = false;
                row.doc.has_access_token = false;
                row.doc.updated_at = *disconnected_at;
                row
            }),
            IntegrationEvent::HealthDataSynced {
                uid,
                key,
                data,
                data_types,
                synced_at,
            } => {
                let has_access_token = current
                    .as_ref()
                    .is_some_and(|row| row.doc.connected && row.doc.has_access_token);
                Some(Owned {
                    uid: uid.clone(),
                    doc: IntegrationView {
                        app_key: key.clone(),
                        connected: true,
                        has_access_token,
                        updated_at: *synced_at,
                        health: Some(HealthData {
                            data: data.clone(),
                            data_types: data_types.clone(),
                            synced_at: *synced_at,
                        }),
                    },
                })
            }
        }
    }
}

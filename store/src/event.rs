//! An event as read back from the log, decoded once for all projections.

use crate::LogPosition;
use cqrs_es::Aggregate;
use omi_domain::action_item::{ActionItem, ActionItemEvent};
use omi_domain::api_key::{ApiKey, ApiKeyEvent};
use omi_domain::app::{
    App, AppEvent, AppInstallation, AppInstallationEvent, AppReview, AppReviewEvent,
};
use omi_domain::capture::{Capture, CaptureEvent};
use omi_domain::chat::{ChatEvent, ChatThread};
use omi_domain::contract::{decode, ContractError};
use omi_domain::conversation::{Conversation, ConversationEvent};
use omi_domain::daily_summary::{DailySummary, DailySummaryEvent};
use omi_domain::daily_summary_settings::{DailySummarySettings, DailySummarySettingsEvent};
use omi_domain::developer_webhook::{DeveloperWebhooks, DeveloperWebhooksEvent};
use omi_domain::device::{Device, DeviceEvent};
use omi_domain::folder::{Folders, FoldersEvent};
use omi_domain::goal::{Goals, GoalsEvent};
use omi_domain::integration::{Integration, IntegrationEvent};
use omi_domain::memory::{Memory, MemoryEvent};
use omi_domain::notification::{Notification, NotificationEvent};
use omi_domain::person::{Person, PersonEvent};
use omi_domain::user::{User, UserEvent};
use omi_domain::webhook_delivery::{WebhookDelivery, WebhookDeliveryEvent};
use omi_domain::wrapped::{Wrapped, WrappedEvent};
use omi_domain::Timestamp;
use serde::Deserialize;

/// A domain event of any aggregate, decoded from its stored payload.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredEvent {
    Memory(MemoryEvent),
    ActionItem(ActionItemEvent),
    Conversation(ConversationEvent),
    Capture(CaptureEvent),
    ApiKey(ApiKeyEvent),
    DailySummary(DailySummaryEvent),
    DailySummarySettings(DailySummarySettingsEvent),
    Wrapped(WrappedEvent),
    Folders(FoldersEvent),
    Goals(GoalsEvent),
    User(UserEvent),
    Person(PersonEvent),
    Device(DeviceEvent),
    Notification(NotificationEvent),
    Integration(IntegrationEvent),
    DeveloperWebhooks(DeveloperWebhooksEvent),
    WebhookDelivery(WebhookDeliveryEvent),
    App(AppEvent),
    AppInstallation(AppInstallationEvent),
    AppReview(AppReviewEvent),
    Chat(ChatEvent),
    /// An aggregate no projection reads; kept so that positions still advance.
    Other,
    /// An event of a known aggregate whose stored form its contract refuses: an unknown stored name or version,
    /// a payload that is not the event its `event_type` names, or fields that do not decode (a bug, or data
    /// written by another version). Readers never fail on it: projections park it with the reason, reactions
    /// pass over it.
    Undecodable {
        aggregate_type: String,
        error: String,
    },
}

/// One event's columns as the log stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredForm<'a> {
    pub aggregate_type: &'a str,
    /// The stored name.
    pub event_type: &'a str,
    pub event_version: &'a str,
    /// `{"<event_type>": {fields}}`.
    pub payload: &'a str,
}

/// The metadata every event carries (see the write side's `Metadata`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EventMetadata {
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub correlation_id: String,
    #[serde(default)]
    pub causation_id: Option<String>,
}

/// One event read from the log, with its place in commit order.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub position: LogPosition,
    pub aggregate_id: String,
    pub sequence: i64,
    pub recorded_at: Timestamp,
    pub metadata: EventMetadata,
    pub event: StoredEvent,
}

impl StoredEvent {
    /// The aggregate type it was stored under; `None` for [`StoredEvent::Other`] (no read model decodes it).
    pub fn aggregate_type(&self) -> Option<&str> {
        Some(match self {
            StoredEvent::Memory(_) => Memory::TYPE,
            StoredEvent::ActionItem(_) => ActionItem::TYPE,
            StoredEvent::Conversation(_) => Conversation::TYPE,
            StoredEvent::Capture(_) => Capture::TYPE,
            StoredEvent::ApiKey(_) => ApiKey::TYPE,
            StoredEvent::DailySummary(_) => DailySummary::TYPE,
            StoredEvent::DailySummarySettings(_) => DailySummarySettings::TYPE,
            StoredEvent::Wrapped(_) => Wrapped::TYPE,
            StoredEvent::Folders(_) => Folders::TYPE,
            StoredEvent::Goals(_) => Goals::TYPE,
            StoredEvent::User(_) => User::TYPE,
            StoredEvent::Person(_) => Person::TYPE,
            StoredEvent::Device(_) => Device::TYPE,
            StoredEvent::Notification(_) => Notification::TYPE,
            StoredEvent::Integration(_) => Integration::TYPE,
            StoredEvent::DeveloperWebhooks(_) => DeveloperWebhooks::TYPE,
            StoredEvent::WebhookDelivery(_) => WebhookDelivery::TYPE,
            StoredEvent::App(_) => App::TYPE,
            StoredEvent::AppInstallation(_) => AppInstallation::TYPE,
            StoredEvent::AppReview(_) => AppReview::TYPE,
            StoredEvent::Chat(_) => ChatThread::TYPE,
            StoredEvent::Undecodable { aggregate_type, .. } => aggregate_type,
            StoredEvent::Other => return None,
        })
    }

    /// Decodes a stored event through its aggregate's contract, and an event that does not decode as
    /// [`StoredEvent::Undecodable`].
    pub fn decode_or_mark(stored: StoredForm<'_>) -> Self {
        Self::decode(stored).unwrap_or_else(|error| StoredEvent::Undecodable {
            aggregate_type: stored.aggregate_type.to_string(),
            error: format!(
                "the stored {} event does not decode: {error}",
                stored.aggregate_type
            ),
        })
    }

    /// Decodes a stored event through its aggregate's contract (by stored name and version, see
    /// [`omi_domain::contract`]). An unknown aggregate type is `Other`; an event of a known type that its
    /// contract refuses is an error, since skipping it would silently corrupt the read models.
    pub fn decode(stored: StoredForm<'_>) -> Result<Self, ContractError> {
        let StoredForm {
            aggregate_type,
            event_type,
            event_version,
            payload,
        } = stored;
        Ok(match aggregate_type {
            Memory::TYPE => StoredEvent::Memory(decode(event_type, event_version, payload)?),
            ActionItem::TYPE => {
                StoredEvent::ActionItem(decode(event_type, event_version, payload)?)
            }
            Conversation::TYPE => {
                StoredEvent::Conversation(decode(event_type, event_version, payload)?)
            }
            Capture::TYPE => StoredEvent::Capture(decode(event_type, event_version, payload)?),
            ApiKey::TYPE => StoredEvent::ApiKey(decode(event_type, event_version, payload)?),
            DailySummary::TYPE => {
                StoredEvent::DailySummary(decode(event_type, event_version, payload)?)
            }
            DailySummarySettings::TYPE => {
                StoredEvent::DailySummarySettings(decode(event_type, event_version, payload)?)
            }
            Wrapped::TYPE => StoredEvent::Wrapped(decode(event_type, event_version, payload)?),
            Folders::TYPE => StoredEvent::Folders(decode(event_type, event_version, payload)?),
            Goals::TYPE => StoredEvent::Goals(decode(event_type, event_version, payload)?),
            User::TYPE => StoredEvent::User(decode(event_type, event_version, payload)?),
            Person::TYPE => StoredEvent::Person(decode(event_type, event_version, payload)?),
            Device::TYPE => StoredEvent::Device(decode(event_type, event_version, payload)?),
            Notification::TYPE => {
                StoredEvent::Notification(decode(event_type, event_version, payload)?)
            }
            Integration::TYPE => {
                StoredEvent::Integration(decode(event_type, event_version, payload)?)
            }
            DeveloperWebhooks::TYPE => {
                StoredEvent::DeveloperWebhooks(decode(event_type, event_version, payload)?)
            }
            WebhookDelivery::TYPE => {
                StoredEvent::WebhookDelivery(decode(event_type, event_version, payload)?)
            }
            App::TYPE => StoredEvent::App(decode(event_type, event_version, payload)?),
            AppInstallation::TYPE => {
                StoredEvent::AppInstallation(decode(event_type, event_version, payload)?)
            }
            AppReview::TYPE => StoredEvent::AppReview(decode(event_type, event_version, payload)?),
            ChatThread::TYPE => StoredEvent::Chat(decode(event_type, event_version, payload)?),
            _ => StoredEvent::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELETED: &str = r#"{"MemoryDeleted":{"deleted_at":"2026-11-01T10:00:00Z"}}"#;

    fn memory(event_type: &str, event_version: &str) -> StoredEvent {
        StoredEvent::decode_or_mark(StoredForm {
            aggregate_type: "Memory",
            event_type,
            event_version,
            payload: DELETED,
        })
    }

    fn refusal(event: StoredEvent) -> String {
        match event {
            StoredEvent::Undecodable { error, .. } => error,
            decoded => panic!("decoded: {decoded:?}"),
        }
    }

    #[test]
    fn an_event_is_decoded_by_its_stored_name_and_version() {
        assert!(matches!(
            memory("MemoryDeleted", "1.0"),
            StoredEvent::Memory(MemoryEvent::MemoryDeleted { .. })
        ));
    }

    #[test]
    fn a_stored_name_or_version_its_contract_does_not_know_is_marked_undecodable() {
        let unknown_name = refusal(memory("MemoryErased", "1.0"));
        assert!(unknown_name.contains("`MemoryErased`"), "{unknown_name}");
        let unknown_version = refusal(memory("MemoryDeleted", "0.1"));
        assert!(unknown_version.contains("version 0.1"), "{unknown_version}");
        let disagreeing = refusal(memory("MemoryCreated", "1.0"));
        assert!(
            disagreeing.contains("holds `MemoryDeleted`"),
            "{disagreeing}"
        );
    }

    #[test]
    fn an_aggregate_no_read_model_knows_is_other_whatever_its_payload() {
        let other = StoredEvent::decode(StoredForm {
            aggregate_type: "Elsewhere",
            event_type: "Happened",
            event_version: "9",
            payload: "not even JSON",
        });
        assert_eq!(other, Ok(StoredEvent::Other));
    }
}

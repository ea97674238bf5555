//! Stored event contracts: the name and version each event is written to the log under, independent of Rust
//! type and variant names, and the one way an event is read back from the log.
//!
//! A stored event is its `event_type` and `event_version` columns and a payload of the form
//! `{"<stored name>": {fields}}`. Each aggregate's event enum declares its contract once, with
//! [`stored_events!`]: every variant's stored name (which its `#[serde(rename)]` repeats, so that the payload's
//! key is the stored name too) and current version, and the [`Upcaster`]s that turn older versions into the
//! current one. Renaming a variant changes nothing stored. Renaming a stored name, or changing a payload's
//! shape without an upcaster, fails the fixture test (`domain/tests/event_contracts.rs`), which holds one
//! stored form per event type as the log has it.
//!
//! Every reader decodes through a contract: [`decode`] for readers that know the event type (the projections
//! and reactions), [`Contract::upgrade`] for the write side, which reads streams as cqrs-es
//! `SerializedEvent`s by aggregate type. Both refuse an unknown stored name or version and a payload whose key
//! is not the stored name, and pass an older version through the upcasters.

mod error;
mod upcaster;

#[cfg(test)]
mod tests;

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::action_item::ActionItemEvent;
use crate::api_key::ApiKeyEvent;
use crate::app::{AppEvent, AppInstallationEvent, AppReviewEvent};
use crate::capture::CaptureEvent;
use crate::chat::ChatEvent;
use crate::conversation::ConversationEvent;
use crate::daily_summary::DailySummaryEvent;
use crate::daily_summary_settings::DailySummarySettingsEvent;
use crate::developer_webhook::DeveloperWebhooksEvent;
use crate::device::DeviceEvent;
use crate::folder::FoldersEvent;
use crate::goal::GoalsEvent;
use crate::integration::IntegrationEvent;
use crate::memory::MemoryEvent;
use crate::notification::NotificationEvent;
use crate::person::PersonEvent;
use crate::user::UserEvent;
use crate::webhook_delivery::WebhookDeliveryEvent;
use crate::wrapped::WrappedEvent;

pub use error::ContractError;
pub use upcaster::Upcaster;

/// One event type as the log stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    /// The `event_type` column, and the payload's only key.
    pub name: &'static str,
    /// The version written today (the `event_version` column).
    pub version: &'static str,
}

/// The stored events of one aggregate type.
#[derive(Debug)]
pub struct Contract {
    /// The `aggregate_type` column of its streams.
    pub aggregate_type: &'static str,
    /// Every event type it stores, each with its current version.
    pub event_types: &'static [EventType],
    /// The upcasters from older versions, tried in order.
    pub upcasters: &'static [Upcaster],
}

/// An aggregate's event enum with its stored contract; implemented by [`stored_events!`].
pub trait StoredEvents: Serialize + DeserializeOwned {
    /// The contract: every stored name and current version, and the upcasters.
    const CONTRACT: Contract;

    /// The stored name and version of this event.
    fn stored_type(&self) -> EventType;
}

/// The contract of every aggregate type the log holds.
pub static CONTRACTS: [&Contract; 21] = [
    &<MemoryEvent as StoredEvents>::CONTRACT,
    &<ActionItemEvent as StoredEvents>::CONTRACT,
    &<ConversationEvent as StoredEvents>::CONTRACT,
    &<CaptureEvent as StoredEvents>::CONTRACT,
    &<ApiKeyEvent as StoredEvents>::CONTRACT,
    &<DailySummaryEvent as StoredEvents>::CONTRACT,
    &<DailySummarySettingsEvent as StoredEvents>::CONTRACT,
    &<WrappedEvent as StoredEvents>::CONTRACT,
    &<FoldersEvent as StoredEvents>::CONTRACT,
    &<GoalsEvent as StoredEvents>::CONTRACT,
    &<UserEvent as StoredEvents>::CONTRACT,
    &<PersonEvent as StoredEvents>::CONTRACT,
    &<DeviceEvent as StoredEvents>::CONTRACT,
    &<NotificationEvent as StoredEvents>::CONTRACT,
    &<IntegrationEvent as StoredEvents>::CONTRACT,
    &<DeveloperWebhooksEvent as StoredEvents>::CONTRACT,
    &<WebhookDeliveryEvent as StoredEvents>::CONTRACT,
    &<AppEvent as StoredEvents>::CONTRACT,
    &<AppInstallationEvent as StoredEvents>::CONTRACT,
    &<AppReviewEvent as StoredEvents>::CONTRACT,
    &<ChatEvent as StoredEvents>::CONTRACT,
];

/// The contract of the streams stored under `aggregate_type`, if the domain has that aggregate.
pub fn contract_of(aggregate_type: &str) -> Option<&'static Contract> {
    CONTRACTS
        .iter()
        .copied()
        .find(|contract| contract.aggregate_type == aggregate_type)
}

impl Contract {
    /// The event type stored under `name`, with its current version.
    pub fn event_type(&self, name: &str) -> Result<EventType, ContractError> {
        self.event_types
            .iter()
            .find(|known| known.name == name)
            .copied()
            .ok_or_else(|| ContractError::UnknownEventType {
                aggregate_type: self.aggregate_type.to_string(),
                event_type: name.to_string(),
            })
    }

    /// Checks a stored event against the contract and brings it to the current version of its type: refuses
    /// an unknown stored name, a payload whose key is not the stored name and a version no chain of upcasters
    /// leads from. The payload's fields are not decoded here.
    pub fn upgrade(&self, mut event: SerializedEvent) -> Result<SerializedEvent, ContractError> {
        let current = self.event_type(&event.event_type)?;
        if let Some(found) = disagreement(&event.event_type, &event.payload) {
            return Err(ContractError::Mismatch {
                event_type: event.event_type,
                found,
            });
        }
        // A chain is at most as long as the list of upcasters: a cycle among them cannot loop forever.
        for _ in 0..=self.upcasters.len() {
            if event.event_version == current.version {
                return Ok(event);
            }
            let Some(upcaster) = self
                .upcasters
                .iter()
                .find(|u| u.can_upcast(&event.event_type, &event.event_version))
            else {
                break;
            };
            event = upcaster.upcast(event);
        }
        Err(ContractError::UnknownVersion {
            event_type: event.event_type,
            version: event.event_version,
            current: current.version.to_string(),
        })
    }
}

/// What the payload holds instead of a single key equal to `event_type`; `None` when it agrees.
fn disagreement(event_type: &str, payload: &Value) -> Option<String> {
    match payload {
        Value::Object(fields) if fields.len() == 1 => fields
            .keys()
            .next()
            .filter(|key| *key != event_type)
            .map(|key| format!("`{key}`")),
        Value::Object(fields) => Some(format!("an object with {} keys", fields.len())),
        Value::Array(_) => Some("an array".into()),
        Value::String(_) => Some("a string".into()),
        Value::Number(_) => Some("a number".into()),
        Value::Bool(_) => Some("a boolean".into()),
        Value::Null => Some("null".into()),
    }
}

/// Decodes one stored event of `E`'s aggregate from its `event_type` and `event_version` columns and its
/// payload, as [`Contract::upgrade`] checks it. An event of the current version, the usual case, is decoded
/// straight from the text; its stored name is then compared with the payload's.
pub fn decode<E: StoredEvents>(
    event_type: &str,
    event_version: &str,
    payload: &str,
) -> Result<E, ContractError> {
    let contract = E::CONTRACT;
    let current = contract.event_type(event_type)?;
    let malformed = |error: serde_json::Error| ContractError::Payload {
        event_type: event_type.to_string(),
        version: event_version.to_string(),
        reason: error.to_string(),
    };
    let event: E = if event_version == current.version {
        serde_json::from_str(payload).map_err(malformed)?
    } else {
        let stored = SerializedEvent {
            aggregate_id: String::new(),
            sequence: 0,
            aggregate_type: contract.aggregate_type.to_string(),
            event_type: event_type.to_string(),
            event_version: event_version.to_string(),
            payload: serde_json::from_str(payload).map_err(malformed)?,
            metadata: Value::Null,
        };
        serde_json::from_value(contract.upgrade(stored)?.payload).map_err(malformed)?
    };
    let held = event.stored_type().name;
    if held != event_type {
        return Err(ContractError::Mismatch {
            event_type: event_type.to_string(),
            found: format!("`{held}`"),
        });
    }
    Ok(event)
}

/// Declares the stored contract of an aggregate's event enum and its `DomainEvent` names from it:
///
/// ```text
/// stored_events! {
///     events: MemoryEvent,
///     aggregate_type: Memory::TYPE,
///     upcasters: &[],                       // optional
///     stored: {
///         MemoryCreated => ("MemoryCreated", "1.0"),
///         …
///     }
/// }
/// ```
///
/// The list is matched exhaustively against the variants, so the contract names every event type. Each
/// variant carries `#[serde(rename = "<stored name>")]` with the same name.
macro_rules! stored_events {
    (
        events: $events:ident,
        aggregate_type: $aggregate_type:expr,
        $(upcasters: $upcasters:expr,)?
        stored: { $($variant:ident => ($name:literal, $version:literal)),+ $(,)? } $(,)?
    ) => {
        impl $crate::contract::StoredEvents for $events {
            const CONTRACT: $crate::contract::Contract = $crate::contract::Contract {
                aggregate_type: $aggregate_type,
                event_types: &[$($crate::contract::EventType { name: $name, version: $version }),+],
                upcasters: $crate::contract::stored_events!(@upcasters $($upcasters)?),
            };

            fn stored_type(&self) -> $crate::contract::EventType {
                match self {
                    $(Self::$variant { .. } => $crate::contract::EventType { name: $name, version: $version },)+
                }
            }
        }

        impl ::cqrs_es::DomainEvent for $events {
            fn event_type(&self) -> String {
                $crate::contract::StoredEvents::stored_type(self).name.to_string()
            }

            fn event_version(&self) -> String {
                $crate::contract::StoredEvents::stored_type(self).version.to_string()
            }
        }
    };
    (@upcasters) => { &[] };
    (@upcasters $upcasters:expr) => { $upcasters };
}

pub(crate) use stored_events;

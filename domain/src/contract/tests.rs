//! The contract's rules on a test aggregate whose one event type went through two schema changes, so that the
//! upcaster hook is shown at work without a made-up version of a real event.

use cqrs_es::persist::SerializedEvent;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::*;

/// A note's events. `Written` is stored as `NoteWritten`: 1.0 held `{"body"}`, 2.0 added `language`, 3.0
/// renamed `body` to `text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum NoteEvent {
    #[serde(rename = "NoteWritten")]
    Written { text: String, language: String },
    #[serde(rename = "NoteErased")]
    Erased { at: String },
}

const LANGUAGE_ADDED: Upcaster = Upcaster {
    event_type: "NoteWritten",
    reads: "1.0",
    produces: "2.0",
    upcast: |mut fields| {
        fields["language"] = json!("en");
        fields
    },
};

const BODY_RENAMED: Upcaster = Upcaster {
    event_type: "NoteWritten",
    reads: "2.0",
    produces: "3.0",
    upcast: |mut fields| {
        if let Some(fields) = fields.as_object_mut() {
            if let Some(body) = fields.remove("body") {
                fields.insert("text".into(), body);
            }
        }
        fields
    },
};

stored_events! {
    events: NoteEvent,
    aggregate_type: "Note",
    upcasters: &[LANGUAGE_ADDED, BODY_RENAMED],
    stored: {
        Written => ("NoteWritten", "3.0"),
        Erased => ("NoteErased", "1.0"),
    }
}

fn written() -> NoteEvent {
    NoteEvent::Written {
        text: "buy milk".into(),
        language: "en".into(),
    }
}

fn stored(event_type: &str, event_version: &str, payload: Value) -> SerializedEvent {
    SerializedEvent {
        aggregate_id: "note-1".into(),
        sequence: 1,
        aggregate_type: "Note".into(),
        event_type: event_type.into(),
        event_version: event_version.into(),
        payload,
        metadata: json!({}),
    }
}

#[test]
fn the_stored_name_is_the_contracts_not_the_variants() {
    assert_eq!(written().event_type(), "NoteWritten");
    assert_eq!(written().event_version(), "3.0");
    let payload = serde_json::to_value(written()).unwrap();
    assert_eq!(
        payload,
        json!({"NoteWritten": {"text": "buy milk", "language": "en"}})
    );
    let decoded: NoteEvent = decode("NoteWritten", "3.0", &payload.to_string()).unwrap();
    assert_eq!(decoded, written());
}

#[test]
fn every_older_version_is_upcast_through_the_chain_to_the_current_shape() {
    for (version, payload) in [
        ("1.0", json!({"NoteWritten": {"body": "buy milk"}})),
        (
            "2.0",
            json!({"NoteWritten": {"body": "buy milk", "language": "en"}}),
        ),
    ] {
        let decoded = decode::<NoteEvent>("NoteWritten", version, &payload.to_string());
        assert_eq!(decoded, Ok(written()), "from {version}");

        let upgraded = NoteEvent::CONTRACT
            .upgrade(stored("NoteWritten", version, payload))
            .unwrap();
        assert_eq!(upgraded.event_version, "3.0", "from {version}");
        assert_eq!(
            upgraded.payload,
            serde_json::to_value(written()).unwrap(),
            "from {version}"
        );
        assert_eq!(upgraded.aggregate_id, "note-1", "the envelope is kept");
    }
}

#[test]
fn an_unknown_stored_name_is_refused_even_when_the_payload_would_decode() {
    let payload = json!({"NoteWritten": {"text": "buy milk", "language": "en"}});
    let refused = decode::<NoteEvent>("Written", "3.0", &payload.to_string());
    assert_eq!(
        refused,
        Err(ContractError::UnknownEventType {
            aggregate_type: "Note".into(),
            event_type: "Written".into(),
        })
    );
    assert!(NoteEvent::CONTRACT
        .upgrade(stored("NoteScribbled", "1.0", json!({"NoteScribbled": {}})))
        .is_err());
}

#[test]
fn a_version_no_upcaster_reads_is_refused() {
    for version in ["0.9", "4.0", "1"] {
        let payload = json!({"NoteWritten": {"body": "buy milk"}});
        let refused = decode::<NoteEvent>("NoteWritten", version, &payload.to_string());
        assert_eq!(
            refused,
            Err(ContractError::UnknownVersion {
                event_type: "NoteWritten".into(),
                version: version.into(),
                current: "3.0".into(),
            }),
            "{version}"
        );
    }
    let erased = json!({"NoteErased": {"at": "noon"}});
    assert!(NoteEvent::CONTRACT
        .upgrade(stored("NoteErased", "0.1", erased))
        .is_err());
}

#[test]
fn a_payload_holding_another_event_than_its_stored_name_is_refused() {
    let erased = json!({"NoteErased": {"at": "noon"}}).to_string();
    // The current version is decoded straight from the text, then its name compared.
    assert_eq!(
        decode::<NoteEvent>("NoteWritten", "3.0", &erased),
        Err(ContractError::Mismatch {
            event_type: "NoteWritten".into(),
            found: "`NoteErased`".into(),
        })
    );
    // An older version is compared before any upcaster runs.
    assert!(matches!(
        decode::<NoteEvent>("NoteWritten", "1.0", &erased),
        Err(ContractError::Mismatch { .. })
    ));
    for payload in [
        json!("NoteWritten"),
        json!({"NoteWritten": {}, "NoteErased": {}}),
    ] {
        let refused = NoteEvent::CONTRACT.upgrade(stored("NoteWritten", "3.0", payload.clone()));
        assert!(
            matches!(refused, Err(ContractError::Mismatch { .. })),
            "{payload}: {refused:?}"
        );
    }
}

#[test]
fn a_payload_of_the_wrong_shape_names_its_type_and_version() {
    let refused = decode::<NoteEvent>("NoteWritten", "3.0", r#"{"NoteWritten": {"body": "x"}}"#);
    let Err(ContractError::Payload {
        event_type,
        version,
        reason,
    }) = refused
    else {
        panic!("{refused:?}");
    };
    assert_eq!(
        (event_type.as_str(), version.as_str()),
        ("NoteWritten", "3.0")
    );
    assert!(reason.contains("text"), "{reason}");
    assert!(decode::<NoteEvent>("NoteWritten", "1.0", "not json").is_err());
}

#[test]
fn every_aggregate_of_the_domain_has_its_contract_under_its_type() {
    let types = [
        crate::memory::Memory::TYPE,
        crate::action_item::ActionItem::TYPE,
        crate::conversation::Conversation::TYPE,
        crate::capture::Capture::TYPE,
        crate::api_key::ApiKey::TYPE,
        crate::daily_summary::DailySummary::TYPE,
        crate::daily_summary_settings::DailySummarySettings::TYPE,
        crate::wrapped::Wrapped::TYPE,
        crate::folder::Folders::TYPE,
        crate::goal::Goals::TYPE,
        crate::user::User::TYPE,
        crate::person::Person::TYPE,
        crate::device::Device::TYPE,
        crate::notification::Notification::TYPE,
        crate::integration::Integration::TYPE,
        crate::developer_webhook::DeveloperWebhooks::TYPE,
        crate::webhook_delivery::WebhookDelivery::TYPE,
        crate::app::App::TYPE,
        crate::app::AppInstallation::TYPE,
        crate::app::AppReview::TYPE,
        crate::chat::ChatThread::TYPE,
    ];
    for aggregate_type in types {
        let contract = contract_of(aggregate_type).expect(aggregate_type);
        assert_eq!(contract.aggregate_type, aggregate_type);
    }
    assert_eq!(CONTRACTS.len(), types.len());
    assert!(contract_of("Note").is_none());
}

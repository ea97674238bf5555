//! The stored form of every event type, pinned by fixtures: `fixtures/events/<aggregate type>/<stored
//! name>.v<version>.json` holds one event exactly as the log stores it (`aggregate_type`, `event_type`,
//! `event_version`, `payload`), written once by the serializer and never regenerated.
//!
//! A change to an event that existing logs would not survive fails here: a renamed stored name (its fixture no
//! longer decodes, and the new name has none), a renamed or retyped field, a changed enum spelling or timestamp
//! format (the decoded event no longer encodes back to the fixture). When a schema changes on purpose, keep the
//! old fixture, make it decode (an upcaster for a new version, or a serde default), and add a fixture of the new
//! form. A fixture of a form the server no longer writes says in `reads_as` what it reads as today; a file
//! `<stored name>.v<version>.<label>.json` holds such a form of the current version (for instance one written
//! before a defaulted field existed).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cqrs_es::persist::SerializedEvent;
use cqrs_es::DomainEvent;
use omi_domain::action_item::ActionItemEvent;
use omi_domain::api_key::ApiKeyEvent;
use omi_domain::app::{AppEvent, AppInstallationEvent, AppReviewEvent};
use omi_domain::capture::CaptureEvent;
use omi_domain::chat::ChatEvent;
use omi_domain::contract::{self, contract_of, StoredEvents, CONTRACTS};
use omi_domain::conversation::ConversationEvent;
use omi_domain::daily_summary::DailySummaryEvent;
use omi_domain::daily_summary_settings::DailySummarySettingsEvent;
use omi_domain::developer_webhook::DeveloperWebhooksEvent;
use omi_domain::device::DeviceEvent;
use omi_domain::folder::FoldersEvent;
use omi_domain::goal::GoalsEvent;
use omi_domain::integration::IntegrationEvent;
use omi_domain::memory::MemoryEvent;
use omi_domain::notification::NotificationEvent;
use omi_domain::person::PersonEvent;
use omi_domain::user::UserEvent;
use omi_domain::webhook_delivery::WebhookDeliveryEvent;
use omi_domain::wrapped::WrappedEvent;
use serde::Deserialize;
use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events");

/// One fixture file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    aggregate_type: String,
    event_type: String,
    event_version: String,
    payload: Value,
    /// What an older form decodes to, encoded as the server writes it today.
    #[serde(default)]
    reads_as: Option<Value>,
}

/// Every fixture, by file.
fn fixtures() -> Vec<(PathBuf, Fixture)> {
    let mut found = Vec::new();
    for aggregate in std::fs::read_dir(FIXTURES).expect("the fixtures folder") {
        let aggregate = aggregate.unwrap().path();
        for file in std::fs::read_dir(&aggregate).unwrap() {
            let file = file.unwrap().path();
            let text = std::fs::read_to_string(&file).unwrap();
            let fixture = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not a fixture: {e}", file.display()));
            found.push((file, fixture));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(found.len() >= 36, "only {} fixtures found", found.len());
    found
}

/// The fixture's event as both readers decode it, encoded again, and its `event_type()`.
fn read_back(fixture: &Fixture) -> Result<(Value, String), String> {
    match fixture.aggregate_type.as_str() {
        "Memory" => read_back_as::<MemoryEvent>(fixture),
        "ActionItem" => read_back_as::<ActionItemEvent>(fixture),
        "Conversation" => read_back_as::<ConversationEvent>(fixture),
        "Capture" => read_back_as::<CaptureEvent>(fixture),
        "ApiKey" => read_back_as::<ApiKeyEvent>(fixture),
        "DailySummary" => read_back_as::<DailySummaryEvent>(fixture),
        "DailySummarySettings" => read_back_as::<DailySummarySettingsEvent>(fixture),
        "Wrapped" => read_back_as::<WrappedEvent>(fixture),
        "Folders" => read_back_as::<FoldersEvent>(fixture),
        "Goals" => read_back_as::<GoalsEvent>(fixture),
        "User" => read_back_as::<UserEvent>(fixture),
        "Person" => read_back_as::<PersonEvent>(fixture),
        "Device" => read_back_as::<DeviceEvent>(fixture),
        "Notification" => read_back_as::<NotificationEvent>(fixture),
        "Integration" => read_back_as::<IntegrationEvent>(fixture),
        "DeveloperWebhooks" => read_back_as::<DeveloperWebhooksEvent>(fixture),
        "WebhookDelivery" => read_back_as::<WebhookDeliveryEvent>(fixture),
        "App" => read_back_as::<AppEvent>(fixture),
        "AppInstallation" => read_back_as::<AppInstallationEvent>(fixture),
        "AppReview" => read_back_as::<AppReviewEvent>(fixture),
        "ChatThread" => read_back_as::<ChatEvent>(fixture),
        other => Err(format!("this test decodes no aggregate type {other}")),
    }
}

/// Decodes as the projections do ([`contract::decode`]) and as the write side does ([`contract::Contract::upgrade`]
/// by aggregate type, then serde); both must give the same event.
fn read_back_as<E: StoredEvents + DomainEvent + PartialEq + std::fmt::Debug>(
    fixture: &Fixture,
) -> Result<(Value, String), String> {
    let text = fixture.payload.to_string();
    let event: E = contract::decode(&fixture.event_type, &fixture.event_version, &text)
        .map_err(|e| format!("does not decode: {e}"))?;
    let contract = contract_of(&fixture.aggregate_type).ok_or("no contract for its aggregate")?;
    let upgraded = contract
        .upgrade(SerializedEvent {
            aggregate_id: "fixture".into(),
            sequence: 1,
            aggregate_type: fixture.aggregate_type.clone(),
            event_type: fixture.event_type.clone(),
            event_version: fixture.event_version.clone(),
            payload: fixture.payload.clone(),
            metadata: Value::Null,
        })
        .map_err(|e| format!("the write side refuses it: {e}"))?;
    let written: E = serde_json::from_value(upgraded.payload)
        .map_err(|e| format!("the write side does not decode it: {e}"))?;
    if written != event {
        return Err(format!(
            "the readers disagree: {event:?} against {written:?}"
        ));
    }
    let encoded = serde_json::to_value(&event).map_err(|e| e.to_string())?;
    Ok((encoded, event.event_type()))
}

/// The file's name as its content says it should be: `<event_type>.v<event_version>[.<label>].json`.
fn named_after_its_content(file: &Path, fixture: &Fixture) -> bool {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let folder = file
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    let stem = format!("{}.v{}", fixture.event_type, fixture.event_version);
    folder == Some(fixture.aggregate_type.as_str())
        && name.strip_prefix(&stem).is_some_and(|rest| {
            rest == ".json"
                || rest
                    .strip_suffix(".json")
                    .is_some_and(|l| l.starts_with('.'))
        })
}

#[test]
fn every_fixture_decodes_under_its_stored_name_and_encodes_back_to_its_stored_form() {
    let mut failures = Vec::new();
    for (file, fixture) in fixtures() {
        let shown = file.strip_prefix(FIXTURES).unwrap_or(&file).display();
        if !named_after_its_content(&file, &fixture) {
            failures.push(format!("{shown}: the file name does not match its content"));
            continue;
        }
        let (encoded, event_type) = match read_back(&fixture) {
            Ok(read) => read,
            Err(reason) => {
                failures.push(format!("{shown}: {reason}"));
                continue;
            }
        };
        if event_type != fixture.event_type {
            failures.push(format!(
                "{shown}: decodes to an event stored as {event_type}"
            ));
        }
        let expected = fixture.reads_as.as_ref().unwrap_or(&fixture.payload);
        if encoded != *expected {
            failures.push(format!(
                "{shown}: encodes back to\n{encoded}\ninstead of\n{expected}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_event_type_of_every_aggregate_has_a_fixture_of_its_current_form() {
    let mut current = BTreeSet::new();
    for (file, fixture) in fixtures() {
        if fixture.reads_as.is_none() && named_after_its_content(&file, &fixture) {
            current.insert((
                fixture.aggregate_type,
                fixture.event_type,
                fixture.event_version,
            ));
        }
    }
    let mut missing = Vec::new();
    for contract in CONTRACTS {
        for event_type in contract.event_types {
            let wanted = (
                contract.aggregate_type.to_string(),
                event_type.name.to_string(),
                event_type.version.to_string(),
            );
            if !current.contains(&wanted) {
                missing.push(format!("{}/{}.v{}.json", wanted.0, wanted.1, wanted.2));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "event types without a fixture of their current stored form:\n{}",
        missing.join("\n")
    );
}

#[test]
fn an_older_form_kept_as_a_fixture_still_decodes_with_its_default() {
    let old = fixtures()
        .into_iter()
        .find(|(file, _)| {
            file.ends_with("Conversation/ConversationProcessed.v1.0.before-published.json")
        })
        .expect("the fixture of ConversationProcessed before `published`")
        .1;
    assert!(old.payload["ConversationProcessed"]
        .get("published")
        .is_none());
    let event: ConversationEvent = contract::decode(
        &old.event_type,
        &old.event_version,
        &old.payload.to_string(),
    )
    .unwrap();
    assert!(matches!(
        event,
        ConversationEvent::ConversationProcessed {
            published: false,
            ..
        }
    ));
}

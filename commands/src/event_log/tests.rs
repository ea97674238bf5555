//! The write side reads streams through the stored contracts: an event is folded by its stored name and version,
//! and a stream holding one its contract refuses is not folded at all.

use cqrs_es::persist::{PersistedEventRepository, PersistenceError};
use omi_domain::memory::{Memory, MemoryCommand};
use omi_domain::{DomainError, Timestamp};
use omi_store::Database;
use serde_json::json;

use super::EventLog;
use crate::{Actor, CommandBus, CommandError, Metadata};

/// A fresh SQLite database in a directory of its own.
async fn database() -> (Database, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("omi-event-log-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    (Database::open(None, &dir, 2).await.unwrap(), dir)
}

fn created(uid: &str) -> String {
    json!({"MemoryCreated": {
        "uid": uid, "content": "Prefers oat milk", "category": "interesting", "visibility": "private",
        "tags": [], "manually_added": false, "reviewed": false, "user_review": null,
        "conversation_id": null, "app_id": null, "created_at": "2026-03-14T08:15:42.123456789Z"
    }})
    .to_string()
}

/// Writes one event of the memory `id` as another writer (or an older server) would.
async fn append_raw(database: &Database, id: &str, event_type: &str, version: &str, payload: &str) {
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Memory', $1, 1, $2, $3, $4, '{\"uid\":\"u1\"}')",
    )
    .bind(id)
    .bind(event_type)
    .bind(version)
    .bind(payload)
    .execute(database.pool())
    .await
    .unwrap();
}

fn delete(uid: &str) -> MemoryCommand {
    MemoryCommand::DeleteMemory {
        uid: uid.into(),
        at: Timestamp::default(),
    }
}

#[tokio::test]
async fn a_stream_in_its_stored_form_is_folded_and_decided_on() {
    let (database, dir) = database().await;
    append_raw(&database, "m1", "MemoryCreated", "1.0", &created("u1")).await;
    let bus = CommandBus::new(database);
    let user = Metadata::new("u1", Actor::User, "request");

    let stranger = bus.execute::<Memory>("m1", delete("u2"), &user).await;
    assert!(
        matches!(
            stranger,
            Err(CommandError::Domain(DomainError::NotFound(_)))
        ),
        "the stored owner was read: {stranger:?}"
    );
    let deleted = bus
        .execute::<Memory>("m1", delete("u1"), &user)
        .await
        .unwrap();
    assert_eq!(deleted.events.len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn a_stream_holding_an_event_its_contract_refuses_is_not_folded() {
    let (database, dir) = database().await;
    // An unknown stored name, an unknown version, and a payload that is not the event its column names.
    append_raw(
        &database,
        "unknown-name",
        "MemoryErased",
        "1.0",
        &created("u1"),
    )
    .await;
    append_raw(
        &database,
        "unknown-version",
        "MemoryCreated",
        "0.9",
        &created("u1"),
    )
    .await;
    append_raw(
        &database,
        "disagreeing",
        "MemoryDeleted",
        "1.0",
        &created("u1"),
    )
    .await;
    let log = EventLog::new(&database);
    for (id, reason) in [
        ("unknown-name", "no event type `MemoryErased`"),
        (
            "unknown-version",
            "no upcaster reads version 0.9 of MemoryCreated",
        ),
        ("disagreeing", "holds `MemoryCreated`"),
    ] {
        let read = log.get_events::<Memory>(id).await;
        assert!(
            matches!(&read, Err(PersistenceError::DeserializationError(e)) if e.to_string().contains(reason)),
            "{id}: {read:?}"
        );
        let refused = CommandBus::new(database.clone())
            .execute::<Memory>(
                id,
                delete("u1"),
                &Metadata::new("u1", Actor::User, "request"),
            )
            .await;
        assert!(
            matches!(&refused, Err(CommandError::Store(message)) if message.contains(reason)),
            "{id}: {refused:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

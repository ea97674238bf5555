//! The registry is the only list of read models, so these tests check what every runner relies on: names that
//! tell read models apart, tables that belong to one of them, an in-memory rebuild that writes exactly its own
//! tables, and a schema in which no read-model table is left out of the registry.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use omi_domain::action_item::ActionItemEvent;
use omi_domain::api_key::{ApiKeyEvent, KeyFamily};
use omi_domain::conversation::{ConversationEvent, ConversationSource};
use omi_domain::daily_summary::{DailySummaryContent, DailySummaryEvent, DayStats, Trigger};
use omi_domain::daily_summary_settings::DailySummarySettingsEvent;
use omi_domain::memory::{MemoryCategory, MemoryEvent, Visibility};
use omi_domain::trend::{TrendCategory, TrendMention, TrendType};
use omi_store::{Database, LogPosition};

use super::*;
use crate::runtime::{CopySink, RecordedEvent, StoredEvent};

/// Tables of the schema that belong to no read model: the log and the store's own bookkeeping.
const STORE_TABLES: &[&str] = &[
    "events",
    "schema_migrations",
    "projection_checkpoints",
    "parked_events",
    "rate_limit_windows",
    // The accounts being or having been erased: the store's record of the erasure job, not a read model.
    "erasures",
    // The delivery worker's claims on deliveries being sent: operational state, not folded from the log.
    "webhook_delivery_leases",
    // The audio the `audio_bytes` webhooks send: kept beside the log (which names each chunk), not folded from it.
    "audio_spool",
];

/// The first event of a stream of `aggregate_type`: one that gives its read models a row.
fn first_event(aggregate_type: &str) -> StoredEvent {
    let at = DateTime::<Utc>::UNIX_EPOCH;
    let uid = "u".to_string();
    match aggregate_type {
        "Memory" => StoredEvent::Memory(MemoryEvent::MemoryCreated {
            uid,
            content: "likes tea".into(),
            category: MemoryCategory::Interesting,
            visibility: Visibility::Private,
            tags: vec![],
            manually_added: true,
            reviewed: true,
            user_review: None,
            conversation_id: None,
            app_id: None,
            created_at: at,
        }),
        "ActionItem" => StoredEvent::ActionItem(ActionItemEvent::ActionItemCreated {
            uid,
            description: "call Ann".into(),
            completed: false,
            completed_at: None,
            due_at: None,
            conversation_id: None,
            created_at: at,
        }),
        "ApiKey" => StoredEvent::ApiKey(ApiKeyEvent::ApiKeyCreated {
            uid,
            family: KeyFamily::Developer,
            name: "script".into(),
            scopes: vec![],
            hashed_key: "0".repeat(64),
            display_prefix: "omi_dev_0000".into(),
            created_at: at,
        }),
        "Conversation" => StoredEvent::Conversation(ConversationEvent::ConversationStarted {
            uid,
            source: ConversationSource::Omi,
            language: "en".into(),
            created_at: at,
        }),
        "DailySummary" => StoredEvent::DailySummary(DailySummaryEvent::DailySummaryGenerated {
            uid,
            date: at.date_naive(),
            content: DailySummaryContent {
                headline: "A quiet day".into(),
                overview: "Nothing much.".into(),
                day_emoji: "🌙".into(),
                stats: DayStats::default(),
                highlights: vec![],
                action_items: vec![],
                unresolved_questions: vec![],
                decisions_made: vec![],
                knowledge_nuggets: vec![],
                locations: vec![],
            },
            trigger: Trigger::Scheduled,
            generated_at: at,
        }),
        "DailySummarySettings" => StoredEvent::DailySummarySettings(
            DailySummarySettingsEvent::DailySummarySettingsChanged {
                uid,
                enabled: false,
                hour: 7,
                changed_at: at,
            },
        ),
        "Wrapped" => StoredEvent::Wrapped(omi_domain::wrapped::WrappedEvent::WrappedRequested {
            uid,
            year: 2025,
            run: 1,
            as_of: at,
        }),
        "Folders" => StoredEvent::Folders(omi_domain::folder::FoldersEvent::FolderCreated {
            uid: uid.clone(),
            folder: omi_domain::folder::Folder {
                id: "f1".into(),
                name: "Ideas".into(),
                description: None,
                color: "#6B7280".into(),
                icon: "📁".into(),
                order: 0,
                is_default: false,
                is_system: false,
                category_mapping: None,
                created_at: at,
                updated_at: at,
            },
        }),
        "Goals" => StoredEvent::Goals(omi_domain::goal::GoalsEvent::GoalCreated {
            uid,
            goal_id: "goal_000000000001".into(),
            title: "Run".into(),
            goal_type: omi_domain::goal::GoalType::Scale,
            target_value: 10.0,
            current_value: 0.0,
            min_value: 0.0,
            max_value: 10.0,
            unit: None,
            created_at: at,
        }),
        "User" => StoredEvent::User(
            omi_domain::user::UserEvent::MentorNotificationSettingsChanged {
                uid,
                frequency: 1,
                changed_at: at,
            },
        ),
        "Person" => StoredEvent::Person(omi_domain::person::PersonEvent::PersonCreated {
            uid,
            name: "Ada".into(),
            created_at: at,
        }),
        "Device" => StoredEvent::Device(omi_domain::device::DeviceEvent::DeviceTokenRegistered {
            uid,
            device_key: "ios_1".into(),
            token: "t1".into(),
            time_zone: None,
            registered_at: at,
        }),
        "Integration" => StoredEvent::Integration(
            omi_domain::integration::IntegrationEvent::IntegrationConnected {
                uid,
                key: "google_calendar".into(),
                access_token: None,
                refresh_token: None,
                state: None,
                connected_at: at,
            },
        ),
        "Notification" => StoredEvent::Notification(
            omi_domain::notification::NotificationEvent::NotificationCreated {
                uid,
                title: "Hello".into(),
                body: String::new(),
                data: Default::default(),
                source: omi_domain::notification::NotificationSource::Admin,
                app_id: None,
                created_at: at,
            },
        ),
        "DeveloperWebhooks" => StoredEvent::DeveloperWebhooks(
            omi_domain::developer_webhook::DeveloperWebhooksEvent::DeveloperWebhookUrlSet {
                uid,
                wtype: omi_domain::developer_webhook::WebhookType::MemoryCreated,
                url: "https://hooks.example.com/omi".into(),
                set_at: at,
            },
        ),
        "WebhookDelivery" => StoredEvent::WebhookDelivery(
            omi_domain::webhook_delivery::WebhookDeliveryEvent::DeliveryScheduled {
                delivery: omi_domain::webhook_delivery::Delivery {
                    uid,
                    endpoint: omi_domain::webhook_delivery::Endpoint {
                        kind: omi_domain::webhook_delivery::EndpointKind::Developer,
                        id: "memory_created".into(),
                    },
                    url: "https://hooks.example.com/omi?uid=u".into(),
                    secret: "whsec_c2VjcmV0".into(),
                    payload_kind: "memory_created".into(),
                    content_type: "application/json".into(),
                    body: "{}".into(),
                    causing_event: "c#1".into(),
                },
                scheduled_at: at,
            },
        ),
        "App" => StoredEvent::App(omi_domain::app::AppEvent::AppCreated {
            uid,
            definition: serde_json::from_value(serde_json::json!({
                "name": "Notes", "description": "d", "category": "other", "author": "Ada",
                "capabilities": ["memories"], "memory_prompt": "Summarize"
            }))
            .unwrap(),
            created_at: at,
        }),
        "AppInstallation" => {
            StoredEvent::AppInstallation(omi_domain::app::AppInstallationEvent::AppEnabled {
                app_id: "App-1".into(),
                uid,
                counts_install: true,
                enabled_at: at,
            })
        }
        "AppReview" => {
            StoredEvent::AppReview(omi_domain::app::AppReviewEvent::AppReviewSubmitted {
                app_id: "App-1".into(),
                uid,
                score: 4.0,
                review: "good".into(),
                username: None,
                rated_at: at,
            })
        }
        "ChatThread" => StoredEvent::Chat(omi_domain::chat::ChatEvent::HumanMessageSent {
            uid,
            app_id: None,
            message_id: "m1".into(),
            text: "Hello".into(),
            session: 0,
            number: 0,
            created_at: at,
        }),
        other => panic!("no first event of {other} here: add one for the read model that reads it"),
    }
}

/// The events after the first that some read model of `aggregate_type` needs for a row of its own.
fn later_events(aggregate_type: &str) -> Vec<StoredEvent> {
    match aggregate_type {
        "Conversation" => vec![
            // Completed: searchable.
            StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
                run: 1,
                structured: omi_domain::conversation::Structured {
                    title: "Budget review".into(),
                    ..Default::default()
                },
                discarded: false,
                memories: vec![],
                published: true,
                completed_at: DateTime::<Utc>::UNIX_EPOCH,
            }),
            StoredEvent::Conversation(ConversationEvent::TrendsExtracted {
                run: 1,
                mentions: vec![TrendMention {
                    category: TrendCategory::AiProduct,
                    topic: "ChatGPT".into(),
                    kind: TrendType::Best,
                }],
                extracted_at: DateTime::<Utc>::UNIX_EPOCH,
            }),
            StoredEvent::Conversation(ConversationEvent::ConversationEmbedded {
                run: 1,
                model: "m".into(),
                vector: omi_domain::conversation::Embedding::new(vec![1.0, 0.5]).unwrap(),
                embedded_at: DateTime::<Utc>::UNIX_EPOCH,
            }),
            StoredEvent::Conversation(ConversationEvent::AudioChunkRecorded {
                chunk_id: "chunk-1".into(),
                sample_rate: 16000,
                duration_ms: 5000,
                recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            }),
        ],
        // Semantic search's vector.
        "Memory" => vec![StoredEvent::Memory(MemoryEvent::MemoryEmbedded {
            model: "m".into(),
            vector: omi_domain::conversation::Embedding::new(vec![0.5, 1.0]).unwrap(),
            embedded_at: DateTime::<Utc>::UNIX_EPOCH,
        })],
        "Goals" => vec![StoredEvent::Goals(
            omi_domain::goal::GoalsEvent::GoalProgressRecorded {
                goal_id: "goal_000000000001".into(),
                value: 3.0,
                recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            },
        )],
        _ => vec![],
    }
}

/// A stream of `aggregate_type` that gives each of its read models a row, from position `global` on.
fn recorded(global: i64, aggregate_type: &str) -> Vec<RecordedEvent> {
    std::iter::once(first_event(aggregate_type))
        .chain(later_events(aggregate_type))
        .zip(0..)
        .map(|(event, offset)| RecordedEvent {
            position: LogPosition {
                transaction: 0,
                global: global * 10 + offset,
            },
            aggregate_id: format!("{aggregate_type}-1"),
            sequence: offset + 1,
            recorded_at: DateTime::<Utc>::UNIX_EPOCH,
            metadata: Default::default(),
            event,
        })
        .collect()
}

#[test]
fn every_read_model_has_a_name_of_its_own() {
    let mut names = HashSet::new();
    for projection in registry() {
        let name = projection.name();
        assert!(!name.is_empty(), "a read model without a name");
        // Reactions keep their checkpoints in the same table, as `reaction:<name>`.
        assert!(
            !name.contains(':'),
            "{name} looks like a reaction's checkpoint"
        );
        assert!(names.insert(name), "{name} is registered twice");
    }
}

#[test]
fn every_read_model_reads_the_log_and_owns_tables_no_other_one_owns() {
    let mut owners = std::collections::HashMap::new();
    for projection in registry() {
        let name = projection.name();
        assert!(
            !projection.aggregate_types().is_empty(),
            "{name} reads nothing"
        );
        assert!(!projection.tables().is_empty(), "{name} owns no table");
        for table in projection.tables() {
            if let Some(other) = owners.insert(*table, name) {
                panic!("{table} is owned by both {other} and {name}");
            }
        }
    }
}

#[test]
fn every_in_memory_rebuild_fills_exactly_its_own_tables() {
    for projection in registry() {
        let events: Vec<RecordedEvent> = projection
            .aggregate_types()
            .iter()
            .zip(1..)
            .flat_map(|(aggregate_type, global)| recorded(global, aggregate_type))
            .collect();
        let mut rebuild = projection.in_memory().0;
        rebuild.fold(&events).unwrap();
        let mut sink = CopySink::default();
        while rebuild.flush(&mut sink, 100).unwrap() {}
        let written: BTreeSet<String> = sink.take_all().into_iter().map(|c| c.table).collect();
        let own: BTreeSet<String> = projection.tables().iter().map(|t| t.to_string()).collect();
        assert_eq!(
            written,
            own,
            "{}: the tables its in-memory rebuild writes",
            projection.name()
        );
    }
}

#[test]
fn every_registered_name_is_found_and_another_is_refused_with_the_known_ones() {
    let names: Vec<&str> = registry().iter().map(|p| p.name()).collect();
    for name in &names {
        assert_eq!(registered(name).unwrap().name(), *name);
    }
    match registered("gossip") {
        Err(ProjectionError::Unknown(name, known)) => {
            assert_eq!(name, "gossip");
            assert_eq!(known, names.join(", "));
        }
        Err(other) => panic!("another error: {other}"),
        Ok(found) => panic!("gossip found as {}", found.name()),
    }
}

/// A read model whose migration creates its tables but which is missing from the registry would never be
/// projected, replayed or reported: every table the migrations leave must be a registered one or the store's.
#[tokio::test]
async fn every_read_model_table_of_the_schema_is_registered() {
    let dir = std::env::temp_dir().join(format!(
        "omi-registry-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    let database = Database::open(None, &dir, 1).await.unwrap();
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )
    .fetch_all(database.pool())
    .await
    .unwrap();
    // A full-text index (an FTS5 virtual table) and its shadow tables belong to the table they index.
    let indexes: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'",
    )
    .fetch_all(database.pool())
    .await
    .unwrap();
    database.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    let in_schema: BTreeSet<&str> = tables
        .iter()
        .map(|(name,)| name.as_str())
        .filter(|name| !STORE_TABLES.contains(name))
        .filter(|name| {
            !indexes
                .iter()
                .any(|(index,)| name == index || name.starts_with(&format!("{index}_")))
        })
        .collect();
    let registered: BTreeSet<&str> = registry()
        .iter()
        .flat_map(|p| p.tables().iter().copied())
        .collect();
    assert_eq!(
        in_schema, registered,
        "the read-model tables of the schema (left) and of the registry (right): register the read model, or \
         list a table of the store's own in STORE_TABLES"
    );
}

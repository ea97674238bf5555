//! One consistency rule across reactions: once a conversation reads `completed`, its action items and memories
//! are already in `/v1/action-items` and `/v1/memories` (and so before a listen session sends `memory_created`,
//! which waits for the same read model).

use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::Connection;

const TEXTS: &[&str] = &[
    "I'll send the quarterly report to Ann tomorrow at 9am. I prefer tea over coffee.",
    "I need to book the flights to Lisbon by Friday. I love hiking in the mountains.",
    "I will call the dentist on Monday. My sister lives in Porto.",
    "I'll review the budget with Tom next week. I usually run in the mornings.",
];

both_stores!(
    a_completed_conversation_always_has_its_items_in_the_lists,
    |server| async move {
        let token = server.token("alice").await;
        let mut pending = Vec::new();
        for round in 0..3 {
            for text in TEXTS {
                let created = server
                    .post(
                        "/v1/conversations/from-text",
                        &token,
                        json!({"text": format!("{text} Round {round}.")}),
                    )
                    .await;
                created.assert_status(200);
                pending.push(created["id"].as_str().unwrap().to_string());
            }
        }
        let started = Instant::now();
        while !pending.is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not processed: {pending:?}"
            );
            let mut still = Vec::new();
            for id in pending {
                let read = server.get(&format!("/v1/conversations/{id}"), &token).await;
                if read["status"] != "completed" {
                    still.push(id);
                    continue;
                }
                // Seen completed: the lists must hold the result already, at this very moment.
                let expected: Vec<String> = read["structured"]["action_items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|item| item["description"].as_str().unwrap().to_string())
                    .collect();
                assert!(
                    !expected.is_empty(),
                    "the text holds a commitment: {}",
                    read.text
                );
                let items = server.get("/v1/action-items?limit=500", &token).await;
                let listed: Vec<String> = items["action_items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|item| item["conversation_id"] == id.as_str())
                    .map(|item| item["description"].as_str().unwrap().to_string())
                    .collect();
                assert_eq!(
                    listed.len(),
                    expected.len(),
                    "conversation {id} reads completed without its action items"
                );
                let memories = server.get("/v1/memories?limit=500", &token).await;
                assert!(
                    memories
                        .json
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|m| m["conversation_id"] == id.as_str()),
                    "conversation {id} reads completed without its memories"
                );
            }
            pending = still;
        }
    }
);

// The same rule, read from the log: every item a processing run creates is appended before the event that
// records the conversation as processed (so no reader of the log, however it batches, can see the conversation
// completed first).
both_stores!(with_store the_log_holds_a_results_items_before_the_conversation_completes, |store| async move {
    let server = TestServer::start(store).await;
    let token = server.token("bob").await;
    let mut ids = Vec::new();
    for text in TEXTS {
        let created = server
            .post("/v1/conversations/from-text", &token, json!({"text": text}))
            .await;
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    let started = Instant::now();
    for id in &ids {
        while server.get(&format!("/v1/conversations/{id}"), &token).await["status"] != "completed" {
            assert!(started.elapsed() < Duration::from_secs(60));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // (aggregate type, aggregate id, event type, payload) in commit order.
    let events: Vec<(String, String, String, String)> = match server.data().database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(
                "SELECT aggregate_type, aggregate_id, event_type, CAST(payload AS TEXT) FROM events
                 ORDER BY transaction_id, global_position",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
        }
        None => {
            let mut conn = sqlite_connection(&server.data(), true).await;
            sqlx::query_as(
                "SELECT aggregate_type, aggregate_id, event_type, payload FROM events ORDER BY global_position",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap()
        }
    };
    for id in &ids {
        let processed_at = events
            .iter()
            .position(|(kind, aggregate, event, _)| kind == "Conversation" && aggregate == id && event == "ConversationProcessed")
            .unwrap_or_else(|| panic!("{id} was processed"));
        let items: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, (kind, _, event, payload))| {
                (kind == "ActionItem" && event == "ActionItemCreated" || kind == "Memory" && event == "MemoryCreated")
                    && payload.contains(id.as_str())
            })
            .map(|(at, _)| at)
            .collect();
        assert!(items.len() >= 2, "{id} created an action item and a memory");
        assert!(
            items.iter().all(|at| *at < processed_at),
            "{id}: items at {items:?}, processed at {processed_at}"
        );
    }
});

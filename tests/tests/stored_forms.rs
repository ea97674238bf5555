//! A log written by an earlier server keeps working without a rewrite: events written raw in the stored forms
//! the domain's fixtures pin (`domain/tests/fixtures/events`) are read by the read models, by the write side
//! and by replay, on both stores; an event whose stored name and version its contract does not know is parked.

use omi_tests::*;

/// The uid the fixtures' events belong to.
const UID: &str = "user-7f3a9c";
const MEMORY: &str = "4d3c2b1a-0f9e-4d8c-b7a6-958473625140";
const ACTION_ITEM: &str = "8e7f6a5b-4c3d-4b2a-9180-7f6e5d4c3b2a";

/// A fixture file: one event as the log stores it.
fn fixture(text: &str) -> Value {
    serde_json::from_str(text).expect("a fixture")
}

/// Appends the fixture's event as the `sequence`th of the stream `aggregate_id`, exactly as stored.
async fn append_fixture(data: &TestData, fixture: &Value, aggregate_id: &str, sequence: i64) {
    let text = |key: &str| fixture[key].as_str().expect(key).to_string();
    let payload = fixture["payload"].to_string();
    let event = RawEvent {
        aggregate_type: &text("aggregate_type"),
        aggregate_id,
        sequence,
        event_type: &text("event_type"),
        event_version: &text("event_version"),
        payload: &payload,
        metadata: &system_metadata(UID),
    };
    append_raw_event(data, event).await;
}

/// Polls `path` until `found` picks something out of its answer: events appended raw reach each read model
/// on its own projector's time, so every read of them waits (at most 15 s).
async fn wait_for(
    server: &TestServer,
    token: &str,
    path: &str,
    found: impl Fn(&Value) -> Option<Value>,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let answer = server.get(path, token).await;
        answer.assert_status(200);
        if let Some(value) = found(&answer.json) {
            return value;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "{path} never showed what was waited for: {}",
            answer.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn wait_for_memory(server: &TestServer, token: &str, content: &str) -> Value {
    wait_for(server, token, "/v1/memories", |listed| {
        listed
            .as_array()?
            .iter()
            .find(|m| m["content"] == content)
            .cloned()
    })
    .await
}

both_stores!(with_store events_in_todays_stored_forms_are_read_and_decided_on, |store| async move {
    let mut server = TestServer::start(store).await;
    let data = server.data();
    let created = fixture(include_str!("../../domain/tests/fixtures/events/Memory/MemoryCreated.v1.0.json"));
    let edited = fixture(include_str!("../../domain/tests/fixtures/events/Memory/MemoryEdited.v1.0.json"));
    let item = fixture(include_str!(
        "../../domain/tests/fixtures/events/ActionItem/ActionItemCreated.v1.0.json"
    ));
    append_fixture(&data, &created, MEMORY, 1).await;
    append_fixture(&data, &edited, MEMORY, 2).await;
    append_fixture(&data, &item, ACTION_ITEM, 1).await;
    // A version no upcaster reads: parked, never applied as if it were 1.0.
    let mut unknown = created.clone();
    unknown["event_version"] = json!("7.0");
    append_fixture(&data, &unknown, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 1).await;

    let token = server.token(UID).await;
    let memory = wait_for_memory(&server, &token, "Prefers oat milk in coffee, no sugar").await;
    assert_eq!((memory["id"].clone(), memory["category"].clone()), (json!(MEMORY), json!("system")));
    let item = wait_for(&server, &token, "/v1/action-items", |items| {
        items["action_items"].as_array()?.first().cloned()
    })
    .await;
    assert_eq!(item["id"], ACTION_ITEM, "{item}");
    assert_eq!(item["description"], "Send the quarterly report to Ann");
    let memories = server.get("/v1/memories", &token).await;
    assert_eq!(memories.json.as_array().map(Vec::len), Some(1), "{}", memories.text);
    // Parked by the read model of memories, by the search index and by the memories' vectors, which read the
    // memories' events too.
    let parked = wait_for(&server, "", "/health", |health| {
        Some(health["parked_events"].clone()).filter(|parked| parked.as_u64() >= Some(3))
    })
    .await;
    assert_eq!(parked, 3);

    // The write side folds the stream as stored and decides on it.
    server
        .put(&format!("/v1/memories/{MEMORY}"), &token, json!({"content": "Prefers black coffee"}))
        .await
        .assert_status(200);
    let history = server.get(&format!("/v1/memories/{MEMORY}/history"), &token).await;
    history.assert_status(200);
    let events: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["event"].as_str())
        .collect();
    assert_eq!(events, ["MemoryCreated", "MemoryEdited", "MemoryEdited"]);

    // Replay reads the same log to the same rows.
    let models = read_models(&server).await;
    server.stop().await;
    let live = read_model_rows(&data, &models).await;
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await, "replay equals the live read models");
});

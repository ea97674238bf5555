//! No event can stop the log: an event a read model cannot apply is parked, everything else goes on (other
//! streams, other read models, start-up, replay), operators see it and retry or skip it.

use std::time::{Duration, Instant};

use omi_tests::*;
use sqlx::{Connection, Executor};

/// Appends one event straight into the log, as another version of the server or an import would, under the
/// stored name its payload holds (so that it is the payload's fields, not its name, that fail to decode).
async fn append(
    data: &TestData,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
    payload: &str,
    metadata: &str,
) {
    let event = RawEvent {
        aggregate_type,
        aggregate_id,
        sequence,
        event_type: &stored_name(payload),
        event_version: "1.0",
        payload,
        metadata,
    };
    append_raw_event(data, event).await;
}

fn metadata(uid: &str) -> String {
    system_metadata(uid)
}

/// Replaces one stored event's payload (the repair an operator makes before retrying).
async fn repair(data: &TestData, id: &str, sequence: i64, payload: &str) {
    let sql_pg =
        "UPDATE events SET payload = CAST($1 AS JSON) WHERE aggregate_id = $2 AND sequence = $3";
    let sql_lite = "UPDATE events SET payload = $1 WHERE aggregate_id = $2 AND sequence = $3";
    match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            conn.execute(sqlx::query(sql_pg).bind(payload).bind(id).bind(sequence))
                .await
                .unwrap();
        }
        None => {
            let mut conn = sqlite_connection(data, false).await;
            conn.execute(sqlx::query(sql_lite).bind(payload).bind(id).bind(sequence))
                .await
                .unwrap();
        }
    }
}

async fn contents(server: &TestServer, token: &str) -> Vec<String> {
    let listed = server.get("/v1/memories?limit=500", token).await;
    listed.assert_status(200);
    listed
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

async fn eventually_contains(server: &TestServer, token: &str, content: &str) {
    let started = Instant::now();
    while !contents(server, token).await.iter().any(|c| c == content) {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{content:?} never became readable"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The global position of each parked line of `omi-server parked list` (its second column is `tx/global`).
fn parked_positions(listed: &str) -> Vec<i64> {
    listed
        .lines()
        .filter_map(|line| line.split('\t').nth(1))
        .filter_map(|position| position.split('/').nth(1)?.parse().ok())
        .collect()
}

both_stores!(with_store an_event_that_cannot_be_applied_is_parked_and_everything_else_goes_on, |store| async move {
    let mut server = TestServer::start(store).await;
    let token = server.token("alice").await;
    server
        .post("/v1/memories", &token, json!({"content": "before"}))
        .await
        .assert_status(200);
    let data = server.data();
    // A memory whose creation does not decode, an edit of it behind, and a healthy memory after both.
    append(&data, "Memory", "poisoned", 1, r#"{"MemoryCreated": {"nonsense": true}}"#, &metadata("alice")).await;
    append(&data, "Memory", "poisoned", 2, &memory_edited_payload("repaired and edited"), &metadata("alice")).await;
    append(&data, "Memory", "healthy", 1, &memory_created_payload("alice", "after the poison"), &metadata("alice")).await;

    eventually_contains(&server, &token, "after the poison").await;
    let written = server
        .post("/v1/memories", &token, json!({"content": "written later"}))
        .await;
    written.assert_status(200);
    assert!(contents(&server, &token).await.contains(&"written later".to_string()));
    assert_eq!(contents(&server, &token).await.len(), 3, "the poisoned memory is not shown");
    // Other read models and users go on too.
    let bob = server.token("bob").await;
    server
        .post("/v1/action-items", &bob, json!({"description": "unaffected"}))
        .await
        .assert_status(200);

    let health = server.get("/health", "").await;
    health.assert_status(200);
    assert_eq!(health["status"], "degraded", "{}", health.text);
    // Both events, in the read model of memories, in the search index, which reads the memories' rows, and in
    // the memories' vectors (the memory statistics count those rows and read no event).
    assert_eq!(health["parked_events"], 6, "{}", health.text);
    let memories = health["read_models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "memories")
        .unwrap()
        .clone();
    assert_eq!((memories["parked"].clone(), memories["lag"].clone()), (json!(2), json!(0)));
    let metrics = server.get("/metrics", "").await;
    metrics.assert_status(200);
    for line in [
        "omi_parked_events{read_model=\"memories\"} 2",
        "omi_parked_events{read_model=\"action_items\"} 0",
        "omi_read_model_lag_events{read_model=\"memories\"} 0",
        "omi_http_requests_total{route=\"/v1/memories\",method=\"POST\",status=\"200\"} 2",
        "# TYPE omi_append_batch_appends histogram",
        "omi_open_websockets 0",
        "# TYPE omi_open_http_connections gauge",
        "# TYPE omi_http_request_duration_seconds histogram",
    ] {
        assert!(metrics.text.contains(line), "/metrics lacks {line:?}:\n{}", metrics.text);
    }

    // Start-up does not die on it.
    server.restart().await;
    assert_eq!(contents(&server, &server.token("alice").await).await.len(), 3);
    server.stop().await;

    let listed = server.cli(&["parked", "list"]).await;
    listed.assert_success();
    assert_eq!(parked_positions(&listed.stdout).len(), 6, "{}", listed.stdout);
    assert!(listed.stdout.contains("does not decode"), "{}", listed.stdout);
    assert!(listed.stdout.contains("held behind"), "{}", listed.stdout);

    // Replay never dies on it either, and leaves out what the live projector left out.
    let models = read_models(&server).await;
    let live = read_model_rows(&data, &models).await;
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await, "replay equals the live read models");

    // A retry before the fix fails again and keeps both parked.
    let early = server.cli(&["parked", "retry"]).await;
    assert!(!early.success(), "{}", early.stderr);
    assert_eq!(parked_positions(&server.cli(&["parked", "list"]).await.stdout).len(), 6);

    repair(&data, "poisoned", 1, &memory_created_payload("alice", "repaired")).await;
    let retried = server.cli(&["parked", "retry"]).await;
    retried.assert_success();
    assert!(retried.stderr.contains("applied 6 parked events"), "{}", retried.stderr);
    let after = server.cli(&["parked", "list"]).await;
    assert!(parked_positions(&after.stdout).is_empty(), "{}", after.stdout);

    server.restart().await;
    let token = server.token("alice").await;
    assert!(contents(&server, &token).await.contains(&"repaired and edited".to_string()));
    // The retry reached the search index too.
    let found = server.get("/v3/memories/search?query=repaired", &token).await;
    assert_eq!(found[0]["content"], "repaired and edited", "{}", found.text);
    assert_eq!(server.get("/health", "").await["status"], "ok");
    server.stop().await;
    let live = read_model_rows(&data, &models).await;
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await, "replay after the retry");
});

both_stores!(with_store a_parked_event_is_skipped_with_a_recorded_decision, |store| async move {
    let mut server = TestServer::start(store).await;
    let token = server.token("carol").await;
    let data = server.data();
    append(&data, "Memory", "broken", 1, r#"{"MemoryCreated": 7}"#, &metadata("carol")).await;
    append(&data, "Memory", "fine", 1, &memory_created_payload("carol", "fine"), &metadata("carol")).await;
    eventually_contains(&server, &token, "fine").await;
    server.stop().await;

    let listed = server.cli(&["parked", "list", "--projection", "memories"]).await;
    let positions = parked_positions(&listed.stdout);
    assert_eq!(positions.len(), 1, "{}", listed.stdout);
    let position = positions[0].to_string();
    let unknown = server
        .cli(&["parked", "skip", "--projection", "memories", "--position", "999999", "--reason", "x"])
        .await;
    assert!(!unknown.success(), "skipping an event that is not parked is an error");
    for projection in ["memories", "search", "memory_vectors"] {
        server
            .cli(&["parked", "skip", "--projection", projection, "--position", &position, "--reason", "corrupt import"])
            .await
            .assert_success();
    }
    let listed = server.cli(&["parked", "list"]).await;
    assert!(listed.stdout.contains("skipped"), "{}", listed.stdout);
    assert!(listed.stdout.contains("corrupt import"), "{}", listed.stdout);

    let models = read_models(&server).await;
    let live = read_model_rows(&data, &models).await;
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await);
    server.restart().await;
    assert_eq!(server.get("/health", "").await["status"], "ok");
    assert_eq!(contents(&server, &server.token("carol").await).await, vec!["fine".to_string()]);
});

// A string PostgreSQL cannot store (NUL), in an event written before the doors refused it: PostgreSQL parks
// it; SQLite stores it. Either way the server, its start-up and replay go on.
both_stores!(with_store an_event_the_store_cannot_hold_does_not_stop_the_log, |store| async move {
    let mut server = TestServer::start(store).await;
    let token = server.token("dan").await;
    let created = server
        .post("/v1/action-items", &token, json!({"description": "template"}))
        .await;
    created.assert_status(200);
    let data = server.data();
    let id = created["id"].as_str().unwrap();
    let stored: String = match data.database_url() {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM events WHERE aggregate_id = $1 AND sequence = 1")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
        None => {
            let mut conn = sqlite_connection(&data, true).await;
            sqlx::query_scalar("SELECT payload FROM events WHERE aggregate_id = $1 AND sequence = 1")
                .bind(id)
                .fetch_one(&mut conn)
                .await
                .unwrap()
        }
    };
    let mut payload: Value = serde_json::from_str(&stored).unwrap();
    let created_event = payload.as_object_mut().unwrap().values_mut().next().unwrap();
    created_event["conversation_id"] = json!("\u{0}");
    created_event["description"] = json!("poisoned");
    append(&data, "ActionItem", "nul-item", 1, &payload.to_string(), &metadata("dan")).await;
    server
        .post("/v1/action-items", &token, json!({"description": "after"}))
        .await
        .assert_status(200);
    let health = server.get("/health", "").await;
    let expected = if store == Store::Postgres { 1 } else { 0 };
    assert_eq!(health["parked_events"], expected, "{}", health.text);

    server.restart().await;
    let listed = server.get("/v1/action-items", &server.token("dan").await).await;
    listed.assert_status(200);
    server.stop().await;
    let models = read_models(&server).await;
    let live = read_model_rows(&data, &models).await;
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(live, read_model_rows(&data, &models).await);
});

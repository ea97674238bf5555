//! The processing pipeline against a language model served locally over the OpenAI chat-completions protocol:
//! a failing model marks the conversation `failed` (never stuck in `processing`), reprocessing recovers it, and
//! the result reaches the action-item and memory lists.

use std::time::{Duration, Instant};

use omi_tests::*;

/// The model's analysis once it is healthy.
const ANSWER: &str = r#"{"discarded": false, "title": "Budget Review With Sam", "overview": "Sam and the user reviewed the launch budget.",
  "emoji": "💰", "category": "business",
  "action_items": [{"description": "Send the revised budget to Sam", "due_at": "2030-01-02T09:00:00Z"}],
  "events": [{"title": "Launch Review", "description": "Review the launch", "start": "2030-01-03T15:00:00Z", "duration": 45}],
  "memories": [{"content": "User manages the launch budget", "category": "system"}]}"#;

async fn wait_for_status(server: &TestServer, token: &str, id: &str, wanted: &str) -> Response {
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        if conversation["status"] == wanted {
            return conversation;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "status stayed {}; wanted {wanted}",
            conversation["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store a_failing_model_fails_the_conversation_and_reprocessing_recovers_it, |store| async move {
    let model = FakeModel::start(ANSWER).await;
    // Failing until the conversation is reprocessed.
    model.set_healthy(false);
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("sam").await;
    let created = server
        .post(
            "/v1/conversations/from-segments",
            &token,
            json!({"transcript_segments": [
                {"text": "Let's go over the launch budget.", "speaker": "SPEAKER_01", "start": 0.0, "end": 2.0},
                {"text": "I'll send you the revised budget tomorrow morning.", "speaker": "SPEAKER_00", "is_user": true, "start": 2.5, "end": 5.0}
            ]}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();

    let failed = wait_for_status(&server, &token, &id, "failed").await;
    assert_eq!(failed["structured"]["title"], "");
    assert!(model.calls() >= 1);
    let request = &model.requests()[0];
    assert_eq!(request.authorization, "Bearer sk-test-key");
    assert_eq!(request.body["model"], "test-model");
    let prompt = request.body["messages"].to_string();
    assert!(prompt.contains("revised budget"), "the transcript is in the prompt: {prompt}");

    model.set_healthy(true);
    let reprocessed = server.post(&format!("/v1/conversations/{id}/reprocess"), &token, json!(null)).await;
    reprocessed.assert_status(200);
    let completed = wait_for_status(&server, &token, &id, "completed").await;
    assert_eq!(completed["structured"]["title"], "Budget Review with Sam", "titles are normalized to Title Case");
    assert_eq!(completed["structured"]["category"], "business");
    assert_eq!(completed["structured"]["events"][0]["duration"], 45);
    assert_eq!(completed["structured"]["action_items"][0]["description"], "Send the revised budget to Sam");

    let started = Instant::now();
    loop {
        let items = server.get(&format!("/v1/conversations/{id}/action-items"), &token).await;
        let memories = server.get("/v1/memories", &token).await;
        let synced = items["action_items"].as_array().is_some_and(|a| a.len() == 1)
            && memories.json.as_array().is_some_and(|m| m.iter().any(|m| m["content"] == "User manages the launch budget" && m["conversation_id"] == id.as_str()));
        if synced {
            assert_eq!(items["action_items"][0]["due_at"], "2030-01-02T09:00:00+00:00");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "not synced: {} / {}", items.text, memories.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Reprocessing again replaces, never duplicates.
    server.post(&format!("/v1/conversations/{id}/reprocess"), &token, json!(null)).await.assert_status(200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let items = server.get(&format!("/v1/conversations/{id}/action-items"), &token).await;
    assert_eq!(items["action_items"].as_array().unwrap().len(), 1, "{}", items.text);
    let memories = server.get("/v1/memories", &token).await;
    let linked = memories.json.as_array().unwrap().iter().filter(|m| m["conversation_id"] == id.as_str()).count();
    assert_eq!(linked, 1);
});

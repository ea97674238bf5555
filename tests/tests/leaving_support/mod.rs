//! What the export, import and erasure suites share: a user who writes a little of everything (with a marker in
//! each text), every list, item, history and `as_of` answer of that user, and the event export.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use omi_tests::*;

/// The ids of what [`write_everything`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Written {
    pub memories: Vec<String>,
    pub action_items: Vec<String>,
    pub conversations: Vec<String>,
    pub developer_key: String,
    pub mcp_key: String,
}

/// Writes memories (one edited, one deleted), action items (one completed), a conversation from text and one from
/// transcript segments (processed into a title, memories and action items), the profile, a person, a developer
/// key and an MCP key, each holding `marker`; waits until processing is done.
pub async fn write_everything(server: &TestServer, token: &str, marker: &str) -> Written {
    let mut written = Written::default();
    for content in [
        format!("{marker} likes green tea"),
        format!("{marker} runs in the morning"),
        format!("{marker} was here"),
    ] {
        let created = server
            .post("/v1/memories", token, json!({"content": content}))
            .await;
        created.assert_status(200);
        written
            .memories
            .push(created["id"].as_str().unwrap().to_string());
    }
    server
        .put(
            &format!("/v1/memories/{}", written.memories[0]),
            token,
            json!({"content": format!("{marker} likes black tea")}),
        )
        .await
        .assert_status(200);
    server
        .delete(&format!("/v1/memories/{}", written.memories[2]), token)
        .await
        .assert_success();
    written.memories.pop();

    for description in [
        format!("{marker} call the dentist"),
        format!("{marker} send the report"),
    ] {
        let created = server
            .post(
                "/v1/action-items",
                token,
                json!({"description": description, "due_at": "2026-12-01T09:00:00Z"}),
            )
            .await;
        created.assert_status(200);
        written
            .action_items
            .push(created["id"].as_str().unwrap().to_string());
    }
    server
        .patch(
            &format!("/v1/action-items/{}", written.action_items[0]),
            token,
            json!({"completed": true}),
        )
        .await
        .assert_status(200);

    let from_text = server
        .post(
            "/v1/conversations/from-text",
            token,
            json!({"text": format!("Met {marker} to review the quarterly budget."), "started_at": "2026-03-01T10:00:00Z"}),
        )
        .await;
    from_text.assert_status(200);
    written
        .conversations
        .push(from_text["id"].as_str().unwrap().to_string());
    let spoken = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": [
                {"text": format!("I'll send {marker} the slides tomorrow at 9am."), "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 4.0},
                {"text": format!("I love hiking with {marker} on weekends."), "speaker": "SPEAKER_00", "is_user": true, "start": 4.0, "end": 8.0},
            ]}),
        )
        .await;
    spoken.assert_status(200);
    let spoken_id = spoken["id"].as_str().unwrap().to_string();
    written.conversations.push(spoken_id.clone());
    wait_until_processed(server, token, &spoken_id).await;

    server
        .patch(
            "/v1/users/profile",
            token,
            json!({"name": format!("{marker} Doe"), "job": format!("{marker} engineer")}),
        )
        .await
        .assert_status(200);
    let person = server
        .post(
            "/v1/users/people",
            token,
            json!({"name": format!("{marker} Friend")}),
        )
        .await;
    person.assert_status(200);

    let developer = server
        .post(
            "/v1/dev/keys",
            token,
            json!({"name": format!("{marker} script"), "scopes": ["memories:read"]}),
        )
        .await;
    developer.assert_status(200);
    written.developer_key = developer["key"].as_str().unwrap().to_string();
    let mcp = server
        .post(
            "/v1/mcp/keys",
            token,
            json!({"name": format!("{marker} assistant")}),
        )
        .await;
    mcp.assert_status(200);
    written.mcp_key = mcp["key"].as_str().unwrap().to_string();
    written
}

/// Waits until the conversation's processing is over (completed or failed).
pub async fn wait_until_processed(server: &TestServer, token: &str, id: &str) {
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        conversation.assert_status(200);
        if conversation["status"] == "completed" || conversation["status"] == "failed" {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "conversation {id} was not processed: {}",
            conversation.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every answer about the user's data by path: the lists, each entity now, as it stood at each of its
/// versions, and its history, and the change feed without positions (which are the log's own).
pub async fn answers(server: &TestServer, token: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    let get = |path: String| async move {
        let answer = server.get(&path, token).await;
        answer.assert_status(200);
        (path, answer.json.clone())
    };
    found.push(get("/v1/users/profile".into()).await);
    found.push(get("/v1/users/people".into()).await);
    let memories = get("/v1/memories?limit=1000".into()).await;
    let items = get("/v1/action-items?limit=500".into()).await;
    let conversations = get("/v1/conversations?limit=1000&include_discarded=true".into()).await;
    let mut singles = Vec::new();
    for (list, path, key) in [
        (&memories.1, "/v1/memories", None),
        (&items.1, "/v1/action-items", Some("action_items")),
        (&conversations.1, "/v1/conversations", None),
    ] {
        let entries = match key {
            Some(key) => list[key].as_array().cloned().unwrap_or_default(),
            None => list.as_array().cloned().unwrap_or_default(),
        };
        for entry in entries {
            singles.push(format!("{path}/{}", entry["id"].as_str().unwrap()));
        }
    }
    found.extend([memories, items, conversations]);
    for single in singles {
        found.push(get(single.clone()).await);
        let history = get(format!("{single}/history")).await;
        for version in history.1["versions"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            if let Some(at) = version["recorded_at"]
                .as_str()
                .or_else(|| version["at"].as_str())
            {
                let at = at.replace('+', "%2B");
                let as_of = server.get(&format!("{single}?as_of={at}"), token).await;
                found.push((format!("{single}?as_of={at}"), as_of.json.clone()));
            }
        }
        found.push(history);
    }
    let mut feed = get("/v1/changes?limit=1000".into()).await;
    for event in feed.1["events"].as_array_mut().unwrap() {
        event.as_object_mut().unwrap().remove("position");
    }
    feed.1.as_object_mut().unwrap().remove("cursor");
    found.push(feed);
    found
}

/// The user's event export (`GET /v1/users/export?format=events`) as its lines, unchecked by the document's
/// JSON schema (it is NDJSON).
pub async fn event_export(
    server: &TestServer,
    token: &str,
) -> (reqwest::header::HeaderMap, String) {
    let response = server
        .client()
        .reqwest()
        .get(server.url("/v1/users/export?format=events"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let headers = response.headers().clone();
    (headers, response.text().await.unwrap())
}

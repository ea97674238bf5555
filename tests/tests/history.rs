//! Per-entity history and time travel through the real server, on both stores: every version of a memory, an
//! action item and a conversation with the actor of each door (the app, a developer key, an MCP key, the
//! processing pipeline), `?as_of=` answering the state between two edits, before creation and after deletion,
//! and another user's ids answered as unknown ones.

use omi_tests::*;

const ALL_SCOPES: [&str; 6] = [
    "memories:read",
    "memories:write",
    "action_items:read",
    "action_items:write",
    "conversations:read",
    "conversations:write",
];

/// A developer key with every scope: `(key, key id)`.
async fn developer_key(server: &TestServer, token: &str) -> (String, String) {
    let created = server
        .post(
            "/v1/dev/keys",
            token,
            json!({"name": "script", "scopes": ALL_SCOPES}),
        )
        .await;
    created.assert_status(200);
    (
        created["key"].as_str().unwrap().to_string(),
        created["id"].as_str().unwrap().to_string(),
    )
}

/// An MCP key: `(key, key id)`.
async fn mcp_key(server: &TestServer, token: &str) -> (String, String) {
    let created = server
        .post("/v1/mcp/keys", token, json!({"name": "assistant"}))
        .await;
    created.assert_status(200);
    (
        created["key"].as_str().unwrap().to_string(),
        created["id"].as_str().unwrap().to_string(),
    )
}

/// `(event, actor)` of every version.
fn versions(history: &Response) -> Vec<(String, String)> {
    history.assert_status(200);
    history["versions"]
        .as_array()
        .unwrap_or_else(|| panic!("no versions: {}", history.text))
        .iter()
        .map(|v| {
            (
                v["event"].as_str().unwrap().to_string(),
                v["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(e, a)| (e.to_string(), a.to_string()))
        .collect()
}

/// `path` with `?as_of=` set to `at` (escaped: `+` would read as a space).
fn as_of(path: &str, at: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}as_of={}", at.replace('+', "%2B"))
}

/// The time of version `index` of `history`.
fn time_of(history: &Response, index: usize) -> String {
    history["versions"][index]["at"]
        .as_str()
        .unwrap_or_else(|| panic!("no version {index}: {}", history.text))
        .to_string()
}

/// The answers about an entity that must not exist for this caller: unknown, another user's.
async fn assert_unknown(server: &TestServer, token: &str, paths: &[String]) {
    for path in paths {
        let response = server.get(path, token).await;
        response.assert_status(404);
        assert!(response["detail"].is_string(), "{}", response.text);
    }
}

/// Time travel's input errors: a malformed instant is a 422 naming the parameter; nothing before creation.
async fn assert_as_of_refusals(server: &TestServer, token: &str, path: &str) {
    for bad in ["yesterday", "2026-13-45T00:00:00Z", "%00"] {
        let response = server.get(&format!("{path}?as_of={bad}"), token).await;
        response.assert_status(422);
        assert!(
            response.text.contains("as_of"),
            "the problem names the parameter: {}",
            response.text
        );
    }
    server
        .get(&as_of(path, "2001-01-01T00:00:00Z"), token)
        .await
        .assert_status(404);
}

both_stores!(
    a_memory_edited_through_every_door_has_each_actor_and_each_past_state,
    |server| async move {
        let token = server.token("ada").await;
        let (dev, dev_id) = developer_key(&server, &token).await;
        let (mcp, mcp_id) = mcp_key(&server, &token).await;
        let created = server
            .post(
                "/v3/memories",
                &token,
                json!({"content": "Likes green tea"}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        server
            .patch(
                &format!("/v1/dev/user/memories/{id}"),
                &dev,
                json!({"content": "Likes black tea"}),
            )
            .await
            .assert_status(200);
        server
            .patch(
                &format!("/v1/mcp/memories/{id}?value=Likes%20oolong%20tea"),
                &mcp,
                json!({}),
            )
            .await
            .assert_status(200);

        let path = format!("/v1/memories/{id}");
        let history = server.get(&format!("{path}/history"), &token).await;
        assert_eq!(
            versions(&history),
            pairs(&[
                ("MemoryCreated", "user"),
                ("MemoryEdited", &format!("developer_key:{dev_id}")),
                ("MemoryEdited", &format!("mcp_key:{mcp_id}")),
            ])
        );
        assert_eq!(
            history["versions"][1]["memory"]["content"],
            "Likes black tea"
        );

        // Between two edits: the older state, in exactly the shape of the plain GET.
        let now = server.get(&path, &token).await;
        now.assert_status(200);
        let then = server
            .get(&as_of(&path, &time_of(&history, 1)), &token)
            .await;
        then.assert_status(200);
        assert_eq!(then["content"], "Likes black tea");
        let mut expected = now.json.clone();
        expected["content"] = json!("Likes black tea");
        expected["updated_at"] = then["updated_at"].clone();
        assert_eq!(then.json, expected);
        let first = server
            .get(&as_of(&path, &time_of(&history, 0)), &token)
            .await;
        assert_eq!(first["content"], "Likes green tea");
        assert_eq!(first["edited"], false);
        // The future reads as now: the fold equals the read model.
        let future = server
            .get(&as_of(&path, "2999-01-01T00:00:00Z"), &token)
            .await;
        assert_eq!(future.json, now.json);
        assert_as_of_refusals(&server, &token, &path).await;

        // Deleted: gone now, still there in the past and in the history, for its owner only.
        server.delete(&path, &token).await.assert_status(200);
        server.get(&path, &token).await.assert_status(404);
        let history = server.get(&format!("{path}/history"), &token).await;
        assert_eq!(history["deleted"], true);
        assert_eq!(versions(&history).last().unwrap().0, "MemoryDeleted");
        let before = server
            .get(&as_of(&path, &time_of(&history, 2)), &token)
            .await;
        assert_eq!(before["content"], "Likes oolong tea");
        server
            .get(&as_of(&path, &time_of(&history, 3)), &token)
            .await
            .assert_status(404);
        let other = server.token("eve").await;
        assert_unknown(
            &server,
            &other,
            &[
                format!("{path}/history"),
                as_of(&path, &time_of(&history, 2)),
            ],
        )
        .await;
        assert_unknown(&server, &token, &["/v1/memories/no-such-id/history".into()]).await;
    }
);

both_stores!(
    an_action_item_has_a_history_and_a_state_at_any_instant,
    |server| async move {
        let token = server.token("ada").await;
        let (dev, dev_id) = developer_key(&server, &token).await;
        let created = server
            .post(
                "/v1/action-items",
                &token,
                json!({"description": "Call the bank"}),
            )
            .await;
        created.assert_status(200);
        let id = created["id"].as_str().unwrap().to_string();
        let path = format!("/v1/action-items/{id}");
        server
            .patch(
                &format!("/v1/dev/user/action-items/{id}"),
                &dev,
                json!({"description": "Call the bank about the loan"}),
            )
            .await
            .assert_status(200);
        server
            .patch(
                &format!("{path}/completed?completed=true"),
                &token,
                json!({}),
            )
            .await
            .assert_status(200);

        let history = server.get(&format!("{path}/history"), &token).await;
        assert_eq!(
            versions(&history),
            pairs(&[
                ("ActionItemCreated", "user"),
                ("ActionItemUpdated", &format!("developer_key:{dev_id}")),
                ("ActionItemCompleted", "user"),
            ])
        );
        assert_eq!(history["action_item_id"], id.as_str());
        assert_eq!(history["deleted"], false);
        assert_eq!(
            history["versions"][1]["changes"]["description"],
            "Call the bank about the loan"
        );
        assert_eq!(history["versions"][2]["action_item"]["completed"], true);

        let now = server.get(&path, &token).await;
        let then = server
            .get(&as_of(&path, &time_of(&history, 1)), &token)
            .await;
        then.assert_status(200);
        assert_eq!(then["description"], "Call the bank about the loan");
        assert_eq!(then["completed"], false);
        assert_eq!(then["id"], now["id"]);
        let future = server
            .get(&as_of(&path, "2999-01-01T00:00:00Z"), &token)
            .await;
        assert_eq!(future.json, now.json);
        assert_as_of_refusals(&server, &token, &path).await;

        server.delete(&path, &token).await.assert_status(204);
        let history = server.get(&format!("{path}/history"), &token).await;
        assert_eq!(history["deleted"], true);
        assert_eq!(history["versions"][3]["action_item"], Value::Null);
        let other = server.token("eve").await;
        assert_unknown(
            &server,
            &other,
            &[
                format!("{path}/history"),
                as_of(&path, &time_of(&history, 1)),
            ],
        )
        .await;
        assert_unknown(&server, &token, &["/v1/action-items/nope/history".into()]).await;
    }
);

/// Imports a short conversation and waits until processing completed it; answers its id.
async fn processed_conversation(server: &TestServer, token: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({
                "started_at": "2026-03-01T10:00:00+00:00",
                "transcript_segments": [
                    {"text": "Good morning, let's plan the product launch.", "speaker": "SPEAKER_00", "start": 0.0, "end": 4.0},
                    {"text": "I will send the budget to Sarah tomorrow at 9am.", "speaker": "SPEAKER_01", "start": 4.5, "end": 9.0},
                ],
            }),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    for _ in 0..300 {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        if conversation["status"] == "completed" {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("conversation {id} was never processed");
}

both_stores!(
    a_conversation_has_a_history_after_processing_and_a_state_at_any_instant,
    |server| async move {
        let token = server.token("ada").await;
        let (dev, dev_id) = developer_key(&server, &token).await;
        let id = processed_conversation(&server, &token).await;
        let path = format!("/v1/conversations/{id}");
        let processed_title = server.get(&path, &token).await["structured"]["title"].clone();
        server
            .patch(
                &format!("{path}/title?title=Launch%20plan"),
                &token,
                json!({}),
            )
            .await
            .assert_status(200);
        server
            .patch(
                &format!("/v1/dev/user/conversations/{id}"),
                &dev,
                json!({"title": "Launch budget"}),
            )
            .await
            .assert_status(200);

        let history = server.get(&format!("{path}/history"), &token).await;
        let all = versions(&history);
        assert_eq!(all[0], ("ConversationImported".into(), "user".into()));
        assert!(
            all.contains(&("ConversationProcessed".into(), "system".into())),
            "the pipeline's result is the system's: {all:?}"
        );
        let edits = &all[all.len() - 2..];
        assert_eq!(
            edits,
            pairs(&[
                ("TitleEdited", "user"),
                ("TitleEdited", &format!("developer_key:{dev_id}")),
            ])
        );
        let last = all.len() - 1;
        assert_eq!(
            history["versions"][last]["conversation"]["structured"]["title"],
            "Launch budget"
        );
        assert!(
            history["versions"][last]["conversation"]
                .get("transcript_segments")
                .is_none(),
            "versions show the list form"
        );

        // Between the two edits, and before the first: the older titles, with the transcript.
        let then = server
            .get(&as_of(&path, &time_of(&history, last - 1)), &token)
            .await;
        then.assert_status(200);
        assert_eq!(then["structured"]["title"], "Launch plan");
        assert_eq!(then["transcript_segments"].as_array().unwrap().len(), 2);
        let processed = server
            .get(&as_of(&path, &time_of(&history, last - 2)), &token)
            .await;
        assert_eq!(processed["structured"]["title"], processed_title);
        assert_eq!(processed["status"], "completed");
        let imported = server
            .get(&as_of(&path, &time_of(&history, 0)), &token)
            .await;
        assert_eq!(imported["status"], "processing");
        let now = server.get(&path, &token).await;
        let future = server
            .get(&as_of(&path, "2999-01-01T00:00:00Z"), &token)
            .await;
        assert_eq!(future.json, now.json);
        assert_as_of_refusals(&server, &token, &path).await;
        // The developer API's single GET travels too.
        let developer = server
            .get(
                &as_of(
                    &format!("/v1/dev/user/conversations/{id}"),
                    &time_of(&history, last - 1),
                ),
                &dev,
            )
            .await;
        developer.assert_status(200);
        assert_eq!(developer["structured"]["title"], "Launch plan");
        server
            .get(&format!("/v1/dev/user/conversations/{id}?as_of=soon"), &dev)
            .await
            .assert_status(422);

        server.delete(&path, &token).await.assert_status(204);
        server.get(&path, &token).await.assert_status(404);
        let history = server.get(&format!("{path}/history"), &token).await;
        assert_eq!(history["deleted"], true);
        assert_eq!(versions(&history).last().unwrap().0, "ConversationDeleted");
        let other = server.token("eve").await;
        assert_unknown(
            &server,
            &other,
            &[
                format!("{path}/history"),
                as_of(&path, &time_of(&history, 1)),
            ],
        )
        .await;
        assert_unknown(&server, &token, &["/v1/conversations/nope/history".into()]).await;
    }
);

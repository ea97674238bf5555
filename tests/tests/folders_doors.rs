//! Folders beyond the app's routes, on both stores: the processing pipeline filing a new conversation into the
//! folder of its category, the developer API's folder list, `folder_id` filter and `folder_name` (with its
//! scope), the MCP tool `get_folders`, and the `folders` read model replaying to the same rows.

use std::time::{Duration, Instant};

use omi_tests::*;

use crate::folder_support;

use folder_support::{create, folder_id, folders, move_to, named, processed};

/// A model answer of `category`, kept or discarded.
fn analysis(category: &str, discarded: bool) -> String {
    json!({"discarded": discarded, "title": if discarded { "" } else { "Filed" },
           "overview": "A conversation.", "emoji": "🗂️", "category": category,
           "action_items": [], "events": [], "memories": [], "trends": []})
    .to_string()
}

/// The conversation `id` once its read model shows a result of category `category` (discarded or kept as
/// `discarded` says); the processing reaction writes it after the request answered.
async fn processed_as(
    server: &TestServer,
    token: &str,
    id: &str,
    category: &str,
    discarded: bool,
) -> Value {
    let started = Instant::now();
    loop {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        if read["status"] == "completed"
            && read["structured"]["category"] == category
            && read["discarded"] == discarded
        {
            return read.json;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "conversation {id} was not processed as {category}: {}",
            read.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn import(server: &TestServer, token: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-text",
            token,
            json!({"text": "We decided to talk it over.", "started_at": "2026-11-20T10:00:00Z"}),
        )
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

both_stores!(with_store processing_files_a_new_conversation_by_its_category, |store| async move {
    let model = FakeModel::start(&analysis("legal", false)).await;
    let server = TestServer::start_with(store, model.start_options()).await;
    let token = server.token("alice").await;
    let legal = processed_as(&server, &token, &import(&server, &token).await, "legal", false).await;
    // The pipeline created the system folders: the list finds them with the conversation counted.
    let list = folders(&server, &token).await;
    assert_eq!(list.len(), 10);
    let work = named(&list, "Work");
    assert_eq!(legal["folder_id"], work["id"], "legal goes to Work");
    assert_eq!(work["conversation_count"], 1);

    for (category, folder) in [("music", "Entertainment"), ("weather", "Other"), ("personal", "Personal")] {
        model.answer("conversation_analysis", &analysis(category, false));
        let filed = processed_as(&server, &token, &import(&server, &token).await, category, false).await;
        assert_eq!(
            filed["folder_id"].as_str(),
            Some(folder_id(&server, &token, folder).await.as_str()),
            "{category} goes to {folder}"
        );
    }

    model.answer("conversation_analysis", &analysis("work", true));
    // A discarded result keeps category `other` whatever the model says.
    let discarded = processed_as(&server, &token, &import(&server, &token).await, "other", true).await;
    assert_eq!(discarded["folder_id"], Value::Null, "a discarded conversation is not filed");

    // A reprocess leaves the folder as it is, even none.
    let id = legal["id"].as_str().unwrap();
    let ideas = create(&server, &token, "Ideas").await;
    move_to(&server, &token, id, json!(ideas)).await.assert_status(200);
    model.answer("conversation_analysis", &analysis("music", false));
    server
        .post(&format!("/v1/conversations/{id}/reprocess"), &token, json!({}))
        .await
        .assert_status(200);
    let reprocessed = processed_as(&server, &token, id, "music", false).await;
    assert_eq!(reprocessed["folder_id"], ideas.as_str());
    move_to(&server, &token, id, Value::Null).await.assert_status(200);
    model.answer("conversation_analysis", &analysis("finance", false));
    server
        .post(&format!("/v1/conversations/{id}/reprocess"), &token, json!({}))
        .await
        .assert_status(200);
    let again = processed_as(&server, &token, id, "finance", false).await;
    assert_eq!(again["folder_id"], Value::Null);
});

both_stores!(
    the_developer_api_reads_folders_with_its_scope,
    |server| async move {
        let token = server.token("alice").await;
        let key = |scopes: Value| {
            let server = &server;
            let token = &token;
            async move {
                let created = server
                    .post(
                        "/v1/dev/keys",
                        token,
                        json!({"name": "script", "scopes": scopes}),
                    )
                    .await;
                created.assert_status(200);
                created["key"].as_str().unwrap().to_string()
            }
        };
        let reader = key(json!(["conversations:read"])).await;
        let empty = server.get("/v1/dev/user/folders", &reader).await;
        empty.assert_status(200);
        assert_eq!(empty.json, json!([]), "read only: nothing is created");

        let kept = processed(
            &server,
            &token,
            "We decided to book the flights to Lisbon on Friday.",
        )
        .await;
        let other = processed(
            &server,
            &token,
            "We decided to renew the gym membership next week.",
        )
        .await;
        let ideas = create(&server, &token, "Ideas").await;
        move_to(&server, &token, kept["id"].as_str().unwrap(), json!(ideas))
            .await
            .assert_status(200);
        let listed = server.get("/v1/dev/user/folders", &reader).await;
        listed.assert_status(200);
        assert_eq!(listed.json, json!(folders(&server, &token).await));
        assert_eq!(
            named(listed.json.as_array().unwrap(), "Ideas")["conversation_count"],
            1
        );

        let in_ideas = server
            .get(
                &format!("/v1/dev/user/conversations?folder_id={ideas}"),
                &reader,
            )
            .await;
        in_ideas.assert_status(200);
        let found = in_ideas.json.as_array().unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["id"], kept["id"]);
        assert_eq!(found[0]["folder_id"], ideas.as_str());
        assert_eq!(found[0]["folder_name"], "Ideas");
        let one = server
            .get(
                &format!(
                    "/v1/dev/user/conversations/{}",
                    other["id"].as_str().unwrap()
                ),
                &reader,
            )
            .await;
        one.assert_status(200);
        let expected_name = folders(&server, &token)
            .await
            .into_iter()
            .find(|f| f["id"] == one["folder_id"])
            .map_or(Value::Null, |f| f["name"].clone());
        assert!(
            expected_name.is_string(),
            "processing filed it: {}",
            one.text
        );
        assert_eq!(one["folder_name"], expected_name);
        let nowhere = server
            .get("/v1/dev/user/conversations?folder_id=nope", &reader)
            .await;
        nowhere.assert_status(200);
        assert_eq!(nowhere.json, json!([]));

        let other_scope = key(json!(["memories:read"])).await;
        server
            .get("/v1/dev/user/folders", &other_scope)
            .await
            .assert_status(403);
        server.get("/v1/folders", &reader).await.assert_status(401);
        let bob = server.token("bob").await;
        let bobs = server
            .post(
                "/v1/dev/keys",
                &bob,
                json!({"name": "b", "scopes": ["conversations:read"]}),
            )
            .await;
        let bobs = bobs["key"].as_str().unwrap().to_string();
        assert_eq!(
            server.get("/v1/dev/user/folders", &bobs).await.json,
            json!([])
        );
    }
);

both_stores!(
    the_mcp_tool_lists_folders_with_counts,
    |server| async move {
        let token = server.token("alice").await;
        let mcp = server
            .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
            .await;
        let mcp_key = mcp["key"].as_str().unwrap().to_string();
        let call = |id: i64, arguments: Value| {
            let server = &server;
            let mcp_key = &mcp_key;
            async move {
                let answer = server
                    .post(
                        "/v1/mcp/sse",
                        mcp_key,
                        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                               "params": {"name": "get_folders", "arguments": arguments}}),
                    )
                    .await;
                answer.assert_status(200);
                answer.json
            }
        };
        assert_eq!(
            call(1, json!({})).await["result"]["structuredContent"]["folders"],
            json!([])
        );
        processed(
            &server,
            &token,
            "We decided to move the team meeting to Thursday.",
        )
        .await;
        create(&server, &token, "Ideas").await;
        let answer = call(2, json!({})).await;
        assert_eq!(
            answer["result"]["structuredContent"]["folders"],
            json!(folders(&server, &token).await)
        );
        let counted: i64 = answer["result"]["structuredContent"]["folders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["conversation_count"].as_i64().unwrap())
            .sum();
        assert_eq!(counted, 1);
        let own = call(3, json!({"include_system": false})).await;
        let own = own["result"]["structuredContent"]["folders"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(own.len(), 1);
        assert_eq!(own[0]["name"], "Ideas");
        let poisoned = call(4, json!({"x": "a\u{0}"})).await;
        assert_eq!(poisoned["error"]["code"], -32602);
        let refused = call(5, json!({"include_system": "maybe"})).await;
        assert_eq!(refused["error"]["code"], -32602);
    }
);

both_stores!(with_store the_folders_read_model_replays_to_the_same_rows, |store| async move {
    let mut server = TestServer::start(store).await;
    for uid in ["alice", "bob"] {
        let token = server.token(uid).await;
        let conversation = processed(&server, &token, "We decided to write the report together.").await;
        let ideas = create(&server, &token, "Ideas").await;
        let later = create(&server, &token, "Later").await;
        server
            .patch(
                &format!("/v1/folders/{ideas}"),
                &token,
                json!({"description": "Night projects", "color": "#123456"}),
            )
            .await
            .assert_status(200);
        let other = folder_id(&server, &token, "Other").await;
        server
            .post("/v1/folders/reorder", &token, json!({"folder_ids": [later, other]}))
            .await
            .assert_status(200);
        move_to(&server, &token, conversation["id"].as_str().unwrap(), json!(later))
            .await
            .assert_status(200);
        server
            .delete(&format!("/v1/folders/{later}?move_to_folder_id={ideas}"), &token)
            .await
            .assert_status(204);
    }
    let models: Vec<(String, Vec<String>)> = read_models(&server)
        .await
        .into_iter()
        .filter(|(name, _)| name == "folders")
        .collect();
    assert_eq!(models.len(), 1, "folders is in the registry");
    server.stop().await;
    let live = read_model_rows(&server.data(), &models).await;
    assert_eq!(live["folders"].len(), 2, "one row per user");
    server.cli(&["replay"]).await.assert_success();
    assert_eq!(read_model_rows(&server.data(), &models).await, live, "after a full replay");
    server
        .cli(&["replay", "--projection", "folders"])
        .await
        .assert_success();
    assert_eq!(read_model_rows(&server.data(), &models).await, live, "after replaying folders alone");
});

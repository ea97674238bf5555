//! Goals through the developer API (spec §7.4, scopes `goals:read` and `goals:write`) and the MCP tool
//! `get_goals` (spec §7.5): the same goals as the app's routes, with each door's 4xx.

use omi_tests::*;

/// A developer key of `token`'s user with `scopes`.
async fn dev_key(server: &TestServer, token: &str, scopes: &[&str]) -> String {
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

fn titles(response: &Response) -> Vec<String> {
    response
        .json
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", response.text))
        .iter()
        .map(|goal| goal["title"].as_str().unwrap().to_string())
        .collect()
}

both_stores!(
    the_developer_api_creates_edits_progresses_and_deletes_goals,
    |server| async move {
        let token = server.token("alice").await;
        let key = dev_key(&server, &token, &["goals:read", "goals:write"]).await;
        let mut ids = Vec::new();
        for n in 0..4 {
            let created = server
                .post(
                    "/v1/dev/user/goals",
                    &key,
                    json!({"title": format!("Goal {n}"), "target_value": 5}),
                )
                .await;
            created.assert_status(200);
            assert_eq!(created["goal_type"], "scale");
            ids.push(created["id"].as_str().unwrap().to_string());
        }
        let active = server.get("/v1/dev/user/goals", &key).await;
        active.assert_status(200);
        assert_eq!(
            titles(&active),
            ["Goal 3", "Goal 2", "Goal 1"],
            "the oldest was deactivated"
        );
        let all = server
            .get("/v1/dev/user/goals?include_inactive=true", &key)
            .await;
        assert_eq!(titles(&all), ["Goal 3", "Goal 2", "Goal 1", "Goal 0"]);
        let two = server
            .get("/v1/dev/user/goals?include_inactive=true&limit=2", &key)
            .await;
        assert_eq!(titles(&two), ["Goal 3", "Goal 2"]);
        server
            .get("/v1/dev/user/goals?limit=0", &key)
            .await
            .assert_status(422);
        server
            .get("/v1/dev/user/goals?limit=101", &key)
            .await
            .assert_status(422);

        let path = format!("/v1/dev/user/goals/{}", ids[3]);
        assert_eq!(server.get(&path, &key).await["title"], "Goal 3");
        assert_eq!(
            server.get("/v1/goals", &token).await["id"],
            ids[3].as_str(),
            "the app sees it"
        );

        let empty = server.patch(&path, &key, json!({})).await;
        empty.assert_status(422);
        let edited = server
            .patch(&path, &key, json!({"target_value": 9, "unit": "days"}))
            .await;
        edited.assert_status(200);
        assert_eq!(edited["target_value"], 9.0);
        assert_eq!(edited["unit"], "days");

        let body_only = server
            .patch(
                &format!("{path}/progress"),
                &key,
                json!({"current_value": 4}),
            )
            .await;
        body_only.assert_status(422);
        let progressed = server
            .patch(
                &format!("{path}/progress?current_value=4"),
                &key,
                json!(null),
            )
            .await;
        progressed.assert_status(200);
        assert_eq!(progressed["current_value"], 4.0);
        let history = server.get(&format!("{path}/history?days=7"), &key).await;
        history.assert_status(200);
        assert_eq!(history.json.as_array().unwrap().len(), 1);
        assert_eq!(history.json[0]["value"], 4.0);
        server
            .get(&format!("{path}/history?days=366"), &key)
            .await
            .assert_status(422);

        let deleted = server.delete(&path, &key).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"success": true}));
        server.get(&path, &key).await.assert_status(404);
        server.delete(&path, &key).await.assert_status(404);
    }
);

both_stores!(
    developer_goal_routes_need_their_scopes_and_the_users_own_goals,
    |server| async move {
        let token = server.token("alice").await;
        let writer = dev_key(&server, &token, &["goals:read", "goals:write"]).await;
        let reader = dev_key(&server, &token, &["goals:read"]).await;
        let stranger = dev_key(&server, &token, &["memories:read", "action_items:write"]).await;
        let created = server
            .post(
                "/v1/dev/user/goals",
                &writer,
                json!({"title": "Read 12 books", "goal_type": "numeric", "target_value": 12}),
            )
            .await;
        let path = format!("/v1/dev/user/goals/{}", created["id"].as_str().unwrap());

        server.get(&path, &reader).await.assert_status(200);
        server
            .get("/v1/dev/user/goals", &reader)
            .await
            .assert_status(200);
        server
            .post(
                "/v1/dev/user/goals",
                &reader,
                json!({"title": "x", "target_value": 1}),
            )
            .await
            .assert_status(403);
        // The scope is checked before the body: a bad body without the scope is still 403.
        server
            .post("/v1/dev/user/goals", &reader, json!({"title": ""}))
            .await
            .assert_status(403);
        server
            .patch(&path, &reader, json!({"title": "y"}))
            .await
            .assert_status(403);
        server
            .patch(
                &format!("{path}/progress?current_value=2"),
                &reader,
                json!(null),
            )
            .await
            .assert_status(403);
        server.delete(&path, &reader).await.assert_status(403);
        server.get(&path, &stranger).await.assert_status(403);
        server
            .get(&format!("{path}/history"), &stranger)
            .await
            .assert_status(403);
        server
            .get("/v1/dev/user/goals", &token)
            .await
            .assert_status(401);

        let bob = server.token("bob").await;
        let bobs = dev_key(&server, &bob, &["goals:read", "goals:write"]).await;
        server.get(&path, &bobs).await.assert_status(404);
        server
            .patch(&path, &bobs, json!({"title": "mine"}))
            .await
            .assert_status(404);
        server.delete(&path, &bobs).await.assert_status(404);
        assert_eq!(
            server.get("/v1/dev/user/goals", &bobs).await.json,
            json!([])
        );

        for body in [
            json!({"title": "x".repeat(501), "target_value": 1}),
            json!({"title": "ok", "target_value": 1, "goal_type": "bool"}),
            json!({"title": "ok\u{0}", "target_value": 1}),
            json!({"title": "ok", "target_value": 1, "min_value": 5, "max_value": 1}),
        ] {
            server
                .post("/v1/dev/user/goals", &writer, body)
                .await
                .assert_status(422);
        }
        assert_eq!(server.get(&path, &writer).await["title"], "Read 12 books");
    }
);

both_stores!(
    the_mcp_tool_get_goals_lists_the_users_goals,
    |server| async move {
        let token = server.token("alice").await;
        for n in 0..4 {
            server
                .post(
                    "/v1/goals",
                    &token,
                    json!({"title": format!("Goal {n}"), "target_value": 3}),
                )
                .await
                .assert_status(200);
        }
        let mcp = server
            .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
            .await;
        let mcp_key = mcp["key"].as_str().unwrap().to_string();
        let call = |id: i64, arguments: Value| {
            let server = &server;
            let mcp_key = &mcp_key;
            async move {
                server
                    .post(
                        "/v1/mcp/sse",
                        mcp_key,
                        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                           "params": {"name": "get_goals", "arguments": arguments}}),
                    )
                    .await
            }
        };
        let active = call(1, json!({})).await;
        active.assert_status(200);
        let goals = active["result"]["structuredContent"]["goals"]
            .as_array()
            .unwrap()
            .clone();
        let names: Vec<&str> = goals.iter().map(|g| g["title"].as_str().unwrap()).collect();
        assert_eq!(names, ["Goal 3", "Goal 2", "Goal 1"]);
        assert_eq!(
            goals[0],
            server.get("/v1/goals", &token).await.json,
            "the app's shape"
        );

        let all = call(2, json!({"include_inactive": true, "limit": 10})).await;
        assert_eq!(
            all["result"]["structuredContent"]["goals"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        let refused = call(3, json!({"limit": 0})).await;
        assert_eq!(refused["error"]["code"], -32602);

        let bob = server.token("bob").await;
        let bobs = server
            .post("/v1/mcp/keys", &bob, json!({"name": "b"}))
            .await;
        let bobs = bobs["key"].as_str().unwrap();
        let empty = server
            .post(
                "/v1/mcp/sse",
                bobs,
                json!({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                   "params": {"name": "get_goals", "arguments": {}}}),
            )
            .await;
        assert_eq!(empty["result"]["structuredContent"]["goals"], json!([]));
    }
);

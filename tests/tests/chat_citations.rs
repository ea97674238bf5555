//! Chat answers drawn from the user's history, on both stores, over the search suites' fixed corpus: for each
//! question written there, the offline answer cites first the conversation that answers it (its `[n]` markers
//! stream with the text and are gone from the stored answer); the developer API's ask and MCP's
//! `get_chat_messages` share the same code.

use crate::chat_support;
use crate::search_support;

use chat_support::{messages, send};
use omi_tests::send as send_request;
use omi_tests::*;
use search_support::{import, import_corpus, processed, started_at, QUESTIONS};

both_stores!(
    each_answer_cites_the_conversation_it_came_from,
    |server| async move {
        let token = server.token("alice").await;
        let ids = import_corpus(&server, &token).await;
        for (question, expected) in QUESTIONS {
            let streamed = send(&server, &token, "", question).await;
            let answer = streamed.answer();
            let cited: Vec<&str> = answer["memories_id"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap())
                .collect();
            assert_eq!(
                cited.first(),
                Some(&ids[expected].as_str()),
                "{question}: {answer}"
            );
            assert!(cited.len() <= 5);
            assert_eq!(answer["memories"][0]["id"], ids[expected], "{question}");
            assert!(answer["memories"][0]["structured"]["title"].is_string());
            assert!(answer["memories"][0]["created_at"].is_string());
            assert!(
                streamed.text().contains("[1]"),
                "the stream cites: {}",
                streamed.text()
            );
            let text = answer["text"].as_str().unwrap();
            assert!(!text.contains("[1]") && !text.contains("[2]"), "{text}");
        }
        let listed = messages(&server, &token, "").await;
        assert_eq!(listed.len(), 2 * QUESTIONS.len());
        assert_eq!(
            listed[0]["memories"][0]["id"],
            ids[QUESTIONS[QUESTIONS.len() - 1].1]
        );

        let bob = server.token("bob").await;
        let streamed = send(&server, &bob, "", "flights to Lisbon").await;
        assert_eq!(
            streamed.answer()["memories_id"],
            json!([]),
            "another user's conversations are never cited"
        );
    }
);

both_stores!(the_developer_api_asks_with_sources, |server| async move {
    let token = server.token("alice").await;
    let ids = import_corpus(&server, &token).await;
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
    let asked = server
        .post(
            "/v1/dev/user/ask",
            &reader,
            json!({"question": "flights to Lisbon"}),
        )
        .await;
    asked.assert_status(200);
    assert_eq!(asked["sources"][0]["id"], ids[6], "{}", asked.text);
    assert!(!asked["answer"].as_str().unwrap().contains("[1]"));
    let nothing = server
        .post(
            "/v1/dev/user/ask",
            &reader,
            json!({"question": "zebra xylophone"}),
        )
        .await;
    nothing.assert_status(200);
    assert_eq!(nothing["sources"], json!([]));
    assert!(nothing["answer"]
        .as_str()
        .unwrap()
        .contains("couldn't find"));
    server
        .post("/v1/dev/user/ask", &reader, json!({"question": ""}))
        .await
        .assert_status(422);
    let writer = key(json!(["memories:read"])).await;
    server
        .post("/v1/dev/user/ask", &writer, json!({"question": "flights"}))
        .await
        .assert_status(403);
    assert_eq!(
        messages(&server, &token, "").await.len(),
        1,
        "asking stores no chat message"
    );
});

/// A JSON-RPC request to MCP's HTTP door, answered as JSON.
async fn mcp(server: &TestServer, key: &str, body: Value) -> Response {
    let builder = server
        .client()
        .builder(Method::POST, "/v1/mcp/sse", key)
        .header("accept", "application/json")
        .json(&body);
    send_request(Method::POST, &server.url("/v1/mcp/sse"), builder).await
}

both_stores!(mcp_reads_the_chat_messages, |server| async move {
    let token = server.token("alice").await;
    send(&server, &token, "", "hello there").await;
    let key = server
        .post("/v1/mcp/keys", &token, json!({"name": "assistant"}))
        .await;
    key.assert_status(200);
    let key = key["key"].as_str().unwrap().to_string();
    let call = |arguments: Value| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "get_chat_messages", "arguments": arguments}})
    };
    let answer = mcp(&server, &key, call(json!({"limit": 5}))).await;
    answer.assert_status(200);
    let text = answer["result"]["content"][0]["text"].as_str().unwrap();
    let read: Value = serde_json::from_str(text).unwrap();
    let senders: Vec<&str> = read["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender"].as_str().unwrap())
        .collect();
    assert_eq!(senders, vec!["ai", "human"]);
    let refused = mcp(&server, &key, call(json!({"limit": 0}))).await;
    assert!(refused["error"].is_object(), "{}", refused.text);
});

both_stores!(
    with_store chat_ranks_only_the_newest_matches_it_is_told_to,
    |store| async move {
        for (candidates, oldest_cited) in [(None, true), (Some("2"), false)] {
            let mut options = StartOptions::new();
            if let Some(candidates) = candidates {
                options = options.env("OMI_CHAT_CANDIDATES", candidates);
            }
            let server = TestServer::start_with(store, options).await;
            let token = server.token("cleo").await;
            let oldest = import(
                &server,
                &token,
                &[
                    "The budget review: the budget, the whole budget and nothing but the budget.",
                    "Budget numbers first, then the budget risks.",
                    "The budget is final once the budget committee signs.",
                ],
                &started_at(0),
            )
            .await;
            let mut newer = Vec::new();
            for (n, topic) in ["the garden", "dinner plans"].iter().enumerate() {
                let lines = [
                    format!("We talked about {topic} for a long while today."),
                    "Someone mentioned the budget once.".to_string(),
                    format!("Then back to {topic} until the evening."),
                ];
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                newer.push(import(&server, &token, &lines, &started_at(n + 1)).await);
            }
            for id in newer.iter().chain([&oldest]) {
                assert_eq!(processed(&server, &token, id).await["status"], "completed");
            }
            let answer = send(&server, &token, "", "budget").await;
            let cited: Vec<String> = answer.answer()["memories_id"]
                .as_array()
                .unwrap()
                .iter()
                .map(|id| id.as_str().unwrap().to_string())
                .collect();
            if oldest_cited {
                assert_eq!(cited.first(), Some(&oldest), "the best match comes first: {cited:?}");
            } else {
                assert!(!cited.contains(&oldest), "only the 2 newest matches are ranked: {cited:?}");
                assert!(!cited.is_empty() && cited.iter().all(|id| newer.contains(id)), "{cited:?}");
            }
        }
    }
);

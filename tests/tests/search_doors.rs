//! The other doors of search: MCP's `search_conversations` and `search_memories`, and the developer API's
//! conversation and memory searches (under `conversations:read` and `memories:read`), all answering what the
//! app's route answers, on both stores.

use crate::search_support;

use omi_tests::*;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use search_support::*;

type Client = RunningService<RoleClient, ClientConfig>;

async fn mcp_client(server: &TestServer, token: &str) -> Client {
    let created = server
        .post("/v1/mcp/keys", token, json!({"name": "search"}))
        .await;
    created.assert_status(200);
    let key = created["key"].as_str().unwrap().to_string();
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url("/v1/mcp/sse")).auth_header(key),
    );
    let mut info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("omi-tests", "1.0.0"),
    );
    info.protocol_version = ProtocolVersion::default();
    info.serve(transport).await.expect("initialize")
}

async fn call(client: &Client, name: &str, arguments: Value) -> Result<Value, (i32, String)> {
    let params = CallToolRequestParams::new(name.to_string())
        .with_arguments(arguments.as_object().cloned().unwrap());
    match client.call_tool(params).await {
        Ok(result) => {
            let result = serde_json::to_value(&result).unwrap();
            Ok(result["structuredContent"].clone())
        }
        Err(ServiceError::McpError(error)) => Err((error.code.0, error.message.to_string())),
        Err(other) => panic!("{name}: {other}"),
    }
}

async fn dev_key(server: &TestServer, token: &str, scopes: &[&str]) -> String {
    let created = server
        .post(
            "/v1/dev/keys",
            token,
            json!({"name": "search", "scopes": scopes}),
        )
        .await;
    created.assert_status(200);
    created["key"].as_str().unwrap().to_string()
}

both_stores!(
    mcp_and_the_developer_api_find_what_the_app_finds,
    |server| async move {
        let token = server.token("alice").await;
        let ids = import_corpus(&server, &token).await;
        let memory = server
            .post(
                "/v3/memories",
                &token,
                json!({"content": "Alice is training for the Boston marathon"}),
            )
            .await;
        memory.assert_status(200);
        let memory_id = memory["id"].as_str().unwrap().to_string();

        let client = mcp_client(&server, &token).await;
        let dev = dev_key(&server, &token, &["conversations:read", "memories:read"]).await;
        for (question, expected) in QUESTIONS {
            let app = search(&server, &token, json!({"query": question, "per_page": 5})).await;
            let app_ids = item_ids(&app);
            assert_eq!(app_ids.first(), Some(&ids[expected]), "{question}");

            let tool = call(
                &client,
                "search_conversations",
                json!({"query": question, "limit": 5}),
            )
            .await
            .unwrap();
            let tool_ids: Vec<String> = tool["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(tool_ids, app_ids, "{question}: MCP and the app differ");

            let developer = server
                .post(
                    "/v1/dev/user/conversations/search",
                    &dev,
                    json!({"query": question, "per_page": 5}),
                )
                .await;
            developer.assert_status(200);
            assert_eq!(
                item_ids(&developer.json),
                app_ids,
                "{question}: developer API"
            );
            assert_eq!(developer["total_pages"], app["total_pages"]);
            assert!(developer["items"][0].get("transcript_segments").is_none());
        }
        // Dates bound MCP's search as they bound the app's.
        let none = call(
            &client,
            "search_conversations",
            json!({"query": "dentist", "start_date": "2030-01-01"}),
        )
        .await
        .unwrap();
        assert_eq!(none["conversations"], json!([]));
        let (code, _) = call(
            &client,
            "search_conversations",
            json!({"query": "dentist", "start_date": "soon"}),
        )
        .await
        .unwrap_err();
        assert_eq!(code, -32602);
        let (code, _) = call(&client, "search_conversations", json!({"limit": 0}))
            .await
            .unwrap_err();
        assert_eq!(code, -32602);

        // Memories: the same hit and score on every door.
        let app = server
            .get("/v3/memories/search?query=boston%20marathon", &token)
            .await;
        app.assert_status(200);
        assert_eq!(app[0]["id"], memory_id.as_str());
        let score = app[0]["relevance_score"].as_f64().unwrap();
        let tool = call(
            &client,
            "search_memories",
            json!({"query": "boston marathon"}),
        )
        .await
        .unwrap();
        assert_eq!(tool["memories"][0]["id"], memory_id.as_str());
        assert_eq!(tool["memories"][0]["relevance_score"].as_f64(), Some(score));
        let developer = server
            .get("/v1/dev/user/memories/search?query=boston%20marathon", &dev)
            .await;
        developer.assert_status(200);
        assert_eq!(developer[0]["id"], memory_id.as_str());
        assert_eq!(developer[0]["relevance_score"].as_f64(), Some(score));
        client.cancel().await.ok();
    }
);

both_stores!(
    the_developer_api_asks_for_its_read_scopes,
    |server| async move {
        let token = server.token("alice").await;
        let memories_only = dev_key(&server, &token, &["memories:read"]).await;
        let conversations_only = dev_key(&server, &token, &["conversations:read"]).await;
        server
            .post(
                "/v1/dev/user/conversations/search",
                &memories_only,
                json!({"query": "x"}),
            )
            .await
            .assert_status(403);
        server
            .get("/v1/dev/user/memories/search?query=x", &conversations_only)
            .await
            .assert_status(403);
        server
            .post(
                "/v1/dev/user/conversations/search",
                &conversations_only,
                json!({"query": "x"}),
            )
            .await
            .assert_status(200);
        server
            .get("/v1/dev/user/memories/search?query=x", &memories_only)
            .await
            .assert_status(200);
        // Bad input is refused as on the app's route.
        server
            .post(
                "/v1/dev/user/conversations/search",
                &conversations_only,
                json!({"page": 0}),
            )
            .await
            .assert_status(422);
        server
            .post(
                "/v1/dev/user/conversations/search",
                &conversations_only,
                json!({"start_date": "never"}),
            )
            .await
            .assert_status(400);
        server
            .get("/v1/dev/user/memories/search?limit=500", &memories_only)
            .await
            .assert_status(422);
    }
);

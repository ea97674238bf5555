//! MCP (spec §7.5) through the real binary: rmcp's client initializes, lists the tools and calls each of them
//! over Streamable HTTP, over the legacy HTTP+SSE transport and over stdio (`omi-server mcp`, forwarding and on
//! the store); the REST data API; key authentication; the JSON-RPC and session rules of `/v1/mcp/sse`.

use std::time::{Duration, Instant};

use omi_tests::reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use omi_tests::*;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ClientJsonRpcMessage, Implementation,
    JsonObject, ProtocolVersion, ServerJsonRpcMessage,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess, Transport};
use rmcp::ServiceExt;
use tokio::sync::{mpsc, oneshot};

type Client = RunningService<RoleClient, ClientConfig>;

const STARTED: &str = "2026-03-01T10:00:00+00:00";
const TOOLS: [&str; 17] = [
    "get_memories",
    "create_memory",
    "edit_memory",
    "delete_memory",
    "search_memories",
    "search_conversations",
    "get_conversations",
    "get_conversation_by_id",
    "get_action_items",
    "create_action_item",
    "complete_action_item",
    "get_daily_summaries",
    "get_folders",
    "get_goals",
    "get_user_profile",
    "get_people",
    "get_chat_messages",
];

/// Rate limits that a test calling every tool several times does not reach.
fn generous() -> StartOptions {
    StartOptions::new()
        .env("OMI_RATE_PER_KEY_PER_MINUTE", "100000")
        .env("OMI_RATE_PER_USER_PER_DAY", "1000000")
}

fn client_info(version: ProtocolVersion) -> ClientConfig {
    let mut info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("omi-tests", "1.0.0"),
    );
    info.protocol_version = version;
    info
}

/// A new MCP key of the user: `(raw key, key id)`.
async fn mcp_key(server: &TestServer, token: &str, name: &str) -> (String, String) {
    let created = server
        .post("/v1/mcp/keys", token, json!({ "name": name }))
        .await;
    created.assert_status(200);
    (
        created["key"].as_str().unwrap().to_string(),
        created["id"].as_str().unwrap().to_string(),
    )
}

/// Imports a two-speaker conversation (the user speaks first) and waits until processing completed it.
async fn completed_conversation(server: &TestServer, token: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({
                "started_at": STARTED,
                "transcript_segments": [
                    {"text": "Good morning, let's plan the product launch budget.", "speaker": "SPEAKER_00",
                     "is_user": true, "start": 0.0, "end": 4.0},
                    {"text": "Sure. I will send the budget to Sarah tomorrow at 9am.", "speaker": "SPEAKER_01",
                     "start": 4.5, "end": 9.0},
                ],
            }),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        conversation.assert_status(200);
        if conversation["status"] == "completed" {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "not completed: {}",
            conversation.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn object(value: Value) -> JsonObject {
    value.as_object().cloned().expect("arguments are an object")
}

/// Calls a tool and returns the JSON of its text content (checking that the structured content is the same).
async fn call(client: &Client, name: &str, arguments: Value) -> Value {
    let result = client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(object(arguments)))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let result = serde_json::to_value(&result).unwrap();
    assert_eq!(result["content"][0]["type"], "text", "{result}");
    let text = result["content"][0]["text"].as_str().unwrap();
    let value: Value = serde_json::from_str(text).unwrap();
    assert_eq!(result["structuredContent"], value);
    value
}

/// Calls a tool that must fail; returns the JSON-RPC error code and message.
async fn call_error(client: &Client, name: &str, arguments: Value) -> (i32, String) {
    match client
        .call_tool(CallToolRequestParams::new(name.to_string()).with_arguments(object(arguments)))
        .await
    {
        Err(ServiceError::McpError(error)) => (error.code.0, error.message.to_string()),
        other => panic!("{name} should fail, got {other:?}"),
    }
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}

/// Lists the tools and calls each one (successes and the spec's errors). `place` keeps the memories of one
/// run apart from another's on the same user. Returns the id of the memory created first.
async fn exercise(client: &Client, conversation_id: &str, place: &str) -> String {
    let info = client.peer_info().expect("initialized");
    assert_eq!(info.server_info.as_ref().unwrap().name, "omi-mcp-server");
    assert!(info.capabilities.tools.is_some());

    let tools = client.list_all_tools().await.expect("tools/list");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tool in &tools {
        assert!(tool.description.is_some(), "{}", tool.name);
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
    }

    // Memories: create (category detected), list, search, edit, delete.
    let hiking = call(
        client,
        "create_memory",
        json!({"content": format!("I love hiking in the {place}"), "category": "interesting"}),
    )
    .await;
    assert_eq!(hiking["success"], true);
    assert_eq!(hiking["memory"]["category"], "system", "{hiking}");
    assert_eq!(hiking["memory"]["manually_added"], true);
    let hiking_id = hiking["memory"]["id"].as_str().unwrap().to_string();
    let fact = call(
        client,
        "create_memory",
        json!({"content": format!("Octopuses have three hearts, said the {place} guide")}),
    )
    .await;
    assert_eq!(fact["memory"]["category"], "interesting", "{fact}");
    let fact_id = fact["memory"]["id"].as_str().unwrap().to_string();

    let all = call(client, "get_memories", json!({})).await;
    let all_ids = ids(&all["memories"]);
    assert!(all_ids.contains(&hiking_id) && all_ids.contains(&fact_id));
    let system = call(
        client,
        "get_memories",
        json!({"categories": ["system"], "limit": 500}),
    )
    .await;
    assert!(ids(&system["memories"]).contains(&hiking_id));
    assert!(!ids(&system["memories"]).contains(&fact_id));
    assert!(system["memories"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["category"] == "system"));
    let page = call(client, "get_memories", json!({"limit": 1})).await;
    assert_eq!(page["memories"].as_array().unwrap().len(), 1);
    let (code, message) = call_error(client, "get_memories", json!({"categories": ["nope"]})).await;
    assert_eq!(code, -32602, "{message}");

    let found = call(
        client,
        "search_memories",
        json!({"query": format!("hiking {place}")}),
    )
    .await;
    assert_eq!(found["memories"][0]["id"], hiking_id.as_str(), "{found}");
    assert_eq!(found["memories"][0]["relevance_score"], 1.0);
    let found = call(
        client,
        "search_memories",
        json!({"query": format!("{place} hearts zebra"), "limit": 1}),
    )
    .await;
    let first = &found["memories"][0];
    assert_eq!(first["id"], fact_id.as_str(), "{found}");
    assert_eq!(first["relevance_score"], 1.0, "{found}");
    assert_eq!(found["memories"].as_array().unwrap().len(), 1);

    let edited = call(
        client,
        "edit_memory",
        json!({"memory_id": hiking_id, "content": format!("I love hiking and climbing in the {place}")}),
    )
    .await;
    assert_eq!(edited, json!({"success": true}));
    let all = call(client, "get_memories", json!({"limit": 500})).await;
    let memory = all["memories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == hiking_id.as_str())
        .unwrap();
    assert_eq!(
        memory["content"],
        format!("I love hiking and climbing in the {place}")
    );
    assert_eq!(memory["edited"], true);
    let (code, _) = call_error(
        client,
        "edit_memory",
        json!({"memory_id": "missing", "content": "x"}),
    )
    .await;
    assert_eq!(code, -32001);

    let deleted = call(client, "delete_memory", json!({"memory_id": fact_id})).await;
    assert_eq!(deleted, json!({"success": true}));
    let (code, _) = call_error(client, "delete_memory", json!({"memory_id": fact_id})).await;
    assert_eq!(code, -32001);
    let (code, _) = call_error(client, "delete_memory", json!({})).await;
    assert_eq!(code, -32602, "a missing argument is invalid params");

    // Conversations.
    let listed = call(
        client,
        "get_conversations",
        json!({"start_date": "2026-03-01", "end_date": "2026-03-01"}),
    )
    .await;
    let conversations = listed["conversations"].as_array().unwrap();
    let listed_one = conversations
        .iter()
        .find(|c| c["id"] == conversation_id)
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(listed_one["structured"]["title"].is_string());
    assert!(listed_one["structured"]["overview"].is_string());
    assert_eq!(listed_one["started_at"], STARTED);
    assert_eq!(listed_one["language"], "en");
    assert!(listed_one.get("transcript_segments").is_none());
    let later = call(
        client,
        "get_conversations",
        json!({"start_date": "2026-03-02"}),
    )
    .await;
    assert_eq!(later["conversations"], json!([]));
    let category = listed_one["structured"]["category"].as_str().unwrap();
    let by_category = call(
        client,
        "get_conversations",
        json!({"categories": [category, "not-a-category"]}),
    )
    .await;
    assert!(ids(&by_category["conversations"]).contains(&conversation_id.to_string()));
    let (code, _) = call_error(
        client,
        "get_conversations",
        json!({"start_date": "yesterday"}),
    )
    .await;
    assert_eq!(code, -32602);

    let detail = call(
        client,
        "get_conversation_by_id",
        json!({"conversation_id": conversation_id}),
    )
    .await;
    let segments = detail["conversation"]["transcript_segments"]
        .as_array()
        .unwrap();
    assert_eq!(segments.len(), 2, "{detail}");
    assert_eq!(segments[0]["speaker_name"], "User");
    assert_eq!(segments[1]["speaker_name"], "Speaker 1");
    assert_eq!(segments[1]["speaker_id"], 1);
    assert!(segments[1]["text"].as_str().unwrap().contains("Sarah"));
    let (code, _) = call_error(
        client,
        "get_conversation_by_id",
        json!({"conversation_id": "missing"}),
    )
    .await;
    assert_eq!(code, -32001);

    // Action items.
    let description = format!("Book the {place} hut");
    let created = call(
        client,
        "create_action_item",
        json!({"description": description, "due_at": "2026-03-02T09:00:00Z"}),
    )
    .await;
    assert_eq!(created["success"], true);
    assert_eq!(created["action_item"]["completed"], false);
    assert_eq!(
        created["action_item"]["due_at"],
        "2026-03-02T09:00:00+00:00"
    );
    let item_id = created["action_item"]["id"].as_str().unwrap().to_string();
    let (code, _) = call_error(client, "create_action_item", json!({"description": "  "})).await;
    assert_eq!(code, -32602);
    let open = call(
        client,
        "get_action_items",
        json!({"completed": false, "limit": 500}),
    )
    .await;
    assert!(ids(&open["action_items"]).contains(&item_id));
    let done = call(
        client,
        "complete_action_item",
        json!({"action_item_id": item_id}),
    )
    .await;
    assert_eq!(done["success"], true);
    assert_eq!(done["action_item"]["completed"], true);
    assert!(done["action_item"]["completed_at"].is_string());
    let completed = call(client, "get_action_items", json!({"completed": true})).await;
    assert!(ids(&completed["action_items"]).contains(&item_id));
    let (code, _) = call_error(
        client,
        "complete_action_item",
        json!({"action_item_id": "missing"}),
    )
    .await;
    assert_eq!(code, -32001);

    let (code, _) = call_error(client, "no_such_tool", json!({})).await;
    assert_eq!(code, -32602);
    hiking_id
}

/// The memory's first event was recorded with the MCP key as the actor.
async fn assert_created_by_key(server: &TestServer, token: &str, memory_id: &str, key_id: &str) {
    let history = server
        .get(&format!("/v1/memories/{memory_id}/history"), token)
        .await;
    history.assert_status(200);
    assert_eq!(history["versions"][0]["event"], "MemoryCreated");
    assert_eq!(
        history["versions"][0]["actor"],
        format!("mcp_key:{key_id}"),
        "{}",
        history.text
    );
    assert_eq!(history["versions"][1]["actor"], format!("mcp_key:{key_id}"));
}

async fn streamable_client(server: &TestServer, key: &str) -> Client {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url("/v1/mcp/sse")).auth_header(key),
    );
    client_info(ProtocolVersion::default())
        .serve(transport)
        .await
        .expect("initialize over Streamable HTTP")
}

both_stores!(with_store an_rmcp_client_calls_every_tool_over_streamable_http, |store| async move {
    let server = TestServer::start_with(store, generous()).await;
    let token = server.token("alice").await;
    let (key, key_id) = mcp_key(&server, &token, "claude").await;
    let conversation = completed_conversation(&server, &token).await;

    let client = streamable_client(&server, &key).await;
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_03_26,
        "a client asking for a newer version gets the server's"
    );
    let memory = exercise(&client, &conversation, "Alps").await;
    client.cancel().await.expect("close");
    assert_created_by_key(&server, &token, &memory, &key_id).await;
});

/// A client of the 2024-11-05 HTTP+SSE transport: GET the event stream, POST messages to the `endpoint` it
/// names, read the answers from the stream.
struct LegacySse {
    http: reqwest::Client,
    post_url: String,
    key: String,
    incoming: mpsc::Receiver<ServerJsonRpcMessage>,
    reader: tokio::task::JoinHandle<()>,
}

impl LegacySse {
    async fn connect(server: &TestServer, path: &str, key: &str) -> LegacySse {
        let http = new_reqwest_client_without_timeout();
        let response = http
            .get(server.url(path))
            .bearer_auth(key)
            .header(ACCEPT, "text/event-stream")
            .send()
            .await
            .expect("GET the legacy event stream");
        assert_eq!(response.status().as_u16(), 200);
        assert!(response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let (endpoint_tx, endpoint_rx) = oneshot::channel();
        let (tx, incoming) = mpsc::channel(64);
        let reader = tokio::spawn(read_events(response, endpoint_tx, tx));
        let endpoint = tokio::time::timeout(Duration::from_secs(10), endpoint_rx)
            .await
            .expect("an endpoint event")
            .expect("the stream stayed open");
        assert!(
            endpoint.starts_with("/v1/mcp/messages?session_id="),
            "{endpoint}"
        );
        LegacySse {
            http,
            post_url: server.url(&endpoint),
            key: key.to_string(),
            incoming,
            reader,
        }
    }
}

fn new_reqwest_client_without_timeout() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// Splits the SSE stream into events: the first `endpoint`'s data goes to `endpoint`, `message` data is parsed
/// as JSON-RPC (one message or a batch) and forwarded.
async fn read_events(
    mut response: reqwest::Response,
    endpoint: oneshot::Sender<String>,
    messages: mpsc::Sender<ServerJsonRpcMessage>,
) {
    let mut endpoint = Some(endpoint);
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            let mut name = "message".to_string();
            let mut data = Vec::new();
            for line in frame.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = value.trim().to_string();
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
                }
            }
            let data = data.join("\n");
            match name.as_str() {
                "endpoint" => {
                    if let Some(endpoint) = endpoint.take() {
                        let _ = endpoint.send(data);
                    }
                }
                "message" => {
                    let value: Value = serde_json::from_str(&data).expect("JSON-RPC on the stream");
                    let batch = match value {
                        Value::Array(items) => items,
                        single => vec![single],
                    };
                    for item in batch {
                        let message = serde_json::from_value(item).expect("a server message");
                        if messages.send(message).await.is_err() {
                            return;
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

impl Transport<RoleClient> for LegacySse {
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl std::future::Future<Output = Result<(), std::io::Error>> + Send + 'static {
        let request = self
            .http
            .post(&self.post_url)
            .bearer_auth(&self.key)
            .json(&item);
        async move {
            let response = request.send().await.map_err(std::io::Error::other)?;
            if response.status().as_u16() == 202 {
                Ok(())
            } else {
                Err(std::io::Error::other(format!(
                    "POST answered {}",
                    response.status()
                )))
            }
        }
    }

    fn receive(
        &mut self,
    ) -> impl std::future::Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), std::io::Error> {
        self.reader.abort();
        Ok(())
    }
}

both_stores!(with_store an_rmcp_client_calls_every_tool_over_the_legacy_sse_transport, |store| async move {
    let server = TestServer::start_with(store, generous()).await;
    let token = server.token("alice").await;
    let (key, key_id) = mcp_key(&server, &token, "old client").await;
    let conversation = completed_conversation(&server, &token).await;

    let transport = LegacySse::connect(&server, "/v1/mcp/sse/legacy", &key).await;
    let client = client_info(ProtocolVersion::V_2024_11_05)
        .serve(transport)
        .await
        .expect("initialize over HTTP+SSE");
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2024_11_05
    );
    let memory = exercise(&client, &conversation, "Andes").await;
    client.cancel().await.expect("close");
    assert_created_by_key(&server, &token, &memory, &key_id).await;

    // Old clients configured with /v1/mcp/sse itself get the same stream when they GET it without a session.
    let transport = LegacySse::connect(&server, "/v1/mcp/sse", &key).await;
    let client = client_info(ProtocolVersion::V_2024_11_05)
        .serve(transport)
        .await
        .expect("initialize over HTTP+SSE at /v1/mcp/sse");
    assert_eq!(client.list_all_tools().await.unwrap().len(), TOOLS.len());
    client.cancel().await.expect("close");
});

/// `omi-server mcp` as a child process with the server's env and the key (and `OMI_API_BASE_URL` when given),
/// initialized.
async fn try_stdio_client(
    server: &TestServer,
    key: &str,
    base_url: Option<&str>,
) -> Result<Client, String> {
    let mut command = tokio::process::Command::from(server.env().command(&["mcp"]));
    command.env("OMI_API_KEY", key);
    match base_url {
        Some(url) => command.env("OMI_API_BASE_URL", url),
        None => command.env_remove("OMI_API_BASE_URL"),
    };
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("spawn omi-server mcp");
    client_info(ProtocolVersion::V_2025_03_26)
        .serve(transport)
        .await
        .map_err(|e| e.to_string())
}

async fn stdio_client(server: &TestServer, key: &str, base_url: Option<&str>) -> Client {
    try_stdio_client(server, key, base_url)
        .await
        .unwrap_or_else(|e| panic!("initialize over stdio: {e}"))
}

both_stores!(with_store an_rmcp_client_calls_every_tool_over_stdio, |store| async move {
    let mut server = TestServer::start_with(store, generous()).await;
    let token = server.token("alice").await;
    let (key, key_id) = mcp_key(&server, &token, "desktop").await;
    let conversation = completed_conversation(&server, &token).await;

    // Forwarding to the running server (works on every store).
    let client = stdio_client(&server, &key, Some(server.base_url())).await;
    let forwarded = exercise(&client, &conversation, "Rockies").await;
    client.cancel().await.expect("close");
    assert_created_by_key(&server, &token, &forwarded, &key_id).await;

    // On the store itself: beside the server on PostgreSQL; on SQLite the server must be stopped first.
    if store == Store::Sqlite {
        let refused = try_stdio_client(&server, &key, None).await;
        assert!(refused.is_err(), "the data directory is locked by the server");
        server.stop().await;
    }
    let client = stdio_client(&server, &key, None).await;
    let direct = exercise(&client, &conversation, "Pyrenees").await;
    client.cancel().await.expect("close");
    if store == Store::Sqlite {
        server.restart().await;
    }
    assert_created_by_key(&server, &token, &direct, &key_id).await;
});

fn raw_auth(key: &str) -> String {
    format!("Bearer {key}")
}

both_stores!(
    the_rest_data_api_reads_and_writes_for_the_key_user,
    |server| async move {
        let token = server.token("alice").await;
        let (key, key_id) = mcp_key(&server, &token, "rest").await;
        let conversation = completed_conversation(&server, &token).await;

        let created = server
        .post(
            "/v1/mcp/memories",
            &key,
            json!({"content": "I prefer green tea", "category": "interesting", "tags": ["drinks"]}),
        )
        .await;
        created.assert_status(200);
        assert_eq!(created["content"], "I prefer green tea");
        assert_eq!(
            created["category"], "system",
            "the category is always detected"
        );
        assert_eq!(created["visibility"], "private");
        assert_eq!(created["tags"], json!(["drinks"]));
        let id = created["id"].as_str().unwrap().to_string();
        let stored = server.get(&format!("/v1/memories/{id}"), &token).await;
        assert_eq!(stored["manually_added"], true);
        server
            .post("/v1/mcp/memories", &key, json!({"content": "  "}))
            .await
            .assert_status(422);

        let listed = server.get("/v1/mcp/memories", &key).await;
        listed.assert_status(200);
        let mine = listed
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id.as_str())
            .unwrap()
            .clone();
        assert_eq!(
            mine,
            json!({"id": id, "content": "I prefer green tea", "category": "system"})
        );
        let system = server
            .get("/v1/mcp/memories?categories=system&limit=5", &key)
            .await;
        system.assert_status(200);
        assert!(ids(&system.json).contains(&id));
        let interesting = server
            .get("/v1/mcp/memories?categories=interesting", &key)
            .await;
        assert!(!ids(&interesting.json).contains(&id));
        server
            .get("/v1/mcp/memories?categories=bogus", &key)
            .await
            .assert_status(400);

        let edited = server
            .request(
                Method::PATCH,
                &format!("/v1/mcp/memories/{id}?value=I%20prefer%20oolong%20tea"),
                &key,
                None,
            )
            .await;
        edited.assert_status(200);
        assert_eq!(edited.json, json!({"status": "ok"}));
        let stored = server.get(&format!("/v1/memories/{id}"), &token).await;
        assert_eq!(stored["content"], "I prefer oolong tea");
        let history = server
            .get(&format!("/v1/memories/{id}/history"), &token)
            .await;
        assert_eq!(history["versions"][1]["actor"], format!("mcp_key:{key_id}"));

        // Another user's memory does not exist for this key.
        let bob = server.token("bob").await;
        let bobs = server
            .post("/v1/memories", &bob, json!({"content": "Bob likes jazz"}))
            .await;
        let bobs_id = bobs["id"].as_str().unwrap();
        server
            .delete(&format!("/v1/mcp/memories/{bobs_id}"), &key)
            .await
            .assert_status(404);

        let deleted = server.delete(&format!("/v1/mcp/memories/{id}"), &key).await;
        deleted.assert_status(200);
        assert_eq!(deleted.json, json!({"status": "ok"}));
        server
            .delete(&format!("/v1/mcp/memories/{id}"), &key)
            .await
            .assert_status(404);

        let conversations = server.get("/v1/mcp/conversations", &key).await;
        conversations.assert_status(200);
        let listed = conversations
            .json
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == conversation.as_str())
            .unwrap()
            .clone();
        assert_eq!(listed["started_at"], STARTED);
        assert_eq!(listed["language"], "en");
        let structured = listed["structured"].as_object().unwrap();
        let mut fields: Vec<&str> = structured.keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["category", "overview", "title"]);
        let empty = server
            .get("/v1/mcp/conversations?start_date=2026-03-02", &key)
            .await;
        assert_eq!(empty.json, json!([]));
        let within = server
            .get(
                "/v1/mcp/conversations?start_date=2026-03-01&end_date=2026-03-01&limit=1",
                &key,
            )
            .await;
        assert_eq!(ids(&within.json), vec![conversation.clone()]);

        let detail = server
            .get(&format!("/v1/mcp/conversations/{conversation}"), &key)
            .await;
        detail.assert_status(200);
        let segments = detail["transcript_segments"].as_array().unwrap();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[0]["speaker_name"], "User");
        assert_eq!(segments[1]["speaker_name"], "Speaker 1");
        for field in ["id", "text", "speaker_id", "start", "end"] {
            assert!(segments[0].get(field).is_some(), "{field}");
        }
        server
            .get("/v1/mcp/conversations/missing", &key)
            .await
            .assert_status(404);
    }
);

both_stores!(mcp_routes_take_only_live_mcp_keys, |server| async move {
    let token = server.token("alice").await;
    let (key, key_id) = mcp_key(&server, &token, "auth").await;

    let anonymous = server.get("/v1/mcp/memories", "").await;
    anonymous.assert_status(401);
    let user = server.get("/v1/mcp/memories", &token).await;
    user.assert_status(401);
    assert!(
        user["detail"].as_str().unwrap().contains("omi_mcp_"),
        "{}",
        user.text
    );
    let developer = server
        .post("/v1/dev/keys", &token, json!({"name": "scripts"}))
        .await;
    developer.assert_status(200);
    let refused = server
        .get("/v1/mcp/memories", developer["key"].as_str().unwrap())
        .await;
    refused.assert_status(401);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("Developer API keys"),
        "{}",
        refused.text
    );
    let sse = server
        .post(
            "/v1/mcp/sse",
            &token,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        )
        .await;
    sse.assert_status(401);
    server
        .get(
            "/v1/mcp/memories",
            "omi_mcp_0123456789abcdef0123456789abcdef",
        )
        .await
        .assert_status(401);

    // The bare key works too.
    let http = server.client();
    let bare = http
        .reqwest()
        .get(server.url("/v1/mcp/memories"))
        .header(AUTHORIZATION, key.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 200);
    let bare = http
        .reqwest()
        .post(server.url("/v1/mcp/sse"))
        .header(AUTHORIZATION, key.as_str())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status().as_u16(), 200);
    server
        .get("/v1/mcp/memories", &key)
        .await
        .assert_status(200);

    // Revoked: refused on its next request.
    server
        .delete(&format!("/v1/mcp/keys/{key_id}"), &token)
        .await
        .assert_status(204);
    server
        .get("/v1/mcp/memories", &key)
        .await
        .assert_status(401);
    let after = http
        .reqwest()
        .post(server.url("/v1/mcp/sse"))
        .header(AUTHORIZATION, raw_auth(&key))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);

    // The info endpoint needs no key.
    let info = server.get("/v1/mcp/sse/info", "").await;
    info.assert_status(200);
    assert_eq!(info["transport"], "streamable-http");
    assert_eq!(info["protocol_version"], "2025-03-26");
    assert_eq!(info["endpoint"], "/v1/mcp/sse");
});

/// POSTs a JSON-RPC body to `/v1/mcp/sse`.
async fn rpc(
    server: &TestServer,
    key: &str,
    body: Value,
    accept: &str,
    session: Option<&str>,
) -> Response {
    let mut builder = server
        .client()
        .builder(Method::POST, "/v1/mcp/sse", key)
        .header(ACCEPT, accept)
        .json(&body);
    if let Some(session) = session {
        builder = builder.header("mcp-session-id", session);
    }
    send(Method::POST, &server.url("/v1/mcp/sse"), builder).await
}

/// DELETEs `/v1/mcp/sse` with the session header (when given).
async fn end(server: &TestServer, key: &str, session: Option<&str>) -> Response {
    let mut builder = server.client().builder(Method::DELETE, "/v1/mcp/sse", key);
    if let Some(session) = session {
        builder = builder.header("mcp-session-id", session);
    }
    send(Method::DELETE, &server.url("/v1/mcp/sse"), builder).await
}

const JSON: &str = "application/json";
const BOTH: &str = "application/json, text/event-stream";

both_stores!(
    streamable_http_follows_the_json_rpc_and_session_rules,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let (key, _) = mcp_key(&server, &alice, "alice").await;
        let (bobs_key, _) = mcp_key(&server, &bob, "bob").await;
        let initialize = |version: &str| {
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        };

        let answer = rpc(&server, &key, initialize("2025-03-26"), JSON, None).await;
        answer.assert_status(200);
        assert!(answer.headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        assert_eq!(answer["id"], 1);
        assert_eq!(answer["result"]["protocolVersion"], "2025-03-26");
        assert_eq!(answer["result"]["capabilities"], json!({"tools": {}}));
        assert_eq!(answer["result"]["serverInfo"]["name"], "omi-mcp-server");
        let session = answer.headers["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        let newer = rpc(&server, &key, initialize("2099-01-01"), JSON, None).await;
        assert_eq!(newer["result"]["protocolVersion"], "2025-03-26");

        // SSE framing when the client accepts it.
        let framed = rpc(&server, &key, initialize("2025-03-26"), BOTH, None).await;
        framed.assert_status(200);
        assert!(framed.headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        assert!(
            framed.text.starts_with("event: message\ndata: {"),
            "{}",
            framed.text
        );
        assert!(framed.headers.contains_key("mcp-session-id"));

        let initialized = rpc(
            &server,
            &key,
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            BOTH,
            Some(&session),
        )
        .await;
        initialized.assert_status(202);
        assert!(initialized.text.is_empty());

        let batch = rpc(
            &server,
            &key,
            json!([
                {"jsonrpc": "2.0", "id": "a", "method": "ping"},
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
                {"jsonrpc": "2.0", "id": 3, "method": "resources/list"},
            ]),
            JSON,
            Some(&session),
        )
        .await;
        batch.assert_status(200);
        let answers = batch.json.as_array().unwrap();
        assert_eq!(answers.len(), 3, "{}", batch.text);
        assert_eq!(
            answers[0],
            json!({"jsonrpc": "2.0", "id": "a", "result": {}})
        );
        assert_eq!(
            answers[1]["result"]["tools"].as_array().unwrap().len(),
            TOOLS.len()
        );
        assert_eq!(answers[2]["error"]["code"], -32601);

        let only_notifications = rpc(
        &server,
        &key,
        json!([{"jsonrpc": "2.0", "method": "notifications/initialized"},
               {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 9}}]),
        JSON,
        None,
    )
    .await;
        only_notifications.assert_status(202);

        let call = rpc(
        &server,
        &key,
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
               "params": {"name": "create_memory", "arguments": {"content": "I am learning Rust"}}}),
        JSON,
        None,
    )
    .await;
        call.assert_status(200);
        let text = call["result"]["content"][0]["text"].as_str().unwrap();
        let result: Value = serde_json::from_str(text).unwrap();
        assert_eq!(result["success"], true);
        assert_eq!(call["result"]["content"][0]["type"], "text");

        let garbage = server
            .client()
            .builder(Method::POST, "/v1/mcp/sse", &key)
            .header(CONTENT_TYPE, JSON)
            .body("{not json");
        let garbage = send(Method::POST, &server.url("/v1/mcp/sse"), garbage).await;
        garbage.assert_status(400);
        assert_eq!(garbage["error"]["code"], -32700);

        // The keepalive stream of a session starts with a ping.
        let mut stream = server
            .client()
            .reqwest()
            .get(server.url("/v1/mcp/sse"))
            .bearer_auth(&key)
            .header(ACCEPT, "text/event-stream")
            .header("mcp-session-id", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status().as_u16(), 200);
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("a first event")
            .unwrap()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&chunk).starts_with("event: ping\n"),
            "{chunk:?}"
        );
        drop(stream);

        // Sessions belong to their user.
        rpc(
            &server,
            &bobs_key,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            JSON,
            Some(&session),
        )
        .await
        .assert_status(403);
        end(&server, &bobs_key, Some(&session))
            .await
            .assert_status(403);
        end(&server, &key, None).await.assert_status(400);
        end(&server, &key, Some("unknown")).await.assert_status(404);
        end(&server, &key, Some(&session)).await.assert_status(204);
        end(&server, &key, Some(&session)).await.assert_status(404);
        rpc(
            &server,
            &key,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            JSON,
            Some(&session),
        )
        .await
        .assert_status(404);
        // Without a session requests are still served.
        rpc(
            &server,
            &key,
            json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
            JSON,
            None,
        )
        .await
        .assert_status(200);
    }
);

/// `OMI_TEST_MCP_PYTHON=1` (set by `.ci/run`, which installs `tests/mcp/requirements.txt`): the official
/// Python SDK must be there and pass; otherwise the test is skipped when it is missing.
const PYTHON_VAR: &str = "OMI_TEST_MCP_PYTHON";
const PYTHON_IMPORT: &str = "from mcp.client.streamable_http import streamable_http_client";

both_stores!(
    the_official_python_sdk_talks_to_the_server,
    |server| async move {
        let required = std::env::var(PYTHON_VAR).is_ok_and(|v| v == "1");
        let available = tokio::process::Command::new("python3")
            .args(["-c", PYTHON_IMPORT])
            .output()
            .await
            .is_ok_and(|output| output.status.success());
        if !available {
            assert!(
            !required,
            "{PYTHON_VAR}=1 but python3 cannot `{PYTHON_IMPORT}`: pip install -r tests/mcp/requirements.txt"
        );
            eprintln!(
            "skipped: the Python MCP SDK is not installed (pip install -r tests/mcp/requirements.txt)"
        );
            return;
        }
        let token = server.token("alice").await;
        let (key, _) = mcp_key(&server, &token, "python").await;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/mcp/python_client.py");
        let output = tokio::time::timeout(
            Duration::from_secs(180),
            tokio::process::Command::new("python3")
                .arg(script)
                .arg(server.base_url())
                .arg(&key)
                .kill_on_drop(true)
                .output(),
        )
        .await
        .expect("the Python client finished in time")
        .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("2 passed, 0 failed"),
            "python_client.py failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
);

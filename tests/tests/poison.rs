//! Poison inputs on every door, on both stores: a NUL character (which PostgreSQL cannot store) in every string
//! of every write route's body or query (user REST, developer API, MCP REST and tools, the listen socket), and
//! `%00`, `%ff%fe`, ids that are no UUID and ids of another user in every path. Each is refused with a 4xx
//! `{"detail": ...}` (the socket drops the message), nothing of it is stored, and the server then still takes
//! and projects a normal write: no event the projector cannot apply reached the log.
//!
//! Also: key revocation answers 404 for anything but the owner's live key, and an action item (or a memory)
//! links only a conversation of its own user.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use omi_tests::*;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::ServiceExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Text with the one character PostgreSQL cannot store.
const POISON: &str = "poi\u{0}son";
const STARTED: &str = "2026-03-01T10:00:00+00:00";

/// Generous rate limits (every door is called many times) and a short read-your-writes wait, so that a stuck
/// projector shows as a 503 within seconds.
fn options() -> StartOptions {
    StartOptions::new()
        .env("OMI_RATE_PER_KEY_PER_MINUTE", "100000")
        .env("OMI_RATE_PER_USER_PER_DAY", "1000000")
        .env("OMI_READ_YOUR_WRITES_TIMEOUT_MS", "4000")
        .env("OMI_MIN_CONVERSATION_TIMEOUT", "1")
}

/// Panics unless `response` is a 4xx in the error shape.
#[track_caller]
fn assert_refused(response: &Response, what: &str) {
    assert!(
        (400..500).contains(&response.status) && !response["detail"].is_null(),
        "{what}: {} {} should be refused with a 4xx {{\"detail\": ...}}, got {}: {}",
        response.method,
        response.url,
        response.status,
        response.text
    );
}

/// Every copy of `body` with one of its strings made to hold a NUL character, and one with a field name
/// holding one: `(where, body)`.
fn poisoned(body: &Value) -> Vec<(String, Value)> {
    fn walk(value: &Value, path: &mut Vec<String>, root: &Value, out: &mut Vec<(String, Value)>) {
        match value {
            Value::String(_) => {
                let mut copy = root.clone();
                let mut target = &mut copy;
                for step in path.iter() {
                    target = match target {
                        Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
                        Value::Object(fields) => fields.get_mut(step).unwrap(),
                        _ => unreachable!(),
                    };
                }
                *target = json!(POISON);
                out.push((path.join("."), copy));
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(index.to_string());
                    walk(item, path, root, out);
                    path.pop();
                }
            }
            Value::Object(fields) => {
                for (name, item) in fields {
                    path.push(name.clone());
                    walk(item, path, root, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, &mut Vec::new(), body, &mut out);
    if let Value::Object(fields) = body {
        let mut copy = fields.clone();
        copy.insert(POISON.to_string(), json!("x"));
        out.push(("a field name".into(), Value::Object(copy)));
    }
    assert!(!out.is_empty(), "no string to poison in {body}");
    out
}

/// Whether any string (or field name) of `value` holds a NUL character.
fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, item)| name.contains('\0') || holds_nul(item)),
        _ => false,
    }
}

/// Sends `body` with each of its strings poisoned in turn; each must be a 422 naming the place (a poisoned
/// field name is reported at the object that holds it).
async fn poison_body(server: &TestServer, method: Method, path: &str, token: &str, body: Value) {
    for (place, body) in poisoned(&body) {
        let response = server
            .request(method.clone(), path, token, Some(body))
            .await;
        assert_refused(&response, &format!("NUL in {place}"));
        let mut loc = vec!["body".to_string()];
        if place != "a field name" {
            loc.extend(place.split('.').map(String::from));
        }
        assert_eq!(response.status, 422, "NUL in {place}: {}", response.text);
        assert_eq!(
            response["detail"][0]["loc"],
            json!(loc),
            "NUL in {place}: {}",
            response.text
        );
    }
}

/// Sends `path?query` with each query value poisoned in turn (`query` is `name=value` pairs); each must be
/// refused.
async fn poison_query(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    query: &[(&str, &str)],
) {
    for poisoned in 0..query.len() {
        let pairs: Vec<String> = query
            .iter()
            .enumerate()
            .map(|(index, (name, value))| {
                let value = if index == poisoned {
                    "poi%00son"
                } else {
                    value
                };
                format!("{name}={value}")
            })
            .collect();
        let url = format!("{path}?{}", pairs.join("&"));
        let response = server.request(method.clone(), &url, token, None).await;
        let name = query[poisoned].0;
        assert_refused(&response, &format!("NUL in the query's {name}"));
        assert_eq!(
            response.status, 422,
            "NUL in the query's {name}: {}",
            response.text
        );
        assert_eq!(
            response["detail"][0]["loc"],
            json!(["query", name]),
            "{}",
            response.text
        );
    }
}

/// A normal write after the poison is taken and readable at once (the projector is not stuck), and nothing the
/// user can read holds a NUL character.
async fn still_writes(server: &TestServer, token: &str) {
    let memory = server
        .post(
            "/v1/memories",
            token,
            json!({"content": "written after the poison"}),
        )
        .await;
    memory.assert_status(200);
    let id = memory["id"].as_str().unwrap();
    let read = server.get(&format!("/v1/memories/{id}"), token).await;
    read.assert_status(200);
    assert_eq!(read["content"], "written after the poison");
    let item = server
        .post(
            "/v1/action-items",
            token,
            json!({"description": "also after the poison"}),
        )
        .await;
    item.assert_status(200);
    let items = server.get("/v1/action-items?limit=500", token).await;
    items.assert_status(200);
    assert!(items["action_items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == item["id"]));
    for path in [
        "/v1/memories?limit=5000",
        "/v1/action-items?limit=500",
        "/v1/conversations?limit=1000&include_discarded=true",
    ] {
        let listed = server.get(path, token).await;
        listed.assert_status(200);
        assert!(
            !holds_nul(&listed.json),
            "{path} shows stored NUL text: {}",
            listed.text
        );
    }
}

/// Imports a conversation from segments and waits until it is processed: its id and its segments' ids.
async fn completed_conversation(server: &TestServer, token: &str) -> (String, Vec<String>) {
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
            let segments = conversation["transcript_segments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_string())
                .collect();
            return (id, segments);
        }
        assert!(
            Instant::now() < deadline,
            "not completed: {}",
            conversation.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A user with one of everything: a memory, an action item, a processed conversation, a developer key with
/// every write scope and an MCP key.
struct User {
    token: String,
    memory: String,
    item: String,
    conversation: String,
    segments: Vec<String>,
    dev_key: String,
    dev_key_id: String,
    mcp_key: String,
    mcp_key_id: String,
}

async fn user(server: &TestServer, uid: &str) -> User {
    let token = server.token(uid).await;
    let memory = server
        .post(
            "/v1/memories",
            &token,
            json!({"content": format!("{uid} likes tea")}),
        )
        .await;
    memory.assert_status(200);
    let item = server
        .post(
            "/v1/action-items",
            &token,
            json!({"description": format!("{uid} calls the dentist")}),
        )
        .await;
    item.assert_status(200);
    let (conversation, segments) = completed_conversation(server, &token).await;
    let dev = server
        .post(
            "/v1/dev/keys",
            &token,
            json!({"name": "script", "scopes": ["memories:read", "memories:write", "action_items:read",
                "action_items:write", "conversations:read", "conversations:write"]}),
        )
        .await;
    dev.assert_status(200);
    let mcp = server
        .post("/v1/mcp/keys", &token, json!({"name": "claude"}))
        .await;
    mcp.assert_status(200);
    User {
        token,
        memory: memory["id"].as_str().unwrap().to_string(),
        item: item["id"].as_str().unwrap().to_string(),
        conversation,
        segments,
        dev_key: dev["key"].as_str().unwrap().to_string(),
        dev_key_id: dev["id"].as_str().unwrap().to_string(),
        mcp_key: mcp["key"].as_str().unwrap().to_string(),
        mcp_key_id: mcp["id"].as_str().unwrap().to_string(),
    }
}

fn memory_body() -> Value {
    json!({"content": "I like green tea", "category": "interesting", "visibility": "private", "tags": ["drinks"]})
}

fn segments_body() -> Value {
    json!({
        "started_at": STARTED,
        "language": "en",
        "transcript_segments": [
            {"text": "I will water the plants tomorrow.", "speaker": "SPEAKER_00", "person_id": "p1",
             "is_user": true, "start": 0.0, "end": 3.0},
        ],
    })
}

fn text_body() -> Value {
    json!({"text": "I will water the plants tomorrow.", "text_source": "other_text",
        "text_source_spec": "email", "language": "en", "started_at": STARTED})
}

both_stores!(with_store the_reported_poison_action_item_is_refused_and_the_log_goes_on, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let token = server.token("alice").await;
    let refused = server
        .post("/v1/action-items", &token, json!({"description": "ok", "conversation_id": "\u{0}"}))
        .await;
    refused.assert_status(422);
    assert_eq!(refused["detail"][0]["loc"], json!(["body", "conversation_id"]), "{}", refused.text);
    still_writes(&server, &token).await;
});

both_stores!(with_store user_routes_refuse_nul_in_every_string_of_body_and_query, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = user(&server, "alice").await;
    let token = alice.token.as_str();
    let (memory, item, conversation) = (&alice.memory, &alice.item, &alice.conversation);
    let segment = &alice.segments[0];

    poison_body(&server, Method::POST, "/v1/memories", token, memory_body()).await;
    poison_body(&server, Method::POST, "/v3/memories", token, memory_body()).await;
    poison_body(&server, Method::POST, "/v3/memories/batch", token, json!({"memories": [memory_body()]})).await;
    poison_body(&server, Method::PUT, &format!("/v1/memories/{memory}"), token, memory_body()).await;
    poison_query(&server, Method::PATCH, &format!("/v3/memories/{memory}"), token, &[("value", "new text")]).await;
    poison_query(&server, Method::PATCH, &format!("/v3/memories/{memory}/visibility"), token, &[("value", "public")]).await;
    poison_query(&server, Method::POST, &format!("/v3/memories/{memory}/review"), token, &[("value", "true")]).await;

    let item_body = json!({"description": "Buy milk", "due_at": "2026-12-01T09:00:00Z", "conversation_id": conversation});
    poison_body(&server, Method::POST, "/v1/action-items", token, item_body.clone()).await;
    poison_body(&server, Method::POST, "/v1/action-items/batch", token, json!([item_body])).await;
    let item_update = json!({"description": "Buy oat milk", "due_at": "2026-12-02T09:00:00Z",
        "export_date": "2026-12-01T09:00:00Z", "export_platform": "todoist"});
    poison_body(&server, Method::PATCH, &format!("/v1/action-items/{item}"), token, item_update.clone()).await;
    poison_body(&server, Method::PUT, &format!("/v1/action-items/{item}"), token, item_update).await;
    poison_query(&server, Method::PATCH, &format!("/v1/action-items/{item}/completed"), token, &[("completed", "true")]).await;

    poison_body(&server, Method::POST, "/v1/conversations/from-segments", token, segments_body()).await;
    poison_body(&server, Method::POST, "/v1/conversations/from-text", token, text_body()).await;
    poison_body(&server, Method::POST, "/v1/conversations/merge", token,
        json!({"conversation_ids": [conversation, conversation]})).await;
    let c = format!("/v1/conversations/{conversation}");
    poison_query(&server, Method::PATCH, &format!("{c}/title"), token, &[("title", "Launch plan")]).await;
    poison_body(&server, Method::PATCH, &format!("{c}/overview"), token, json!({"overview": "We planned."})).await;
    poison_body(&server, Method::PATCH, &format!("{c}/segments/{segment}/text"), token, json!({"text": "Hello"})).await;
    poison_query(&server, Method::PATCH, &format!("{c}/segments/0/assign"), token,
        &[("assign_type", "person_id"), ("value", "p1")]).await;
    poison_body(&server, Method::PATCH, &format!("{c}/segments/assign-bulk"), token,
        json!({"segment_ids": [segment], "assign_type": "person_id", "value": "p1"})).await;
    poison_query(&server, Method::PATCH, &format!("{c}/assign-speaker/0"), token,
        &[("assign_type", "person_id"), ("value", "p1")]).await;
    let items = server.get(&format!("{c}/action-items"), token).await;
    items.assert_status(200);
    let embedded = items["action_items"][0]["description"].as_str().unwrap_or("Send the budget").to_string();
    poison_body(&server, Method::PATCH, &format!("{c}/action-items/0"), token,
        json!({"old_description": embedded, "description": "Send the budget today"})).await;
    poison_body(&server, Method::DELETE, &format!("{c}/action-items"), token, json!({"description": embedded})).await;
    poison_query(&server, Method::PATCH, &format!("{c}/visibility"), token, &[("value", "shared")]).await;
    poison_query(&server, Method::PATCH, &format!("{c}/starred"), token, &[("starred", "true")]).await;
    poison_body(&server, Method::PATCH, &format!("{c}/folder"), token, json!({"folder_id": "work"})).await;
    poison_query(&server, Method::POST, &format!("{c}/reprocess"), token, &[("language_code", "en"), ("app_id", "app")]).await;

    poison_body(&server, Method::POST, "/v1/dev/keys", token, json!({"name": "script", "scopes": ["memories:read"]})).await;
    poison_body(&server, Method::POST, "/v1/mcp/keys", token, json!({"name": "claude"})).await;

    // Reads take query strings too: refused the same way, not a 500 from the database.
    poison_query(&server, Method::GET, "/v1/action-items", token, &[("conversation_id", conversation)]).await;
    poison_query(&server, Method::GET, "/v1/conversations", token, &[("folder_id", "work")]).await;
    poison_query(&server, Method::GET, "/v1/memories", token, &[("categories", "system")]).await;

    // Nothing changed: the memory, the item and the conversation read as before.
    let memory_now = server.get(&format!("/v1/memories/{memory}"), token).await;
    assert_eq!(memory_now["content"], "alice likes tea");
    let item_now = server.get(&format!("/v1/action-items/{item}"), token).await;
    assert_eq!(item_now["description"], "alice calls the dentist");
    still_writes(&server, token).await;
});

both_stores!(with_store the_developer_api_refuses_nul_in_every_string, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = user(&server, "alice").await;
    let key = alice.dev_key.as_str();
    let (memory, item, conversation) = (&alice.memory, &alice.item, &alice.conversation);

    poison_body(&server, Method::POST, "/v1/dev/user/memories", key, memory_body()).await;
    poison_body(&server, Method::POST, "/v1/dev/user/memories/batch", key, json!({"memories": [memory_body()]})).await;
    poison_body(&server, Method::PATCH, &format!("/v1/dev/user/memories/{memory}"), key, memory_body()).await;
    let item_body = json!({"description": "Buy milk", "due_at": "2026-12-01T09:00:00Z"});
    poison_body(&server, Method::POST, "/v1/dev/user/action-items", key, item_body.clone()).await;
    poison_body(&server, Method::POST, "/v1/dev/user/action-items/batch", key, json!({"action_items": [item_body.clone()]})).await;
    poison_body(&server, Method::PATCH, &format!("/v1/dev/user/action-items/{item}"), key, item_body).await;
    poison_body(&server, Method::POST, "/v1/dev/user/conversations", key, text_body()).await;
    poison_body(&server, Method::POST, "/v1/dev/user/conversations/from-segments", key, segments_body()).await;
    poison_body(&server, Method::PATCH, &format!("/v1/dev/user/conversations/{conversation}"), key,
        json!({"title": "Launch plan"})).await;
    poison_query(&server, Method::GET, "/v1/dev/user/action-items", key, &[("conversation_id", conversation)]).await;
    poison_query(&server, Method::GET, "/v1/dev/user/conversations", key, &[("categories", "work")]).await;

    still_writes(&server, &alice.token).await;
});

type McpClient = RunningService<RoleClient, ClientConfig>;

async fn mcp_client(server: &TestServer, key: &str) -> McpClient {
    let transport = StreamableHttpClientTransport::from_config(
        StreamableHttpClientTransportConfig::with_uri(server.url("/v1/mcp/sse")).auth_header(key),
    );
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("omi-tests", "1.0.0"),
    )
    .serve(transport)
    .await
    .expect("initialize over Streamable HTTP")
}

both_stores!(with_store mcp_tools_and_rest_refuse_nul_in_every_string, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = user(&server, "alice").await;
    let key = alice.mcp_key.as_str();
    let memory = &alice.memory;

    poison_body(&server, Method::POST, "/v1/mcp/memories", key, memory_body()).await;
    poison_query(&server, Method::PATCH, &format!("/v1/mcp/memories/{memory}"), key, &[("value", "new text")]).await;

    // The legacy transport's message endpoint reads its query in the API's error shape as well.
    for query in ["session_id=poi%00son", "session_id=a&session_id=b"] {
        let path = format!("/v1/mcp/messages?{query}");
        let refused = server
            .request(Method::POST, &path, key, Some(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})))
            .await;
        assert_refused(&refused, query);
    }

    let client = mcp_client(&server, key).await;
    let calls = [
        ("create_memory", json!({"content": "I like green tea", "category": "interesting"})),
        ("edit_memory", json!({"memory_id": memory, "content": "I like black tea"})),
        ("delete_memory", json!({"memory_id": memory})),
        ("create_action_item", json!({"description": "Buy milk", "due_at": "2026-12-01T09:00:00Z"})),
        ("complete_action_item", json!({"action_item_id": alice.item})),
        ("search_memories", json!({"query": "tea"})),
        ("get_conversation_by_id", json!({"conversation_id": alice.conversation})),
        ("get_memories", json!({"categories": ["system"]})),
    ];
    for (tool, arguments) in calls {
        for (place, arguments) in poisoned(&arguments) {
            let params = CallToolRequestParams::new(tool.to_string())
                .with_arguments(arguments.as_object().unwrap().clone());
            match client.call_tool(params).await {
                Err(ServiceError::McpError(error)) => {
                    assert_eq!(error.code.0, -32602, "{tool} with NUL in {place}: {error:?}")
                }
                other => panic!("{tool} with NUL in {place} should be refused, got {other:?}"),
            }
        }
    }
    let memory_now = server.get(&format!("/v1/memories/{memory}"), &alice.token).await;
    memory_now.assert_status(200);
    assert_eq!(memory_now["content"], "alice likes tea");
    client.cancel().await.ok();
    still_writes(&server, &alice.token).await;
});

both_stores!(with_store the_listen_socket_drops_messages_with_nul, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let token = server.token("alice").await;
    // A query parameter with NUL is refused before the upgrade, in the error shape.
    let mut refused = server
        .ws_url("/v4/listen?custom_stt=enabled&language=e%00n")
        .into_client_request()
        .unwrap();
    refused
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(refused).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 422);
            let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
            assert_eq!(body["detail"][0]["loc"], json!(["query", "language"]), "{body}");
        }
        other => panic!("a NUL in the listen query should be refused, got {other:?}"),
    }
    let mut request = server
        .ws_url("/v4/listen?custom_stt=enabled&conversation_timeout=120&codec=pcm16&sample_rate=16000")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut conversation = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.checked_duration_since(Instant::now()).expect("the session never got ready");
        let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout(left, socket.next()).await else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else { continue };
        if message["type"] == "conversation_session" {
            conversation = message["conversation_id"].as_str().map(String::from);
        }
        if message["type"] == "service_status" && message["status"] == "ready" {
            break;
        }
    }
    let conversation = conversation.expect("a conversation_session message");

    let transcript = json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": [
        {"text": "I will water the plants tomorrow.", "speaker": "SPEAKER_00", "person_id": "p1",
         "is_user": true, "start": 0.0, "end": 3.0},
    ]});
    let assigned = json!({"type": "speaker_assigned", "speaker_id": 0, "person_id": "p1", "segment_ids": ["s1"]});
    for (place, message) in poisoned(&transcript).into_iter().chain(poisoned(&assigned)) {
        // A poisoned `type` makes no message either way; an unknown field (the poisoned field name) is not
        // read, so the rest of that message is taken as it stands.
        if place == "type" || place == "a field name" {
            continue;
        }
        socket.send(Message::Text(message.to_string().into())).await.unwrap();
    }
    // A clean message after them is taken: its segment is the conversation's only one.
    let clean = json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": [
        {"text": "The clean segment arrives.", "speaker": "SPEAKER_00", "is_user": true, "start": 4.0, "end": 6.0},
    ]});
    socket.send(Message::Text(clean.to_string().into())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let stored = server.get(&format!("/v1/conversations/{conversation}"), &token).await;
        stored.assert_status(200);
        let segments = stored["transcript_segments"].as_array().cloned().unwrap_or_default();
        if !segments.is_empty() {
            assert!(!holds_nul(&stored.json), "a poisoned segment was stored: {}", stored.text);
            let texts: Vec<&str> = segments.iter().map(|s| s["text"].as_str().unwrap()).collect();
            assert_eq!(texts, ["The clean segment arrives."], "{}", stored.text);
            break;
        }
        assert!(Instant::now() < deadline, "the clean segment was not stored: {}", stored.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    socket.close(None).await.ok();
    still_writes(&server, &token).await;
});

/// The ids that name nothing of the user's, as they are put in a path: percent-encoded NUL, bytes that are not
/// UTF-8, no UUID, a UUID of nothing, and (the last) one of the other user's.
fn bad_ids(other: &str) -> Vec<(String, bool)> {
    vec![
        ("%00".into(), false),
        ("a%00b".into(), false),
        ("%ff%fe".into(), false),
        ("not-a-uuid".into(), true),
        ("4f1c2a3e-0000-4000-8000-000000000000".into(), true),
        (other.to_string(), true),
    ]
}

both_stores!(with_store bad_path_ids_get_a_json_4xx_on_every_route, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let item_body = json!({"description": "Changed"});
    let memory_edit = json!({"content": "Changed"});
    // (method, path with one `{}` for the id, body, who calls, the other user's id of that kind)
    let user_routes: Vec<(Method, String, Option<Value>, &str, &str)> = vec![
        (Method::GET, "/v1/memories/{}".into(), None, &alice.token, &bob.memory),
        (Method::PUT, "/v1/memories/{}".into(), Some(memory_edit.clone()), &alice.token, &bob.memory),
        (Method::DELETE, "/v1/memories/{}".into(), None, &alice.token, &bob.memory),
        (Method::GET, "/v1/memories/{}/history".into(), None, &alice.token, &bob.memory),
        (Method::PATCH, "/v3/memories/{}?value=Changed".into(), None, &alice.token, &bob.memory),
        (Method::DELETE, "/v3/memories/{}".into(), None, &alice.token, &bob.memory),
        (Method::POST, "/v3/memories/{}/review?value=true".into(), None, &alice.token, &bob.memory),
        (Method::PATCH, "/v3/memories/{}/visibility?value=public".into(), None, &alice.token, &bob.memory),
        (Method::GET, "/v1/action-items/{}".into(), None, &alice.token, &bob.item),
        (Method::PATCH, "/v1/action-items/{}".into(), Some(item_body.clone()), &alice.token, &bob.item),
        (Method::PUT, "/v1/action-items/{}".into(), Some(item_body.clone()), &alice.token, &bob.item),
        (Method::DELETE, "/v1/action-items/{}".into(), None, &alice.token, &bob.item),
        (Method::PATCH, "/v1/action-items/{}/completed?completed=true".into(), None, &alice.token, &bob.item),
        (Method::GET, "/v1/conversations/{}".into(), None, &alice.token, &bob.conversation),
        (Method::POST, "/v1/conversations/{}/reprocess".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/title?title=New".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/overview".into(), Some(json!({"overview": "New"})), &alice.token, &bob.conversation),
        (Method::PATCH, format!("/v1/conversations/{{}}/segments/{}/text", bob.segments[0]), Some(json!({"text": "New"})), &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/segments/0/assign?assign_type=is_user&value=true".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/segments/assign-bulk".into(),
            Some(json!({"segment_ids": [bob.segments[0]], "assign_type": "is_user", "value": "true"})), &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/assign-speaker/0?assign_type=is_user&value=true".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/events".into(), Some(json!({"events_idx": [0], "values": [true]})), &alice.token, &bob.conversation),
        (Method::GET, "/v1/conversations/{}/action-items".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/action-items".into(), Some(json!({"items_idx": [0], "values": [true]})), &alice.token, &bob.conversation),
        (Method::DELETE, "/v1/conversations/{}/action-items".into(), Some(json!({"description": "x"})), &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/action-items/0".into(), Some(json!({"old_description": "x", "description": "y"})), &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/visibility?value=public".into(), None, &alice.token, &bob.conversation),
        (Method::GET, "/v1/conversations/{}/shared".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/starred?starred=true".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/conversations/{}/folder".into(), Some(json!({"folder_id": "work"})), &alice.token, &bob.conversation),
        (Method::GET, "/v1/conversations/{}/photos".into(), None, &alice.token, &bob.conversation),
        (Method::GET, "/v1/conversations/{}/recording".into(), None, &alice.token, &bob.conversation),
        (Method::DELETE, "/v1/conversations/{}".into(), None, &alice.token, &bob.conversation),
        (Method::PATCH, "/v1/dev/user/memories/{}".into(), Some(memory_edit.clone()), &alice.dev_key, &bob.memory),
        (Method::DELETE, "/v1/dev/user/memories/{}".into(), None, &alice.dev_key, &bob.memory),
        (Method::PATCH, "/v1/dev/user/action-items/{}".into(), Some(item_body.clone()), &alice.dev_key, &bob.item),
        (Method::DELETE, "/v1/dev/user/action-items/{}".into(), None, &alice.dev_key, &bob.item),
        (Method::GET, "/v1/dev/user/conversations/{}".into(), None, &alice.dev_key, &bob.conversation),
        (Method::PATCH, "/v1/dev/user/conversations/{}".into(), Some(json!({"title": "New"})), &alice.dev_key, &bob.conversation),
        (Method::DELETE, "/v1/dev/user/conversations/{}".into(), None, &alice.dev_key, &bob.conversation),
        (Method::PATCH, "/v1/mcp/memories/{}?value=Changed".into(), None, &alice.mcp_key, &bob.memory),
        (Method::DELETE, "/v1/mcp/memories/{}".into(), None, &alice.mcp_key, &bob.memory),
        (Method::GET, "/v1/mcp/conversations/{}".into(), None, &alice.mcp_key, &bob.conversation),
        (Method::DELETE, "/v1/dev/keys/{}".into(), None, &alice.token, &bob.dev_key_id),
        (Method::DELETE, "/v1/mcp/keys/{}".into(), None, &alice.token, &bob.mcp_key_id),
    ];
    for (method, template, body, token, other) in &user_routes {
        for (id, not_found) in bad_ids(other) {
            let path = template.replacen("{}", &id, 1);
            let response = server.request(method.clone(), &path, token, body.clone()).await;
            assert_refused(&response, &format!("the id {id:?}"));
            if not_found {
                assert_eq!(response.status, 404, "{method} {path}: {}", response.text);
            } else {
                // Text no id can be: a 422 at the path parameter, the same on both stores.
                assert_eq!(response.status, 422, "{method} {path}: {}", response.text);
                assert_eq!(response["detail"][0]["loc"][0], "path", "{method} {path}: {}", response.text);
            }
        }
    }
    // The second path parameter of the segment routes too.
    let c = format!("/v1/conversations/{}", alice.conversation);
    for segment in ["%00", "%ff%fe"] {
        for (method, path, body) in [
            (Method::PATCH, format!("{c}/segments/{segment}/text"), Some(json!({"text": "New"}))),
            (Method::PATCH, format!("{c}/segments/{segment}/assign?assign_type=is_user&value=true"), None),
            (Method::PATCH, format!("{c}/assign-speaker/{segment}?assign_type=is_user&value=true"), None),
            (Method::PATCH, format!("{c}/action-items/{segment}"), Some(json!({"old_description": "x", "description": "y"}))),
        ] {
            let response = server.request(method, &path, &alice.token, body).await;
            assert_refused(&response, "a bad second path parameter");
            assert_eq!(response.status, 422, "{path}: {}", response.text);
            assert_eq!(response["detail"][0]["loc"][0], "path", "{path}: {}", response.text);
        }
    }
    // Bob's things are untouched, and both users still write.
    let memory = server.get(&format!("/v1/memories/{}", bob.memory), &bob.token).await;
    assert_eq!(memory["content"], "bob likes tea");
    let item = server.get(&format!("/v1/action-items/{}", bob.item), &bob.token).await;
    assert_eq!(item["description"], "bob calls the dentist");
    server.get(&format!("/v1/conversations/{}", bob.conversation), &bob.token).await.assert_status(200);
    assert_eq!(server.get("/v1/dev/keys", &bob.token).await.json.as_array().unwrap().len(), 1);
    assert_eq!(server.get("/v1/mcp/keys", &bob.token).await.json.as_array().unwrap().len(), 1);
    still_writes(&server, &alice.token).await;
    still_writes(&server, &bob.token).await;
});

both_stores!(with_store revoking_a_key_answers_404_unless_it_is_the_owners_live_key, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = server.token("alice").await;
    let mallory = server.token("mallory").await;
    for family in ["dev", "mcp"] {
        let other = if family == "dev" { "mcp" } else { "dev" };
        let created = server
            .post(&format!("/v1/{family}/keys"), &alice, json!({"name": "script"}))
            .await;
        created.assert_status(200);
        let (key, id) = (created["key"].as_str().unwrap(), created["id"].as_str().unwrap());
        for (token, path) in [
            (&mallory, format!("/v1/{family}/keys/{id}")),
            (&alice, format!("/v1/{other}/keys/{id}")),
            (&alice, format!("/v1/{family}/keys/not-a-uuid")),
            (&alice, format!("/v1/{family}/keys/4f1c2a3e-0000-4000-8000-000000000000")),
        ] {
            let refused = server.delete(&path, token).await;
            refused.assert_status(404);
            assert!(refused["detail"].is_string(), "{}", refused.text);
        }
        // Still alive after all that.
        let probe = if family == "dev" { "/v1/dev/user/memories" } else { "/v1/mcp/memories" };
        server.get(probe, key).await.assert_status(200);
        server.delete(&format!("/v1/{family}/keys/{id}"), &alice).await.assert_status(204);
        server.get(probe, key).await.assert_status(401);
        // Revoked, it is gone like a deleted memory: a second revocation finds nothing.
        server.delete(&format!("/v1/{family}/keys/{id}"), &alice).await.assert_status(404);
    }
});

both_stores!(with_store action_items_and_memories_link_only_conversations_of_their_own_user, |store| async move {
    let server = TestServer::start_with(store, options()).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let (own, _) = completed_conversation(&server, &alice).await;
    let (bobs, _) = completed_conversation(&server, &bob).await;
    for conversation in [bobs.as_str(), "4f1c2a3e-0000-4000-8000-000000000000", "not-a-uuid"] {
        let single = server
            .post("/v1/action-items", &alice, json!({"description": "Linked", "conversation_id": conversation}))
            .await;
        single.assert_status(422);
        assert_eq!(single["detail"][0]["loc"], json!(["body", "conversation_id"]), "{}", single.text);
        let batch = server
            .post("/v1/action-items/batch", &alice, json!([
                {"description": "Fine"},
                {"description": "Linked", "conversation_id": conversation},
            ]))
            .await;
        batch.assert_status(422);
        assert_eq!(batch["detail"][0]["loc"], json!(["body", "1", "conversation_id"]), "{}", batch.text);
    }
    let listed = server.get("/v1/action-items?limit=500", &alice).await;
    assert!(
        listed["action_items"].as_array().unwrap().iter().all(|i| i["description"] != "Linked" && i["description"] != "Fine"),
        "{}",
        listed.text
    );
    let bobs_items = server.get(&format!("/v1/action-items?conversation_id={bobs}"), &bob).await;
    assert!(bobs_items["action_items"].as_array().unwrap().iter().all(|i| i["description"] != "Linked"));
    // The user's own conversation is fine.
    let linked = server
        .post("/v1/action-items", &alice, json!({"description": "Linked", "conversation_id": own}))
        .await;
    linked.assert_status(200);
    assert_eq!(linked["conversation_id"], own.as_str());
    // A memory takes no conversation from a client at all: the field is not read, so nothing is linked.
    for path in ["/v1/memories", "/v3/memories"] {
        let memory = server
            .post(path, &alice, json!({"content": "Linked memory", "conversation_id": bobs}))
            .await;
        memory.assert_status(200);
        assert_eq!(memory["conversation_id"], Value::Null, "{}", memory.text);
    }
});

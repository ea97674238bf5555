//! Chat answered by a model speaking the OpenAI streaming wire format (a local test server), on both stores:
//! a tool call runs through the application layer as the user (the action item it creates exists afterwards)
//! before the model's streamed answer; a model that fails (an HTTP error, a stream cut before `[DONE]`) ends the
//! stream with an error and stores no answer; the model's `[n]` markers cite the numbered conversations it was
//! given or found with its search tool.

use crate::chat_support;
use crate::search_support;
use crate::webhook_support;

use std::sync::{Arc, Mutex};

use chat_support::{messages, parse};
use omi_tests::*;
use search_support::{import, processed, CORPUS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the model does for one request.
#[derive(Clone)]
enum Round {
    /// Streams these `data:` payloads, then `data: [DONE]`.
    Stream(Vec<Value>),
    /// Streams these payloads and closes without `[DONE]`.
    Cut(Vec<Value>),
    /// Answers this status.
    Fail(u16),
}

/// A chat-completions server that plays its rounds in order (then fails with 500), keeping every request body.
struct StreamingModel {
    url: String,
    requests: Arc<Mutex<Vec<Value>>>,
}

impl StreamingModel {
    async fn start(rounds: Vec<Round>) -> StreamingModel {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(rounds.into_iter()));
        let kept = requests.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (kept, script) = (kept.clone(), script.clone());
                tokio::spawn(async move { serve(socket, kept, script).await });
            }
        });
        StreamingModel { url, requests }
    }

    fn options(&self) -> StartOptions {
        StartOptions::new()
            .env("OMI_LLM_BASE_URL", self.url.clone())
            .env("OMI_LLM_MODEL", "test-model")
    }

    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(
    mut socket: TcpStream,
    kept: Arc<Mutex<Vec<Value>>>,
    script: Arc<Mutex<std::vec::IntoIter<Round>>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let body = loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            break serde_json::from_slice(&buffer[end + 4..end + 4 + length])
                .unwrap_or(Value::Null);
        }
    };
    kept.lock().unwrap().push(body);
    let round = script.lock().unwrap().next().unwrap_or(Round::Fail(500));
    let (status, payloads, done) = match round {
        Round::Stream(payloads) => (200, payloads, true),
        Round::Cut(payloads) => (200, payloads, false),
        Round::Fail(status) => (status, vec![], false),
    };
    if status != 200 {
        let body = json!({"error": {"message": "model overloaded"}}).to_string();
        let response = format!(
            "HTTP/1.1 {status} Failed\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
        return;
    }
    let mut response =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            .to_string();
    for payload in payloads {
        response.push_str(&format!("data: {payload}\n\n"));
    }
    if done {
        response.push_str("data: [DONE]\n\n");
    }
    let _ = socket.write_all(response.as_bytes()).await;
}

fn text(piece: &str) -> Value {
    json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
}

fn tool_piece(id: Option<&str>, name: Option<&str>, arguments: &str) -> Value {
    let mut function = json!({"arguments": arguments});
    if let Some(name) = name {
        function["name"] = json!(name);
    }
    let mut call = json!({"index": 0, "function": function});
    if let Some(id) = id {
        call["id"] = json!(id);
        call["type"] = json!("function");
    }
    json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}, "finish_reason": null}]})
}

both_stores!(
    with_store a_tool_call_creates_the_action_item_before_the_answer,
    |store| async move {
        let model = StreamingModel::start(vec![
            Round::Stream(vec![
                tool_piece(Some("call_1"), Some("create_action_item"), "{\"description\": \"Send Anna"),
                tool_piece(None, None, " the budget slides\"}"),
            ]),
            Round::Stream(vec![text("Done: I added "), text("the task.\nAnything else?")]),
        ])
        .await;
        let server = TestServer::start_with(store, model.options()).await;
        let token = server.token("alice").await;
        let sent = server
            .post("/v2/messages", &token, json!({"text": "Remind me to send Anna the budget slides"}))
            .await;
        sent.assert_status(200);
        let streamed = parse(&sent.text);
        assert_eq!(streamed.text(), "Done: I added the task.\nAnything else?");
        assert_eq!(streamed.answer()["text"], "Done: I added the task.\nAnything else?");

        let items = server.get("/v1/action-items", &token).await;
        items.assert_status(200);
        let descriptions: Vec<&str> = items.json["action_items"]
            .as_array()
            .expect("a list of action items")
            .iter()
            .filter_map(|item| item["description"].as_str())
            .collect();
        assert_eq!(descriptions, vec!["Send Anna the budget slides"]);

        let requests = model.requests();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0]["stream"], true);
        let tools: Vec<&str> = requests[0]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|tool| tool["function"]["name"].as_str())
            .collect();
        assert_eq!(
            tools,
            vec!["search_conversations", "search_memories", "list_action_items", "create_action_item"]
        );
        let fed_back = requests[1]["messages"].as_array().unwrap();
        let result = fed_back
            .iter()
            .find(|message| message["role"] == "tool")
            .expect("the tool's result is sent back");
        assert_eq!(result["tool_call_id"], "call_1");
        assert!(result["content"].as_str().unwrap().contains("Send Anna the budget slides"));
        assert_eq!(
            fed_back.last().unwrap()["role"],
            "tool",
            "the model goes on from the tool's result"
        );

        let bob = server.token("bob").await;
        let bobs = server.get("/v1/action-items", &bob).await;
        assert_eq!(bobs.json["action_items"], json!([]), "the item is the caller's");
    }
);

both_stores!(
    with_store a_failing_model_ends_the_stream_with_an_error_and_stores_no_answer,
    |store| async move {
        let model = StreamingModel::start(vec![
            Round::Fail(500),
            Round::Cut(vec![text("Half an ans")]),
        ])
        .await;
        let server = TestServer::start_with(store, model.options()).await;
        let token = server.token("alice").await;
        for question in ["first question", "second question"] {
            let sent = server
                .post("/v2/messages", &token, json!({"text": question}))
                .await;
            sent.assert_status(200);
            let streamed = parse(&sent.text);
            assert!(streamed.done.is_none(), "{streamed:?}");
            assert_eq!(streamed.other.len(), 1, "{streamed:?}");
            assert!(
                streamed.other[0].starts_with("error: The language model failed"),
                "{streamed:?}"
            );
        }
        let listed = messages(&server, &token, "").await;
        let senders: Vec<&str> = listed.iter().map(|m| m["sender"].as_str().unwrap()).collect();
        assert_eq!(senders, vec!["human", "human"], "no half answer is stored");

        let whole = server
            .post("/v1/messages", &token, json!({"text": "third"}))
            .await;
        whole.assert_status(503);
        assert!(whole.json["detail"].as_str().unwrap().contains("language model"));
    }
);

both_stores!(
    with_store the_models_markers_cite_the_conversations_it_was_given_or_found,
    |store| async move {
        let model = StreamingModel::start(vec![
            Round::Stream(vec![tool_piece(
                Some("call_1"),
                Some("search_conversations"),
                "{\"query\": \"squeaking brakes\"}",
            )]),
            Round::Stream(vec![text("You fly to Lisbon in June [1] "), text("and the brakes get fixed [2].")]),
        ])
        .await;
        // The conversations are processed offline first: the model here speaks only the chat's stream.
        let mut offline = TestServer::start(store).await;
        let token = offline.token("alice").await;
        let lisbon = import(&offline, &token, CORPUS[6], "2026-01-07T09:00:00+00:00").await;
        let brakes = import(&offline, &token, CORPUS[7], "2026-01-08T09:00:00+00:00").await;
        for id in [&lisbon, &brakes] {
            assert_eq!(processed(&offline, &token, id).await["status"], "completed");
        }
        offline.stop().await;
        let server = TestServer::start_with(store, model.options().reuse_data(offline.data())).await;
        let token = server.token("alice").await;
        let sent = server
            .post("/v2/messages", &token, json!({"text": "flights to Lisbon"}))
            .await;
        sent.assert_status(200);
        let streamed = parse(&sent.text);
        let answer = streamed.answer();
        assert_eq!(answer["text"], "You fly to Lisbon in June and the brakes get fixed.");
        assert_eq!(answer["memories_id"], json!([lisbon, brakes]));
        assert_eq!(answer["memories"][1]["id"], brakes);

        let requests = model.requests();
        let system = requests[0]["messages"][0]["content"].as_str().unwrap();
        assert!(system.contains("[1] "), "{system}");
        assert!(system.contains("Lisbon"), "{system}");
        assert!(!system.contains("[2] "), "only the conversation search found is numbered: {system}");
        let result = requests[1]["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|message| message["role"] == "tool")
            .unwrap();
        let found: Value = serde_json::from_str(result["content"].as_str().unwrap()).unwrap();
        assert_eq!(found["conversations"][0]["number"], 2, "{found}");
        assert_eq!(messages(&server, &token, "").await[0]["id"], answer["id"]);
    }
);

both_stores!(
    with_store an_apps_chat_speaks_with_the_apps_prompt,
    |store| async move {
        let model = StreamingModel::start(vec![
            Round::Stream(vec![text("Hello from Buddy!")]),
            Round::Stream(vec![text("Hello from Omi.")]),
        ])
        .await;
        let server = TestServer::start_with(store, model.options()).await;
        let token = server.token("alice").await;
        let app_data = json!({
            "name": "Buddy", "description": "Buddy talks with you", "category": "entertainment-and-fun",
            "capabilities": ["chat"], "chat_prompt": "You are a cheerful companion who loves gardening.",
        });
        let (content_type, body) = multipart_app(&app_data.to_string());
        let created = send(
            Method::POST,
            &server.url("/v1/apps"),
            server
                .client()
                .builder(Method::POST, "/v1/apps", &token)
                .header("content-type", content_type)
                .body(body),
        )
        .await;
        created.assert_status(200);
        let app = created["app_id"].as_str().unwrap().to_string();
        let sent = server
            .post(&format!("/v2/messages?app_id={app}"), &token, json!({"text": "hello"}))
            .await;
        sent.assert_status(200);
        assert_eq!(parse(&sent.text).text(), "Hello from Buddy!");
        let main = server.post("/v2/messages", &token, json!({"text": "hello"})).await;
        assert_eq!(parse(&main.text).text(), "Hello from Omi.");

        let requests = model.requests();
        let system = |n: usize| requests[n]["messages"][0]["content"].as_str().unwrap().to_string();
        assert!(system(0).starts_with("You are Buddy, an app the user chats with. You are a cheerful companion who loves gardening."), "{}", system(0));
        assert!(system(1).starts_with("You are Omi"), "{}", system(1));
        assert!(!system(1).contains("gardening"));
    }
);

/// A `multipart/form-data` body holding `app_data`, and its content type.
fn multipart_app(app_data: &str) -> (String, Vec<u8>) {
    let boundary = "omi-chat-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"app_data\"\r\n\r\n{app_data}\r\n--{boundary}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

both_stores!(
    with_store an_apps_manifest_tool_is_called_by_the_model_at_its_endpoint,
    |store| async move {
        let tool_server = webhook_support::Receiver::start().await;
        tool_server.answer(200, r#"{"result": "Sunny, 21 degrees in Oslo"}"#);
        let manifest_server = webhook_support::Receiver::start().await;
        let manifest = json!({"tools": [{
            "name": "get_weather", "description": "Today's weather in a city",
            "endpoint": tool_server.url("/tools/weather"),
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
            "status_message": "Looking at the sky",
        }]});
        manifest_server.answer(200, &manifest.to_string());
        let model = StreamingModel::start(vec![
            Round::Stream(vec![tool_piece(Some("call_1"), Some("get_weather"), "{\"city\": \"Oslo\"}")]),
            Round::Stream(vec![text("It is sunny in Oslo.")]),
        ])
        .await;
        let server = TestServer::start_with(store, model.options().env("OMI_WEBHOOK_ALLOW_PRIVATE", "1")).await;
        let token = server.token("alice").await;
        let app_data = json!({
            "name": "Weather", "description": "Weather in chat", "category": "utilities-and-tools",
            "capabilities": ["chat", "external_integration"], "chat_prompt": "You know the weather.",
            "external_integration": {"actions": [{"action": "read_memories"}], "chat_tools_manifest_url": manifest_server.url("/manifest.json")},
        });
        let (content_type, body) = multipart_app(&app_data.to_string());
        let created = send(
            Method::POST,
            &server.url("/v1/apps"),
            server.client().builder(Method::POST, "/v1/apps", &token).header("content-type", content_type).body(body),
        )
        .await;
        created.assert_status(200);
        let app = created["app_id"].as_str().unwrap().to_string();
        let shown = server.get(&format!("/v1/apps/{app}"), &token).await;
        assert_eq!(shown["chat_tools"][0]["name"], "get_weather");
        assert_eq!(shown["chat_tools"][0]["method"], "POST");
        assert_eq!(shown["chat_tools"][0]["status_message"], "Looking at the sky");
        let refreshed = server.post(&format!("/v1/apps/{app}/refresh-manifest"), &token, json!({})).await;
        refreshed.assert_status(200);
        assert_eq!(refreshed.json, json!({"status": "ok", "tools_count": 1}));

        let sent = server
            .post(&format!("/v2/messages?app_id={app}"), &token, json!({"text": "How is the weather in Oslo?"}))
            .await;
        sent.assert_status(200);
        assert_eq!(parse(&sent.text).text(), "It is sunny in Oslo.");
        let called = tool_server.received();
        assert_eq!(called.len(), 1);
        assert_eq!(called[0].target, "/tools/weather");
        assert_eq!(called[0].json(), json!({"city": "Oslo", "uid": "alice", "app_id": app, "tool_name": "get_weather"}));
        let requests = model.requests();
        let offered: Vec<&str> = requests[0]["tools"].as_array().unwrap().iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
        assert!(offered.contains(&"get_weather") && offered.contains(&"search_conversations"), "{offered:?}");
        let answered = requests[1]["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(answered["role"], "tool");
        assert_eq!(answered["content"], json!({"result": "Sunny, 21 degrees in Oslo"}).to_string());

        // The owner's refresh: a broken manifest is a 502 and keeps the tools; an app without a manifest is a 400.
        manifest_server.answer(200, r#"{"tools": [{"name": "bad name"}]}"#);
        let broken = server.post(&format!("/v1/apps/{app}/refresh-manifest"), &token, json!({})).await;
        broken.assert_status(502);
        assert_eq!(server.get(&format!("/v1/apps/{app}"), &token).await["chat_tools"][0]["name"], "get_weather");
        let other = server.token("bob").await;
        server.post(&format!("/v1/apps/{app}/refresh-manifest"), &other, json!({})).await.assert_status(403);
        let plain = json!({"name": "Plain", "description": "No tools", "category": "utilities-and-tools", "capabilities": ["chat"], "chat_prompt": "Hi."});
        let (content_type, body) = multipart_app(&plain.to_string());
        let created = send(
            Method::POST,
            &server.url("/v1/apps"),
            server.client().builder(Method::POST, "/v1/apps", &token).header("content-type", content_type).body(body),
        )
        .await;
        let plain_id = created["app_id"].as_str().unwrap().to_string();
        server.post(&format!("/v1/apps/{plain_id}/refresh-manifest"), &token, json!({})).await.assert_status(400);
    }
);

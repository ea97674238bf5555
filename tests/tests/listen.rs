//! `/v4/listen` with a real WebSocket client: a device-like session with on-device transcripts (custom STT) that
//! ends in a processed conversation, silence splits, disconnect and resume, bad parameters and auth.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use omi_tests::*;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Fast silence splits and a quick sweep, for tests.
fn fast() -> StartOptions {
    StartOptions::new()
        .env("OMI_MIN_CONVERSATION_TIMEOUT", "1")
        .env("OMI_LISTEN_INACTIVITY_SECS", "30")
}

async fn connect(server: &TestServer, token: &str, query: &str) -> Socket {
    let mut request = server
        .ws_url(&format!("/v4/listen?{query}"))
        .into_client_request()
        .unwrap();
    if !token.is_empty() {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    socket
}

/// The next JSON message (skipping `ping`), or `None` once closed or after `within`.
async fn next_json(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str() == "ping" => continue,
            Ok(Some(Ok(Message::Text(text)))) => {
                return Some(serde_json::from_str(text.as_str()).unwrap())
            }
            Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => return None,
            Ok(Some(Ok(_))) => continue,
            Err(_) => return None,
        }
    }
}

/// Reads messages until one satisfies `wanted`.
async fn wait_for(
    socket: &mut Socket,
    within: Duration,
    mut wanted: impl FnMut(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    while let Some(message) =
        next_json(socket, deadline.saturating_duration_since(Instant::now())).await
    {
        if wanted(&message) {
            return message;
        }
    }
    panic!("the expected message did not arrive in {within:?}");
}

fn of_type(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == kind
}

/// The close code the server ends the socket with.
async fn close_code(socket: &mut Socket) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(Duration::from_secs(40), socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

async fn say(socket: &mut Socket, segments: Value) {
    let message =
        json!({"type": "suggested_transcript", "stt_provider": "on-device", "segments": segments});
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

async fn started(socket: &mut Socket) {
    wait_for(socket, Duration::from_secs(10), |m| {
        m["type"] == "service_status" && m["status"] == "ready"
    })
    .await;
}

async fn session_id(socket: &mut Socket) -> String {
    let session = wait_for(
        socket,
        Duration::from_secs(10),
        of_type("conversation_session"),
    )
    .await;
    assert_eq!(session["status"], "in_progress");
    session["conversation_id"].as_str().unwrap().to_string()
}

both_stores!(with_store a_custom_stt_session_ends_in_a_processed_conversation, |store| async move {
    let server = TestServer::start_with(store, fast()).await;
    let token = server.token("alice").await;
    let mut socket = connect(&server, &token, "custom_stt=enabled&conversation_timeout=2&codec=pcm16&sample_rate=16000").await;
    let first = wait_for(&mut socket, Duration::from_secs(10), of_type("service_status")).await;
    assert_eq!(first["status"], "initiating");
    let id = session_id(&mut socket).await;
    started(&mut socket).await;

    // Keepalives and audio are accepted alongside client transcripts.
    socket.send(Message::Binary(vec![0u8, 0].into())).await.unwrap();
    socket.send(Message::Binary(vec![0u8; 640].into())).await.unwrap();
    say(&mut socket, json!([
        {"text": "Hey, thanks for meeting with me about the product launch.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.0, "end": 3.0},
        {"text": "Of course. We need to finalize the budget by Friday.", "speaker": "SPEAKER_01", "start": 3.2, "end": 6.0},
        {"text": "I'll send the updated budget spreadsheet tomorrow at 9am.", "speaker": "SPEAKER_00", "is_user": true, "start": 6.1, "end": 9.0},
    ])).await;
    let segments = wait_for(&mut socket, Duration::from_secs(10), |m| m.is_array()).await;
    assert_eq!(segments.as_array().unwrap().len(), 3);
    assert_eq!(segments[0]["start"], 0.0, "times are on the conversation's timeline");
    assert_eq!(segments[2]["is_user"], true);
    assert_eq!(segments[2]["stt_provider"], "on-device");
    say(&mut socket, json!([
        {"text": "Also, I love hiking, so let's do the offsite in the mountains.", "speaker": "SPEAKER_00", "is_user": true, "start": 9.5, "end": 12.0},
    ])).await;
    let glued = wait_for(&mut socket, Duration::from_secs(10), |m| m.is_array()).await;
    assert_eq!(glued[0]["id"], segments[2]["id"], "the same speaker continuing is glued to the stored segment");

    let handed = wait_for(&mut socket, Duration::from_secs(15), of_type("memory_processing_started")).await;
    assert_eq!(handed["memory"]["id"], id.as_str());
    let mut next = None;
    let created = wait_for(&mut socket, Duration::from_secs(30), |m| {
        if m["type"] == "conversation_session" {
            next = m["conversation_id"].as_str().map(String::from);
        }
        m["type"] == "memory_created"
    })
    .await;
    let conversation = &created["memory"];
    assert_eq!(conversation["id"], id.as_str());
    assert_eq!(conversation["status"], "completed");
    assert_eq!(conversation["discarded"], false);
    assert!(!conversation["structured"]["title"].as_str().unwrap().is_empty());
    let next = match next {
        Some(next) => next,
        None => session_id(&mut socket).await,
    };
    assert_ne!(next, id, "a new conversation starts after the split");

    let stored = server.get(&format!("/v1/conversations/{id}"), &token).await;
    stored.assert_status(200);
    assert_eq!(stored["transcript_segments"].as_array().unwrap().len(), 3);
    let items = wait_until_listed(&server, &token, &format!("/v1/action-items?conversation_id={id}"), "action_items").await;
    assert!(items.iter().any(|i| i["description"].as_str().unwrap().to_lowercase().contains("budget")), "{items:?}");
    assert!(items.iter().any(|i| i["due_at"].is_string()));
    let started = Instant::now();
    loop {
        let memories = server.get("/v1/memories", &token).await;
        if memories.json.as_array().unwrap().iter().any(|m| m["conversation_id"] == id.as_str()) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no memory was extracted: {}", memories.text);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
});

/// Polls a list endpoint until it is non-empty (the sync after processing is a reaction of its own).
async fn wait_until_listed(server: &TestServer, token: &str, path: &str, key: &str) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let listed = server.get(path, token).await;
        let items = listed[key].as_array().cloned().unwrap_or_default();
        if !items.is_empty() || started.elapsed() > Duration::from_secs(15) {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

both_stores!(with_store a_dropped_session_is_resumed_and_left_conversations_are_swept, |store| async move {
    let server = TestServer::start_with(store, fast()).await;
    let token = server.token("bob").await;
    let mut socket = connect(&server, &token, "custom_stt=enabled&conversation_timeout=30").await;
    let id = session_id(&mut socket).await;
    started(&mut socket).await;
    say(&mut socket, json!([{"text": "Remind me to water the plants tonight.", "speaker": "SPEAKER_00", "is_user": true, "start": 0.5, "end": 2.0}])).await;
    wait_for(&mut socket, Duration::from_secs(10), |m| m.is_array()).await;
    drop(socket);

    let mut again = connect(&server, &token, "custom_stt=enabled&conversation_timeout=30").await;
    assert_eq!(session_id(&mut again).await, id, "a recent in-progress conversation is resumed");
    started(&mut again).await;
    say(&mut again, json!([{"text": "And I need to call the landlord on Monday.", "speaker": "SPEAKER_01", "start": 0.2, "end": 2.0}])).await;
    wait_for(&mut again, Duration::from_secs(10), |m| m.is_array()).await;
    drop(again);

    let listed = server.get("/v1/conversations?statuses=in_progress", &token).await;
    assert_eq!(listed[0]["id"], id.as_str());
    // Nobody is listening any more: the sweep finishes the conversation.
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), &token).await;
        if conversation["status"] == "completed" {
            assert_eq!(conversation["transcript_segments"].as_array().unwrap().len(), 2);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the sweep did not finish it: {}", conversation.text);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
});

both_stores!(with_store bad_auth_and_bad_parameters_close_with_1008, |store| async move {
    let server = TestServer::start_with(store, fast()).await;
    let mut anonymous = connect(&server, "", "custom_stt=enabled").await;
    assert_eq!(close_code(&mut anonymous).await, Some(CloseCode::Policy));
    let mut forged = connect(&server, "not-a-token", "custom_stt=enabled").await;
    assert_eq!(close_code(&mut forged).await, Some(CloseCode::Policy));
    let token = server.token("carol").await;
    let mut codec = connect(&server, &token, "codec=mp3").await;
    assert_eq!(close_code(&mut codec).await, Some(CloseCode::Policy));
    let mut rate = connect(&server, &token, "codec=opus&sample_rate=8000").await;
    assert_eq!(close_code(&mut rate).await, Some(CloseCode::Policy), "opus is decoded at 16 kHz only");
    let plain = server.get("/v4/listen", &token).await;
    plain.assert_status(400);
    assert!(plain["detail"].is_string());
});

both_stores!(with_store a_silent_client_is_closed_with_1001, |store| async move {
    let server = TestServer::start_with(store, StartOptions::new().env("OMI_LISTEN_INACTIVITY_SECS", "2")).await;
    let token = server.token("dave").await;
    let mut socket = connect(&server, &token, "custom_stt=enabled").await;
    assert_eq!(close_code(&mut socket).await, Some(CloseCode::Away));
});

both_stores!(with_store an_empty_conversation_is_deleted_not_processed, |store| async move {
    let server = TestServer::start_with(store, fast()).await;
    let token = server.token("erin").await;
    let mut socket = connect(&server, &token, "custom_stt=enabled&conversation_timeout=1").await;
    let id = session_id(&mut socket).await;
    started(&mut socket).await;
    drop(socket);
    let started = Instant::now();
    while server.get(&format!("/v1/conversations/{id}"), &token).await.status != 404 {
        assert!(started.elapsed() < Duration::from_secs(30), "the empty stub was not removed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
});

both_stores!(with_store segments_sent_back_to_back_each_come_back_once_merged_in_order, |store| async move {
    let server = TestServer::start_with(store, fast()).await;
    let token = server.token("frank").await;
    let mut socket = connect(&server, &token, "custom_stt=enabled&conversation_timeout=60").await;
    let id = session_id(&mut socket).await;
    started(&mut socket).await;

    // Ten messages without waiting for answers; the speakers change so that the merge rule (§2.4) joins some of
    // them: however they are grouped into merges, the transcript ends up the same.
    let speakers = [0, 0, 1, 0, 1, 1, 1, 0, 1, 0];
    let texts: Vec<String> = (0..speakers.len()).map(|i| format!("Part {i} of the plan.")).collect();
    for (i, speaker) in speakers.iter().enumerate() {
        say(&mut socket, json!([{"text": texts[i], "speaker": format!("SPEAKER_0{speaker}"),
            "start": i as f64, "end": i as f64 + 0.8}])).await;
    }
    let expected: Vec<String> = vec![
        "Part 0 of the plan. Part 1 of the plan.".into(),
        "Part 2 of the plan.".into(),
        "Part 3 of the plan.".into(),
        "Part 4 of the plan. Part 5 of the plan. Part 6 of the plan.".into(),
        "Part 7 of the plan.".into(),
        "Part 8 of the plan.".into(),
        "Part 9 of the plan.".into(),
    ];

    // Every array holds new or updated segments; an update keeps the id and only extends the text.
    let mut order: Vec<String> = Vec::new();
    let mut latest: HashMap<String, String> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while order.iter().map(|id| latest[id].clone()).collect::<Vec<_>>() != expected {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(message) = next_json(&mut socket, left).await else {
            panic!("the transcript did not complete; it is {order:?} {latest:?}");
        };
        let Some(segments) = message.as_array() else { continue };
        let mut ids_here = HashSet::new();
        for segment in segments {
            let segment_id = segment["id"].as_str().unwrap().to_string();
            let text = segment["text"].as_str().unwrap().to_string();
            assert!(ids_here.insert(segment_id.clone()), "a segment twice in one array: {message}");
            match latest.get(&segment_id) {
                Some(before) => assert!(text.starts_with(before.as_str()) && text.len() > before.len(),
                    "an update must extend the segment: {before:?} then {text:?}"),
                None => order.push(segment_id.clone()),
            }
            latest.insert(segment_id, text);
        }
    }
    // Each part is in the transcript exactly once, in the order it was said.
    let joined = expected.join(" ");
    for text in &texts {
        assert_eq!(joined.matches(text.as_str()).count(), 1);
    }
    // Nothing more comes back for these parts.
    if let Some(extra) = next_json(&mut socket, Duration::from_millis(500)).await {
        assert!(!extra.is_array(), "an unexpected transcript update: {extra}");
    }

    // The stored conversation holds the same segments (read-your-writes: it was readable before the arrays were sent).
    let stored = server.get(&format!("/v1/conversations/{id}"), &token).await;
    stored.assert_status(200);
    let stored: Vec<(String, String)> = stored["transcript_segments"].as_array().unwrap().iter()
        .map(|s| (s["id"].as_str().unwrap().to_string(), s["text"].as_str().unwrap().to_string()))
        .collect();
    let sent_back: Vec<(String, String)> = order.iter().map(|id| (id.clone(), latest[id].clone())).collect();
    assert_eq!(stored, sent_back);
});

//! What the change-feed suites share: writing events through the API, reading the feed page by page, and a
//! Server-Sent Events reader over a plain HTTP response.

#![allow(dead_code)]

use std::collections::HashSet;
use std::time::Duration;

use omi_tests::*;

/// Creates `count` memories for the token's user, one request each; returns their ids in order.
pub async fn create_memories(
    server: &TestServer,
    token: &str,
    prefix: &str,
    count: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let created = server
            .post(
                "/v1/memories",
                token,
                json!({"content": format!("{prefix} {n}")}),
            )
            .await;
        created.assert_status(200);
        ids.push(created["id"].as_str().unwrap().to_string());
    }
    ids
}

/// One page of `path` (`/v1/changes` or the developer API's) after `after`.
pub async fn page(
    server: &TestServer,
    path: &str,
    token: &str,
    after: &str,
    limit: usize,
) -> (Vec<Value>, String) {
    let url = if after.is_empty() {
        format!("{path}?limit={limit}")
    } else {
        format!("{path}?limit={limit}&after={after}")
    };
    let answer = server.get(&url, token).await;
    answer.assert_status(200);
    let events = answer["events"].as_array().unwrap().clone();
    let cursor = answer["cursor"].as_str().unwrap().to_string();
    assert!(
        events.len() <= limit,
        "{} events on a page of {limit}",
        events.len()
    );
    if let Some(last) = events.last() {
        assert_eq!(
            last["position"].as_str().unwrap(),
            cursor,
            "the cursor is the last event's position"
        );
    } else if !after.is_empty() {
        assert_eq!(
            cursor, after,
            "an empty page keeps the cursor it was asked with"
        );
    }
    (events, cursor)
}

/// Every page from `after` on until an empty one; the events and the cursor reached.
pub async fn read_to_end(
    server: &TestServer,
    path: &str,
    token: &str,
    after: &str,
    limit: usize,
) -> (Vec<Value>, String) {
    let mut all = Vec::new();
    let mut cursor = after.to_string();
    loop {
        let (events, next) = page(server, path, token, &cursor, limit).await;
        cursor = next;
        if events.is_empty() {
            return (all, cursor);
        }
        all.extend(events);
    }
}

/// The memory ids the events' payloads are about, in order (for `MemoryCreated` events).
pub fn created_memories(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["event"] == "MemoryCreated")
        .map(|e| e["aggregate_id"].as_str().unwrap().to_string())
        .collect()
}

/// Panics unless every event id appears once.
#[track_caller]
pub fn assert_each_once(events: &[Value]) {
    let mut seen = HashSet::new();
    for event in events {
        let id = event["id"].as_str().unwrap();
        assert!(seen.insert(id.to_string()), "{id} was shown twice");
    }
}

/// One frame of an event stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A comment (`: keep-alive`).
    Comment(String),
    /// An event: its `id`, `event` and the JSON of its `data`.
    Event {
        id: String,
        event: String,
        data: Value,
    },
}

/// A reader of a `text/event-stream` response.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// Opens `path` with `token` and, when given, `Last-Event-ID`; panics unless the answer is a 200 stream.
    pub async fn open(
        server: &TestServer,
        path: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> EventStream {
        let response = Self::request(server, path, token, last_event_id).await;
        assert_eq!(
            response.status().as_u16(),
            200,
            "{path}: {:?}",
            response.text().await
        );
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        EventStream {
            response,
            buffer: String::new(),
        }
    }

    /// The raw answer to opening `path`.
    pub async fn request(
        server: &TestServer,
        path: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .get(server.url(path))
            .header("Authorization", format!("Bearer {token}"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        request.send().await.unwrap()
    }

    /// The next frame, or `None` when `within` passes first (or the stream ends).
    pub async fn next(&mut self, within: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let text: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&text));
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?;
            match chunk.unwrap() {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => return None,
            }
        }
    }

    /// The next event, passing over comments; `None` when `within` passes first.
    pub async fn next_event(&mut self, within: Duration) -> Option<(String, String, Value)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await? {
                Frame::Event { id, event, data } => return Some((id, event, data)),
                Frame::Comment(_) => {}
            }
        }
    }

    /// Events until none comes for `quiet`.
    pub async fn events_until_quiet(&mut self, quiet: Duration) -> Vec<(String, String, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event(quiet).await {
            events.push(event);
        }
        events
    }
}

fn parse(text: &str) -> Frame {
    let mut id = String::new();
    let mut event = String::new();
    let mut data = Vec::new();
    let mut comment = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(':') {
            comment = Some(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("id: ") {
            id = rest.to_string();
        } else if let Some(rest) = line.strip_prefix("event: ") {
            event = rest.to_string();
        } else if let Some(rest) = line.strip_prefix("data: ") {
            data.push(rest);
        }
    }
    if data.is_empty() {
        return Frame::Comment(comment.unwrap_or_default());
    }
    Frame::Event {
        id,
        event,
        data: serde_json::from_str(&data.join("\n")).unwrap(),
    }
}

//! A client of the chat stream as the reference's format says (spec §6.4): frames end with a blank line;
//! `data: ` frames are chunks of text with their newlines written `__CRLF__`, `done: ` carries the stored
//! answer as base64 JSON; any other line (`think: `, `error: `) is not text.

#![allow(dead_code)]

use base64::Engine;
use omi_tests::*;

/// What a streamed answer carried.
#[derive(Debug)]
pub struct Streamed {
    /// The chunks, decoded.
    pub chunks: Vec<String>,
    /// The stored answer of the `done:` frame.
    pub done: Option<Value>,
    /// The frames that were neither chunks nor the answer.
    pub other: Vec<String>,
}

impl Streamed {
    /// The chunks joined.
    pub fn text(&self) -> String {
        self.chunks.concat()
    }

    /// The stored answer; panics when the stream carried none.
    pub fn answer(&self) -> &Value {
        self.done
            .as_ref()
            .unwrap_or_else(|| panic!("no done frame in {self:?}"))
    }
}

/// Reads an event stream's body.
pub fn parse(body: &str) -> Streamed {
    let mut streamed = Streamed {
        chunks: Vec::new(),
        done: None,
        other: Vec::new(),
    };
    for frame in body.split("\n\n").filter(|frame| !frame.is_empty()) {
        assert!(
            !frame.contains('\n'),
            "a frame is one line (newlines are written __CRLF__): {frame:?}"
        );
        if let Some(text) = frame.strip_prefix("data: ") {
            streamed.chunks.push(text.replace("__CRLF__", "\n"));
        } else if let Some(encoded) = frame.strip_prefix("done: ") {
            let json = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .expect("done: carries base64");
            streamed.done = Some(serde_json::from_slice(&json).expect("done: carries JSON"));
        } else {
            streamed.other.push(frame.to_string());
        }
    }
    streamed
}

/// Sends `text` to the chat of `query` (`""` or `?app_id=…`) and reads the whole stream.
pub async fn send(server: &TestServer, token: &str, query: &str, text: &str) -> Streamed {
    let sent = server
        .post(
            &format!("/v2/messages{query}"),
            token,
            json!({ "text": text }),
        )
        .await;
    sent.assert_status(200);
    assert_eq!(sent.header("content-type"), Some("text/event-stream"));
    parse(&sent.text)
}

/// The messages of the chat of `query`, newest first.
pub async fn messages(server: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let listed = server.get(&format!("/v2/messages{query}"), token).await;
    listed.assert_status(200);
    listed.json.as_array().expect("a list").clone()
}

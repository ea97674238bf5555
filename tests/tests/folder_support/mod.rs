//! What the folder suites share: reading the folder list, creating folders and conversations, and waiting for
//! processing. Each suite uses some of them.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use omi_tests::*;

/// The user's folders (`GET /v1/folders`), in their order.
pub async fn folders(server: &TestServer, token: &str) -> Vec<Value> {
    let list = server.get("/v1/folders", token).await;
    list.assert_status(200);
    list.json.as_array().expect("a list").clone()
}

/// The folder named `name` among `list`.
pub fn named<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|folder| folder["name"] == name)
        .unwrap_or_else(|| panic!("no folder {name} in {list:?}"))
}

/// The id of the user's folder named `name`.
pub async fn folder_id(server: &TestServer, token: &str, name: &str) -> String {
    named(&folders(server, token).await, name)["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The `conversation_count` of the user's folder `id`.
pub async fn count(server: &TestServer, token: &str, id: &str) -> i64 {
    let folder = server.get(&format!("/v1/folders/{id}"), token).await;
    folder.assert_status(200);
    folder["conversation_count"].as_i64().unwrap()
}

/// Creates a custom folder named `name`; returns its id.
pub async fn create(server: &TestServer, token: &str, name: &str) -> String {
    let created = server
        .post("/v1/folders", token, json!({"name": name}))
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

/// Imports a conversation of `text` and waits until it is processed and kept (the text must be worth keeping,
/// for instance name a decision); returns it.
pub async fn processed(server: &TestServer, token: &str, text: &str) -> Value {
    let created = server
        .post(
            "/v1/conversations/from-text",
            token,
            json!({"text": text, "started_at": "2026-11-20T10:00:00Z"}),
        )
        .await;
    created.assert_status(200);
    let id = created["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let read = server.get(&format!("/v1/conversations/{id}"), token).await;
        if read["status"] == "completed" {
            assert_eq!(read["discarded"], false, "{}", read.text);
            return read.json;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "conversation {id} was not processed: {}",
            read.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Moves conversation `id` into folder `folder` (`null` takes it out); returns the answer.
pub async fn move_to(server: &TestServer, token: &str, id: &str, folder: Value) -> Response {
    server
        .patch(
            &format!("/v1/conversations/{id}/folder"),
            token,
            json!({ "folder_id": folder }),
        )
        .await
}

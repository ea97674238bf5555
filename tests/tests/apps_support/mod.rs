//! What the app suites share: the multipart body of app creation and edits, app definitions, a server with an
//! admin key, and a local setup endpoint for the §5.6 check.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use omi_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The admin secret the suites start servers with.
pub const ADMIN_KEY: &str = "apps-admin-secret";

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda, 0x63, 0xfc, 0xcf, 0xc0, 0x50,
    0x0f, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xa9, 0x8c, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A server with `ADMIN_KEY` set and outbound requests allowed to reach this machine.
pub async fn start(store: Store) -> TestServer {
    TestServer::start_with(
        store,
        StartOptions::new()
            .env("ADMIN_KEY", ADMIN_KEY)
            .env("OMI_WEBHOOK_ALLOW_PRIVATE", "1"),
    )
    .await
}

/// A conversations app named `name` in `category`.
pub fn memories_app(name: &str, category: &str) -> Value {
    json!({
        "name": name,
        "description": format!("{name} summarizes every conversation"),
        "category": category,
        "capabilities": ["memories"],
        "memory_prompt": "Summarize the conversation in three bullet points.",
    })
}

/// A chat app named `name`.
pub fn chat_app(name: &str) -> Value {
    json!({
        "name": name,
        "description": format!("{name} talks with you"),
        "category": "entertainment-and-fun",
        "capabilities": ["chat"],
        "chat_prompt": "You are a cheerful companion.",
    })
}

/// A `multipart/form-data` body with `app_data` and, if given, `file`; and its content type.
pub fn multipart(app_data: &str, file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "omi-apps-test-boundary-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"app_data\"\r\n\r\n{app_data}\r\n"
        )
        .as_bytes(),
    );
    if let Some((content_type, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"logo\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends `app_data` (raw text) and a file as multipart.
pub async fn send_form(
    server: &TestServer,
    method: Method,
    path: &str,
    token: &str,
    app_data: &str,
    file: Option<(&str, &[u8])>,
) -> Response {
    let (content_type, body) = multipart(app_data, file);
    let builder = server
        .client()
        .builder(method.clone(), path, token)
        .header("content-type", content_type)
        .body(body);
    send(method, &server.url(path), builder).await
}

/// Creates an app with the PNG logo; its id.
pub async fn create_app(server: &TestServer, token: &str, app_data: &Value) -> String {
    let created = send_form(
        server,
        Method::POST,
        "/v1/apps",
        token,
        &app_data.to_string(),
        Some(("image/png", PNG)),
    )
    .await;
    created.assert_status(200);
    assert_eq!(created["status"], "ok");
    created["app_id"].as_str().unwrap().to_string()
}

/// Sends an admin request with the secret.
pub async fn admin(
    server: &TestServer,
    method: Method,
    path: &str,
    secret: Option<&str>,
) -> Response {
    let mut builder = server.client().builder(method.clone(), path, "");
    if let Some(secret) = secret {
        builder = builder.header("secret-key", secret);
    }
    send(method, &server.url(path), builder).await
}

/// Approves `app_id` as the admin.
pub async fn approve(server: &TestServer, app_id: &str) {
    admin(
        server,
        Method::POST,
        &format!("/v1/apps/{app_id}/approve"),
        Some(ADMIN_KEY),
    )
    .await
    .assert_status(200);
}

/// The ids of the apps in a list answer.
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|app| app["id"].as_str().unwrap().to_string())
        .collect()
}

/// A setup endpoint on this machine that says setup is completed for `done_uid` only; its URL.
pub async fn setup_endpoint(done_uid: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = vec![0u8; 4096];
                let read = socket.read(&mut request).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&request[..read]).to_string();
                let done = head
                    .lines()
                    .next()
                    .is_some_and(|line| line.contains(&format!("uid={done_uid} ")));
                let body = json!({"is_setup_completed": done}).to_string();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{address}/setup")
}

/// Polls `check` until it holds (10 s at most).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(20), "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! Opening a `/v4/listen` session in tests: the socket, once the server says the session is ready.

#![allow(dead_code)]

use std::time::Duration;

use futures_util::StreamExt;
use omi_tests::*;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/v4/listen?<query>` as the user of `token` and reads until the session is ready (10 s at most).
pub async fn open_ready(server: &TestServer, token: &str, query: &str) -> Socket {
    let mut request = server
        .ws_url(&format!("/v4/listen?{query}"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("the session answers")
            .expect("the session stays open")
            .unwrap();
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(text.as_str()).unwrap_or(Value::Null);
            if value["type"] == "service_status" && value["status"] == "ready" {
                return socket;
            }
        }
    }
}

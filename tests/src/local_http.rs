//! The HTTP/1.1 of the local stand-ins for outside services (`FakeModel`, `FakeEmbeddings`, the FCM server of
//! the push tests): one request per
//! connection, read whole, answered with JSON, then the connection is closed.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A request as a stand-in reads it.
pub struct LocalRequest {
    /// The request line, e.g. `POST /v1/embeddings HTTP/1.1`.
    pub request_line: String,
    /// The `Authorization` header, empty when there was none.
    pub authorization: String,
    pub body: Vec<u8>,
}

impl LocalRequest {
    /// The path of the request line, e.g. `/v1/embeddings`.
    pub fn path(&self) -> &str {
        self.request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
    }
}

/// Reads one whole request (its head and `Content-Length` bytes of body); `None` if the client left first.
pub async fn read_request(socket: &mut TcpStream) -> Option<LocalRequest> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_string();
        let header = |name: &str| {
            head.lines().skip(1).find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_string())
            })
        };
        let length: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            return Some(LocalRequest {
                request_line: head.lines().next().unwrap_or_default().to_string(),
                authorization: header("authorization").unwrap_or_default(),
                body: buffer[end + 4..end + 4 + length].to_vec(),
            });
        }
    }
}

/// Answers `status` (e.g. `200 OK`) with the JSON `body` and closes the connection.
pub async fn respond_json(socket: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(response.as_bytes()).await;
}

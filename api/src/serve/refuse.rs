//! The answer to a connection beyond `OMI_MAX_CONNECTIONS`: a short 503 and a close, instead of a hang.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The whole answer. It is written before the request is read: the request does not change it.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
content-length: 65\r\n\
retry-after: 1\r\n\
connection: close\r\n\
\r\n\
{\"detail\":\"The server has too many open connections; try again\"}\n";

/// How long a refused connection is kept to write the answer and read what the client sent meanwhile (closing
/// a socket with unread input resets it, and the client might then miss the answer).
const LINGER: Duration = Duration::from_secs(1);
/// How much of a refused client's request is read and thrown away at most.
const DRAIN_BYTES: usize = 16 * 1024;

/// Refusals being written at once; past [`Refusals::MAX_AT_ONCE`] a connection is closed without an answer, so
/// that a flood of connections cannot grow the refusals themselves without bound.
#[derive(Clone, Default)]
pub struct Refusals {
    at_once: Arc<AtomicUsize>,
}

impl Refusals {
    const MAX_AT_ONCE: usize = 256;

    /// Answers `stream` with the refusal and closes it, in a task of its own.
    pub fn refuse(&self, stream: TcpStream) {
        if self.at_once.fetch_add(1, Ordering::AcqRel) >= Self::MAX_AT_ONCE {
            self.at_once.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let at_once = self.at_once.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(LINGER, answer(stream)).await;
            at_once.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

async fn answer(mut stream: TcpStream) {
    if stream.write_all(REFUSAL).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 1024];
    let mut read = 0;
    while read < DRAIN_BYTES {
        match stream.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(n) => read += n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_json_answer() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let length: usize = head
            .lines()
            .find_map(|line| line.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), length);
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert!(json["detail"].as_str().unwrap().contains("too many"));
    }
}

//! A response body written by a task while the client reads it: nothing is gathered in memory beyond a chunk or
//! two in flight (the channel is bounded, so the writer waits for a slow reader), and a client that goes away
//! stops the writer at its next chunk.

use std::future::Future;
use std::io;

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

/// Chunks in flight between the writer and the connection.
const IN_FLIGHT: usize = 2;

/// Where a writer sends its chunks.
pub struct Chunks(mpsc::Sender<Result<Bytes, io::Error>>);

/// The client is gone; the writer stops.
#[derive(Debug)]
pub struct Gone;

impl Chunks {
    /// Sends one chunk (nothing when it is empty).
    pub async fn send(&self, chunk: Vec<u8>) -> Result<(), Gone> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.0.send(Ok(Bytes::from(chunk))).await.map_err(|_| Gone)
    }

    /// Ends the body with an error: the client sees it cut short, not complete.
    pub async fn fail(&self, error: impl std::fmt::Display) {
        tracing::warn!(%error, "a streamed answer failed part-way");
        let _ = self.0.send(Err(io::Error::other(error.to_string()))).await;
    }
}

/// A body that `write` produces as it is read.
pub fn streamed<F, Fut>(write: F) -> Body
where
    F: FnOnce(Chunks) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(IN_FLIGHT);
    tokio::spawn(write(Chunks(sender)));
    Body::from_stream(futures::stream::unfold(receiver, |mut receiver| async {
        receiver.recv().await.map(|chunk| (chunk, receiver))
    }))
}

//! How many connections are open, and the signal that the server is shutting down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

/// The server's open connections: plain HTTP connections (keep-alive ones included) and `/v4/listen` WebSocket
/// sessions, counted separately, and the shutdown signal every one of them follows.
///
/// Cheap to clone (one `Arc`); every clone sees the same counts. Reading a count is one atomic load, so a
/// metrics endpoint may read them on every scrape.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: AtomicUsize,
    websockets: AtomicUsize,
    shutdown: watch::Sender<bool>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            http: AtomicUsize::new(0),
            websockets: AtomicUsize::new(0),
            shutdown: watch::Sender::new(false),
        }
    }
}

impl Connections {
    /// HTTP connections open now: accepted and not yet closed or handed over to a WebSocket. Connections
    /// refused for being over the maximum are not counted.
    pub fn open_http(&self) -> usize {
        self.inner.http.load(Ordering::Relaxed)
    }

    /// WebSocket sessions open now (`/v4/listen`).
    pub fn open_websockets(&self) -> usize {
        self.inner.websockets.load(Ordering::Relaxed)
    }

    /// Everything open now: HTTP connections and WebSocket sessions, the number `OMI_MAX_CONNECTIONS` bounds.
    pub fn open(&self) -> usize {
        self.open_http() + self.open_websockets()
    }

    /// Counts one HTTP connection until the returned guard is dropped.
    pub fn http_opened(&self) -> Open {
        Open::new(self.clone(), Kind::Http)
    }

    /// Counts one WebSocket session until the returned guard is dropped.
    pub fn websocket_opened(&self) -> Open {
        Open::new(self.clone(), Kind::WebSocket)
    }

    /// Tells every connection and session that the server is shutting down.
    pub fn shut_down(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// Whether [`Connections::shut_down`] was called.
    pub fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// Completes once the server is shutting down (at once if it already is).
    pub fn shutting_down(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.inner.shutdown.subscribe();
        async move {
            // An error means the sender is gone, which cannot happen while `self` exists; either way, stop.
            let _ = receiver.wait_for(|down| *down).await;
        }
    }

    fn counter(&self, kind: Kind) -> &AtomicUsize {
        match kind {
            Kind::Http => &self.inner.http,
            Kind::WebSocket => &self.inner.websockets,
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Http,
    WebSocket,
}

/// One open connection or session, counted in [`Connections`] until dropped.
#[derive(Debug)]
pub struct Open {
    connections: Connections,
    kind: Kind,
}

impl Open {
    fn new(connections: Connections, kind: Kind) -> Open {
        connections.counter(kind).fetch_add(1, Ordering::Relaxed);
        Open { connections, kind }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.connections
            .counter(self.kind)
            .fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_while_they_live() {
        let connections = Connections::default();
        let http = connections.http_opened();
        let socket = connections.clone().websocket_opened();
        assert_eq!(
            (connections.open_http(), connections.open_websockets()),
            (1, 1)
        );
        assert_eq!(connections.open(), 2);
        drop(http);
        drop(socket);
        assert_eq!(connections.open(), 0);
    }

    #[tokio::test]
    async fn shutting_down_completes_for_every_clone() {
        let connections = Connections::default();
        let waiting = tokio::spawn(connections.clone().shutting_down());
        assert!(!connections.is_shutting_down());
        connections.shut_down();
        waiting.await.unwrap();
        connections.shutting_down().await;
        assert!(connections.is_shutting_down());
    }
}

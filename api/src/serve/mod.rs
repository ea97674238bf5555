//! Serving HTTP with every connection bounded: a deadline for a request's headers and for its body, an idle
//! keep-alive timeout, a maximum of open connections (with a 503 beyond it), and a graceful shutdown that ends
//! within a deadline whatever the clients do.
//!
//! axum's own `serve` has none of these bounds, so connections are served here with hyper directly: one task per
//! connection runs hyper's HTTP/1 connection next to a watchdog that reads the connection's [`Activity`].

mod activity;
mod body;
mod connections;
mod fd_limit;
mod refuse;
mod service;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};

pub use connections::{Connections, Open};

use activity::{Activity, Verdict, Watched};
use refuse::Refusals;
use service::ConnectionService;

use crate::config::Config;

/// The bounds on connections; each is a setting (see [`Config`]).
#[derive(Debug, Clone)]
pub struct Limits {
    /// From a request's first byte (or from the connection's start, for its first request) to its last header.
    pub header_timeout: Duration,
    /// From a request's last header to the last byte of its body.
    pub body_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// HTTP connections and WebSocket sessions open at once; one more gets a 503.
    pub max_connections: usize,
    /// How long a shutdown lets requests and sessions finish before it closes what is left.
    pub shutdown_grace: Duration,
}

impl Limits {
    /// The bounds the settings ask for.
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            header_timeout: config.header_timeout,
            body_timeout: config.body_timeout,
            idle_timeout: config.idle_timeout,
            max_connections: config.max_connections,
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// Serves `app` on `listener` until `signal` completes, then shuts down: stops accepting, tells every
/// connection and WebSocket session (through `connections`), lets in-flight requests finish and closes idle
/// connections at once, and after [`Limits::shutdown_grace`] closes whatever is still open.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    connections: Connections,
    limits: Limits,
    signal: impl Future<Output = ()>,
) {
    fd_limit::make_room(limits.max_connections);
    let limits = Arc::new(limits);
    let mut http = http1::Builder::new();
    // Hyper's header timeout also runs while a keep-alive connection waits for its next request; the watchdog
    // times headers and idleness separately instead.
    http.header_read_timeout(None).keep_alive(true);
    let http = Arc::new(http);
    let refusals = Refusals::default();
    let mut tasks = JoinSet::new();
    let mut last_refusal_logged: Option<Instant> = None;
    tokio::pin!(signal);
    loop {
        tokio::select! {
            _ = &mut signal => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if connections.open() >= limits.max_connections {
                        if last_refusal_logged.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                            last_refusal_logged = Some(Instant::now());
                            tracing::warn!(
                                max = limits.max_connections,
                                "refusing connections: OMI_MAX_CONNECTIONS are open"
                            );
                        }
                        refusals.refuse(stream);
                        continue;
                    }
                    let open = connections.http_opened();
                    tasks.spawn(connection(
                        stream,
                        open,
                        app.clone(),
                        http.clone(),
                        limits.clone(),
                        connections.clone(),
                    ));
                }
                Err(error) => accept_failed(error).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    shut_down(&connections, tasks, limits.shutdown_grace).await;
}

/// After a failed `accept`: a connection that went away before it was accepted is nothing; running out of file
/// descriptors or memory is waited out briefly, so the loop does not spin.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Tells everything open that the server is going, waits up to `grace` for it to finish, then closes the rest.
async fn shut_down(connections: &Connections, mut tasks: JoinSet<()>, grace: Duration) {
    tracing::info!(
        open_http = connections.open_http(),
        open_websockets = connections.open_websockets(),
        grace_secs = grace.as_secs_f64(),
        "no longer accepting connections; finishing the open ones"
    );
    connections.shut_down();
    let drained = tokio::time::timeout(grace, async {
        while tasks.join_next().await.is_some() {}
        // WebSocket sessions run in tasks of their own and close themselves on the signal.
        while connections.open_websockets() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open_http = connections.open_http(),
            open_websockets = connections.open_websockets(),
            "closing what is still open after the shutdown grace period"
        );
        tasks.shutdown().await;
    }
}

/// Serves one connection until it ends, times out, or the shutdown closes it.
async fn connection(
    stream: TcpStream,
    _open: Open,
    app: Router,
    http: Arc<http1::Builder>,
    limits: Arc<Limits>,
    connections: Connections,
) {
    // Small answers go out at once rather than waiting for an acknowledgement of the previous segment.
    let _ = stream.set_nodelay(true);
    let activity = Activity::new(Instant::now());
    let service = ConnectionService {
        app,
        activity: activity.clone(),
        body_timeout: limits.body_timeout,
    };
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let connection = http.serve_connection(io, service).with_upgrades();
    tokio::pin!(connection);
    let shutdown = connections.shutting_down();
    tokio::pin!(shutdown);
    let mut shutting_down = false;
    let watchdog = sleep_until(Instant::now() + limits.header_timeout);
    tokio::pin!(watchdog);
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(error) = ended {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            _ = &mut shutdown, if !shutting_down => {
                if !activity.busy() {
                    // Idle, or reading a request that has not been taken on: nothing is lost by closing now.
                    return;
                }
                // The requests in flight are answered (`Connection: close`), then the connection closes.
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
            _ = activity.changed() => {
                watchdog.as_mut().reset(Instant::now());
            }
            _ = &mut watchdog => {
                match activity.judge(Instant::now(), limits.header_timeout, limits.idle_timeout) {
                    Verdict::CheckAt(at) => watchdog.as_mut().reset(at),
                    Verdict::HeadersTooSlow => {
                        tracing::debug!("closing a connection: request headers did not arrive in time");
                        return;
                    }
                    Verdict::Idle => {
                        tracing::debug!("closing an idle keep-alive connection");
                        return;
                    }
                }
            }
        }
    }
}

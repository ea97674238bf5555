//! P5: the server's memory per idle connection. Opens `--count` idle connections of one `--kind` to a server on
//! this machine and reports how much the server's resident memory (`VmRSS` of `/proc/PID/status`) grew, divided by
//! the number of connections:
//!
//! - `websocket`: `/v4/listen?custom_stt=enabled` sessions (`--listen-query` gives other parameters, e.g. a
//!   codec), each of its own user, each waiting for `ready` and then
//!   sending nothing but a one-byte keepalive frame every 20 s (as devices do, spec §4.3), reading the server's
//!   `ping`s;
//! - `http`: keep-alive connections that made one `GET /health` and then wait.
//!
//! Before measuring, a few connections of the same kind are opened and closed (so that pools, caches and the
//! allocator's first pages are already there), then the server is left alone for `--settle` seconds. All traffic
//! goes to 127.0.0.1, and every step has a time bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::args::Args;

/// How long opening one connection (a WebSocket up to `ready`) may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
/// How often an idle session sends its keepalive frame.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// The clients read only small messages.
const CLIENT_READ_BUFFER: usize = 4 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    WebSocket,
    Http,
}

/// `VmRSS` and `RssAnon` of `pid`, in KiB.
fn rss_kib(pid: u32) -> Result<(u64, u64), String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .ok_or_else(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("RssAnon:")?))
}

/// The number of open files this process may have.
fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Idle connections, held until `stop` is sent.
struct Held {
    tasks: JoinSet<()>,
    stop: watch::Sender<bool>,
    opened: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    first_error: Arc<std::sync::Mutex<Option<String>>>,
}

impl Held {
    fn new() -> Held {
        Held {
            tasks: JoinSet::new(),
            stop: watch::Sender::new(false),
            opened: Arc::default(),
            failed: Arc::default(),
            first_error: Arc::default(),
        }
    }

    /// Opens `count` connections at `rate` per second and waits until each is open (or failed).
    async fn open(
        &mut self,
        kind: Kind,
        count: usize,
        rate: f64,
        url: &str,
        tokens: &[String],
        query: &str,
    ) {
        let gap = Duration::from_secs_f64(1.0 / rate.max(1.0));
        let mut pace = tokio::time::interval(gap);
        for i in 0..count {
            pace.tick().await;
            let (opened, failed, errors) = (
                self.opened.clone(),
                self.failed.clone(),
                self.first_error.clone(),
            );
            let stop = self.stop.subscribe();
            let url = url.to_string();
            let query = query.to_string();
            let token = tokens.get(i).cloned().unwrap_or_default();
            self.tasks.spawn(async move {
                let result = match kind {
                    Kind::WebSocket => websocket(&url, &query, &token, &opened, stop).await,
                    Kind::Http => http(&url, &opened, stop).await,
                };
                if let Err(error) = result {
                    failed.fetch_add(1, Ordering::Relaxed);
                    errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get_or_insert(error);
                }
            });
        }
        let started = Instant::now();
        while self.opened.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed) < count
            && started.elapsed() < OPEN_TIMEOUT
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Closes every connection and waits (up to 30 s) for the clients to finish.
    async fn close(mut self) {
        self.stop.send_replace(true);
        let _ = tokio::time::timeout(Duration::from_secs(30), async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        self.tasks.abort_all();
    }
}

async fn websocket(
    url: &str,
    query: &str,
    token: &str,
    opened: &AtomicUsize,
    stop: watch::Receiver<bool>,
) -> Result<(), String> {
    let ws_url = format!("{}/v4/listen?{query}", url.replacen("http://", "ws://", 1));
    let mut request = ws_url.into_client_request().map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}")
            .parse()
            .map_err(|_| "bad token".to_string())?,
    );
    let config = WebSocketConfig::default().read_buffer_size(CLIENT_READ_BUFFER);
    let (socket, _) = tokio::time::timeout(
        OPEN_TIMEOUT,
        tokio_tungstenite::connect_async_with_config(request, Some(config), true),
    )
    .await
    .map_err(|_| "connect timed out".to_string())?
    .map_err(|e| format!("connect: {e}"))?;
    let (mut sink, mut stream) = socket.split();
    loop {
        match tokio::time::timeout(OPEN_TIMEOUT, stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.contains("\"ready\"") => break,
            Ok(Some(Ok(_))) => {}
            other => return Err(format!("no ready: {other:?}")),
        }
    }
    opened.fetch_add(1, Ordering::Relaxed);
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.reset();
    let stopped = stopped(stop);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = keepalive.tick() => {
                sink.send(Message::Binary(Bytes::from_static(&[0]))).await.map_err(|e| format!("keepalive: {e}"))?;
            }
            message = stream.next() => match message {
                Some(Ok(Message::Close(frame))) => return Err(format!("closed by the server: {frame:?}")),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(format!("receive: {e}")),
                None => return Err("the server closed the connection".into()),
            },
        }
    }
    let _ = sink.send(Message::Close(None)).await;
    Ok(())
}

async fn http(url: &str, opened: &AtomicUsize, stop: watch::Receiver<bool>) -> Result<(), String> {
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = tokio::time::timeout(OPEN_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !(received.windows(4).any(|w| w == b"\r\n\r\n") && received.ends_with(b"}")) {
        let n = tokio::time::timeout(OPEN_TIMEOUT, stream.read(&mut buffer))
            .await
            .map_err(|_| "no answer".to_string())?
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!(
                "closed before the answer was complete: {:?}",
                String::from_utf8_lossy(&received)
            ));
        }
        received.extend_from_slice(&buffer[..n]);
    }
    if !received.starts_with(b"HTTP/1.1 200") {
        return Err(format!("answer: {:?}", String::from_utf8_lossy(&received)));
    }
    opened.fetch_add(1, Ordering::Relaxed);
    tokio::select! {
        _ = stopped(stop) => Ok(()),
        read = stream.read(&mut buffer) => match read {
            Ok(0) => Err("the server closed an idle connection".into()),
            Ok(_) => Err("the server sent something on an idle connection".into()),
            Err(e) => Err(format!("read: {e}")),
        },
    }
}

/// Completes once `stop` says so (or its sender is gone).
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

pub async fn run(mut args: Args) -> Result<(), String> {
    let url: String = args.required("url")?;
    let server: String = args.required("server")?;
    let pid: u32 = args.required("server-pid")?;
    let kind = match args.required::<String>("kind")?.as_str() {
        "websocket" => Kind::WebSocket,
        "http" => Kind::Http,
        other => return Err(format!("--kind {other:?}: use websocket or http")),
    };
    let count: usize = args.required("count")?;
    let warmup: usize = args.or("warmup", 100)?;
    let rate: f64 = args.or("rate", 250.0)?;
    let settle: f64 = args.or("settle", 5.0)?;
    let label: String = args.or("label", "p5".to_string())?;
    let query: String = args.or("listen-query", "custom_stt=enabled".to_string())?;
    args.finish()?;
    if !url.starts_with("http://127.0.0.1:") {
        return Err(format!(
            "--url {url}: P5 connects to a server on 127.0.0.1 only"
        ));
    }
    let needed = (count + warmup + 64) as u64;
    if let Some(limit) = open_file_limit().filter(|limit| *limit < needed) {
        return Err(format!(
            "{count} connections need about {needed} open files, the limit is {limit} (raise it with ulimit -n)"
        ));
    }
    let settle = Duration::from_secs_f64(settle);
    let tokens = match kind {
        Kind::WebSocket => crate::p4::tokens(&server, count.max(warmup)).await?,
        Kind::Http => Vec::new(),
    };
    eprintln!("{label}: warm-up, {warmup} {kind:?} connections opened and closed");
    let mut warm = Held::new();
    warm.open(kind, warmup, rate, &url, &tokens, &query).await;
    warm.close().await;
    tokio::time::sleep(settle).await;
    let (before, before_anon) = rss_kib(pid)?;
    let started = Instant::now();
    let mut held = Held::new();
    held.open(kind, count, rate, &url, &tokens, &query).await;
    let open_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(settle).await;
    let (after, after_anon) = rss_kib(pid)?;
    let opened = held.opened.load(Ordering::Relaxed);
    let failed = held.failed.load(Ordering::Relaxed);
    let error = held
        .first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    held.close().await;
    tokio::time::sleep(settle).await;
    let (released, _) = rss_kib(pid)?;
    let per = |grown: u64| grown as f64 / opened.max(1) as f64;
    let per_kib = per(after.saturating_sub(before));
    eprintln!(
        "{label}: {opened} idle {kind:?} connections ({failed} failed) opened in {open_s:.1} s; server RSS \
         {before} KiB -> {after} KiB = {per_kib:.1} KiB each; {released} KiB after they closed"
    );
    println!("{label}.count={count}");
    println!("{label}.opened={opened}");
    println!("{label}.failed={failed}");
    println!("{label}.rss_before_kib={before}");
    println!("{label}.rss_after_kib={after}");
    println!("{label}.rss_closed_kib={released}");
    println!("{label}.per_connection_kib={per_kib:.1}");
    println!(
        "{label}.anon_per_connection_kib={:.1}",
        per(after_anon.saturating_sub(before_anon))
    );
    if let Some(error) = error {
        eprintln!("{label}: first failure: {error}");
    }
    if failed > 0 || opened < count {
        return Err(format!(
            "{label}: only {opened} of {count} connections were open ({failed} failed)"
        ));
    }
    Ok(())
}

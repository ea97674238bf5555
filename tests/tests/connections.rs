//! Connections are bounded: half-sent headers, stalled bodies and idle keep-alive connections are closed, the
//! connections beyond the maximum are refused with a 503 (and served again once others go), and SIGTERM ends the
//! process within the grace period whatever the clients hold open, telling WebSocket clients with a close frame.
//!
//! The clients here speak raw HTTP/1.1 over TCP, so that they can do what well-behaved clients never do.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use omi_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every bound far away, so that a test sees only the one it shortens.
fn bounds() -> StartOptions {
    StartOptions::new()
        .env("OMI_HEADER_TIMEOUT_SECS", "60")
        .env("OMI_BODY_TIMEOUT_SECS", "60")
        .env("OMI_IDLE_TIMEOUT_SECS", "60")
        .env("OMI_SHUTDOWN_GRACE_SECS", "60")
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .expect("connecting to the server")
}

/// Reads until the server closes the connection (end of stream or reset) or `within` passes. Returns what came
/// and, if it closed, after how long.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = match within.checked_sub(started.elapsed()) {
            Some(left) => left,
            None => return (String::from_utf8_lossy(&received).into_owned(), None),
        };
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&received).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), None),
        }
    }
}

/// Reads one response (headers and a `content-length` body) from a connection that stays open.
async fn read_response(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text;
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
            .await
            .expect("a response within 10 s")
            .expect("reading a response");
        assert!(
            n > 0,
            "the connection closed before the response was complete: {text:?}"
        );
        received.extend_from_slice(&buffer[..n]);
    }
}

/// `GET /health` on an open connection; panics unless the answer is 200.
async fn health(stream: &mut TcpStream) {
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let response = read_response(stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

/// Writes the headers of `POST /v1/memories` announcing a 100-byte body, and the first bytes of it.
async fn start_post(stream: &mut TcpStream, token: &str) -> &'static [u8] {
    const BODY: &[u8] =
        br#"{"content": "sent slowly, but sent in full before the server went down"}"#;
    let head = format!(
        "POST /v1/memories HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        BODY.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&BODY[..10]).await.unwrap();
    &BODY[10..]
}

/// The JSON body of a raw response.
fn json_body(response: &str) -> Value {
    let (_, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {response:?}"));
    serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {response:?}"))
}

fn has_header(response: &str, name: &str, value: &str) -> bool {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines().any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.eq_ignore_ascii_case(name) && v.trim().eq_ignore_ascii_case(value)
        })
    })
}

async fn listen(server: &TestServer, token: &str) -> Socket {
    let mut request = server
        .ws_url("/v4/listen?custom_stt=enabled")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    // The session is running once it says it is ready.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline
            .checked_duration_since(Instant::now())
            .expect("the listen session did not get ready within 20 s");
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"ready\"") => {
                return socket
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the listen session ended before it was ready: {other:?}"),
        }
    }
}

/// The close code the session ends with, reading past everything else; `None` if it ends without one.
async fn close_code(socket: &mut Socket, within: Duration) -> Option<CloseCode> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, socket.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.code),
            Ok(Some(Ok(_))) => {}
            _ => return None,
        }
    }
}

both_stores!(with_store half_sent_headers_are_closed_within_the_header_timeout, |store| async move {
    let server = TestServer::start_with(store, bounds().env("OMI_HEADER_TIMEOUT_SECS", "1")).await;
    let mut half = connect(&server).await;
    half.write_all(b"GET /health HTTP/1.1\r\nHost: te").await.unwrap();
    let mut silent = connect(&server).await;
    let (received, closed) = read_until_closed(&mut half, Duration::from_secs(10)).await;
    let closed = closed.expect("a connection with half a request header was still open after 10 s");
    assert!(closed < Duration::from_secs(5), "closed only after {closed:?}");
    assert_eq!(received, "", "nothing is answered to half a header");
    let (_, closed) = read_until_closed(&mut silent, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "a connection that never sent a byte was still open after 10 s");
    // Whole requests are still served, also on a connection whose headers come in pieces within the timeout.
    let mut slow = connect(&server).await;
    slow.write_all(b"GET /health HTTP/1.1\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    health_rest(&mut slow).await;
    server.get("/health", "").await.assert_status(200);
});

/// Finishes the request [`half_sent_headers_are_closed_within_the_header_timeout`] began.
async fn health_rest(stream: &mut TcpStream) {
    stream.write_all(b"Host: test\r\n\r\n").await.unwrap();
    let response = read_response(stream).await;
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

both_stores!(with_store a_stalled_body_is_answered_408_and_closed, |store| async move {
    let server = TestServer::start_with(store, bounds().env("OMI_BODY_TIMEOUT_SECS", "1")).await;
    let token = server.token("alice").await;
    let mut stream = connect(&server).await;
    start_post(&mut stream, &token).await;
    let (response, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "a request whose body stalled was still open after 10 s: {response:?}");
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(has_header(&response, "connection", "close"), "{response}");
    assert!(json_body(&response)["detail"].is_string(), "{response}");
    // Nothing of the half-sent body was stored.
    assert_eq!(server.get("/v1/memories", &token).await.json, json!([]));
});

both_stores!(with_store an_idle_keep_alive_connection_is_closed, |store| async move {
    let server = TestServer::start_with(store, bounds().env("OMI_IDLE_TIMEOUT_SECS", "1")).await;
    let mut stream = connect(&server).await;
    // Requests keep the connection open: each one restarts the idle timeout.
    for _ in 0..4 {
        health(&mut stream).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let closed = closed.expect("an idle keep-alive connection was still open after 10 s");
    assert!(closed < Duration::from_secs(5), "closed only after {closed:?}");
    assert_eq!(received, "");
});

both_stores!(with_store connections_beyond_the_maximum_are_refused_until_others_close, |store| async move {
    let server = TestServer::start_with(store, bounds().env("OMI_MAX_CONNECTIONS", "3")).await;
    let token = server.token("alice").await;
    // Two keep-alive connections and a WebSocket session: the maximum.
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&server).await;
        health(&mut stream).await;
        open.push(stream);
    }
    let socket = listen(&server, &token).await;
    let mut extra = connect(&server).await;
    // The request may or may not be read; the answer is the same.
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let (response, closed) = read_until_closed(&mut extra, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "a connection beyond the maximum was still open after 10 s");
    assert!(response.starts_with("HTTP/1.1 503"), "{response:?}");
    assert!(has_header(&response, "connection", "close"), "{response}");
    assert!(json_body(&response)["detail"].as_str().is_some_and(|d| !d.is_empty()), "{response}");
    // Once some go, the server serves again.
    drop(open);
    drop(socket);
    let started = Instant::now();
    loop {
        let mut stream = connect(&server).await;
        let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await;
        let (response, _) = read_until_closed(&mut stream, Duration::from_millis(500)).await;
        if response.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still refused 10 s after the other connections closed: {response:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
});

both_stores!(with_store sigterm_finishes_in_flight_requests_and_closes_the_rest, |store| async move {
    let mut server = TestServer::start_with(store, bounds().env("OMI_SHUTDOWN_GRACE_SECS", "20")).await;
    let token = server.token("alice").await;
    let mut idle = connect(&server).await;
    health(&mut idle).await;
    let mut half = connect(&server).await;
    half.write_all(b"GET /health HTTP/1.1\r\nHost: te").await.unwrap();
    let mut in_flight = connect(&server).await;
    let rest = start_post(&mut in_flight, &token).await;
    let mut socket = listen(&server, &token).await;
    let clients = async {
        // Idle connections and half-sent requests are closed at once; the session is told why it ends.
        let (_, idle_closed) = read_until_closed(&mut idle, Duration::from_secs(5)).await;
        let (_, half_closed) = read_until_closed(&mut half, Duration::from_secs(5)).await;
        let code = close_code(&mut socket, Duration::from_secs(10)).await;
        // The request in flight is still taken and answered, with the connection closed after it.
        in_flight.write_all(rest).await.unwrap();
        let (answer, _) = read_until_closed(&mut in_flight, Duration::from_secs(15)).await;
        (idle_closed, half_closed, code, answer)
    };
    let (exited, (idle_closed, half_closed, code, answer)) =
        tokio::join!(server.terminate(Duration::from_secs(30)), clients);
    assert!(idle_closed.is_some(), "an idle connection stayed open after SIGTERM");
    assert!(half_closed.is_some(), "a half-sent request stayed open after SIGTERM");
    assert_eq!(code, Some(CloseCode::Away), "the listen session's close code");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(has_header(&answer, "connection", "close"), "{answer}");
    assert_eq!(json_body(&answer)["content"], "sent slowly, but sent in full before the server went down");
    let (status, took) = exited.expect("the server was still running 30 s after SIGTERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(took < Duration::from_secs(15), "shutting down took {took:?} with nothing left in flight");
});

both_stores!(with_store sigterm_ends_the_process_within_the_grace_period_whatever_clients_hold, |store| async move {
    let mut server = TestServer::start_with(store, bounds().env("OMI_SHUTDOWN_GRACE_SECS", "2")).await;
    let token = server.token("alice").await;
    let mut half = connect(&server).await;
    half.write_all(b"POST /v1/memories HTTP/1.1\r\nHost: te").await.unwrap();
    // A body that never comes keeps its request in flight until the grace period ends.
    let mut stalled = connect(&server).await;
    start_post(&mut stalled, &token).await;
    let exited = server.terminate(Duration::from_secs(20)).await;
    let (status, took) = exited.expect("the server was still running 20 s after SIGTERM (grace period 2 s)");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(took < Duration::from_secs(7), "the server took {took:?} to stop with a 2 s grace period");
    assert!(took >= Duration::from_millis(1500), "the request in flight was not given its grace period: {took:?}");
    let (_, closed) = read_until_closed(&mut half, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the half-sent request's connection outlived the server");
    let (_, closed) = read_until_closed(&mut stalled, Duration::from_secs(2)).await;
    assert!(closed.is_some(), "the stalled request's connection outlived the server");
});

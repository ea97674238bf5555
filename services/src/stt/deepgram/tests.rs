//! Against a local server speaking Deepgram's streaming protocol (tokio-tungstenite).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

use super::*;

const KEY: &str = "test-key-123";
const RATE: u32 = 16_000;
/// Bytes of one second of 16-bit mono audio.
const SECOND: usize = 2 * RATE as usize;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Answers each second of audio with interim then final results; closes after CloseStream.
    Normal,
    /// Sends one final result after the first audio, then drops the TCP connection.
    DropMidStream,
    /// Never answers and never closes.
    Silent,
}

/// What the server saw on one connection.
#[derive(Debug, Default)]
struct Seen {
    query: String,
    authorization: String,
    audio_bytes: usize,
    first_audio: Vec<u8>,
    keepalives: usize,
    close_stream: bool,
}

fn results(is_final: bool, start: f64, words: &[(&str, &str, f64, f64, u32)]) -> String {
    let transcript: Vec<&str> = words.iter().map(|w| w.0).collect();
    let words: Vec<_> = words
        .iter()
        .map(|(word, punctuated, s, e, speaker)| {
            json!({"word": word, "punctuated_word": punctuated, "start": s, "end": e,
                   "speaker": speaker, "confidence": 0.98, "speaker_confidence": 0.7})
        })
        .collect();
    json!({
        "type": "Results", "channel_index": [0, 1], "duration": 1.0, "start": start,
        "is_final": is_final, "speech_final": is_final, "from_finalize": false,
        "channel": {"alternatives": [{"transcript": transcript.join(" "), "confidence": 0.97, "words": words}]},
        "metadata": {"request_id": "r", "model_info": {"name": "nova-3"}, "model_uuid": "u"}
    })
    .to_string()
}

/// The final result for second `k` of audio (k = 0, 1, …): two speakers.
fn final_words(k: usize) -> Vec<(&'static str, &'static str, f64, f64, u32)> {
    let t = k as f64;
    if k.is_multiple_of(2) {
        vec![
            ("hello", "Hello", t + 0.1, t + 0.3, 0),
            ("there", "there.", t + 0.3, t + 0.6, 0),
            ("hi", "Hi!", t + 0.7, t + 0.9, 1),
        ]
    } else {
        vec![
            ("how", "How", t + 0.05, t + 0.2, 1),
            ("are", "are", t + 0.2, t + 0.3, 1),
            ("you", "you?", t + 0.3, t + 0.5, 1),
            ("fine", "Fine.", t + 0.6, t + 0.9, 0),
        ]
    }
}

/// A one-connection server; returns its URL and, once the connection is over, what it saw.
#[allow(clippy::result_large_err)] // the shape of tungstenite's handshake callback
async fn server(mode: Mode, accept_key: bool) -> (String, mpsc::Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let (seen_tx, seen_rx) = mpsc::channel(1);
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut seen = Seen::default();
        let (head_tx, head_rx) = std::sync::mpsc::channel();
        let callback = move |request: &Request, response: Response| {
            let query = request.uri().query().unwrap_or_default().to_string();
            let auth = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let _ = head_tx.send((query, auth.clone()));
            if request.uri().path() != "/v1/listen" || !accept_key || auth != format!("Token {KEY}")
            {
                let mut refusal = ErrorResponse::new(Some(
                    r#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."}"#.to_string(),
                ));
                *refusal.status_mut() = StatusCode::UNAUTHORIZED;
                return Err(refusal);
            }
            Ok(response)
        };
        let accepted = tokio_tungstenite::accept_hdr_async(tcp, callback).await;
        if let Ok((query, auth)) = head_rx.try_recv() {
            seen.query = query;
            seen.authorization = auth;
        }
        let Ok(mut ws) = accepted else {
            let _ = seen_tx.send(seen).await;
            return;
        };
        let mut answered_seconds = 0;
        while let Some(Ok(message)) = ws.next().await {
            match message {
                Message::Binary(bytes) => {
                    if seen.first_audio.is_empty() {
                        seen.first_audio = bytes.to_vec();
                    }
                    seen.audio_bytes += bytes.len();
                    match mode {
                        Mode::Normal => {
                            while seen.audio_bytes / SECOND > answered_seconds {
                                let k = answered_seconds;
                                let t = k as f64;
                                let speech_started = json!({"type": "SpeechStarted", "channel": [0], "timestamp": t});
                                ws.send(Message::text(speech_started.to_string()))
                                    .await
                                    .unwrap();
                                let interim =
                                    results(false, t, &[("INTERIM", "INTERIM", t, t + 0.5, 0)]);
                                ws.send(Message::text(interim)).await.unwrap();
                                ws.send(Message::text(results(true, t, &final_words(k))))
                                    .await
                                    .unwrap();
                                let utterance_end = json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": t + 0.9});
                                ws.send(Message::text(utterance_end.to_string()))
                                    .await
                                    .unwrap();
                                answered_seconds += 1;
                            }
                        }
                        Mode::DropMidStream => {
                            ws.send(Message::text(results(true, 0.0, &final_words(0))))
                                .await
                                .unwrap();
                            // Drop the TCP connection without a close handshake.
                            drop(ws);
                            let _ = seen_tx.send(seen).await;
                            return;
                        }
                        Mode::Silent => {}
                    }
                }
                Message::Text(text) => {
                    let value: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                    match value["type"].as_str() {
                        Some("KeepAlive") => seen.keepalives += 1,
                        Some("CloseStream") => {
                            seen.close_stream = true;
                            if mode == Mode::Normal {
                                let metadata = json!({"type": "Metadata", "transaction_key": "deprecated",
                                    "request_id": "r", "sha256": "x", "created": "2025-01-01T00:00:00Z",
                                    "duration": seen.audio_bytes as f64 / SECOND as f64, "channels": 1});
                                ws.send(Message::text(metadata.to_string())).await.unwrap();
                                ws.close(Some(CloseFrame {
                                    code: CloseCode::Normal,
                                    reason: "".into(),
                                }))
                                .await
                                .unwrap();
                            }
                        }
                        other => panic!("unexpected message type {other:?}"),
                    }
                }
                _ => {}
            }
        }
        let _ = seen_tx.send(seen).await;
    });
    (url, seen_rx)
}

fn engine(url: &str) -> Deepgram {
    let mut engine = Deepgram::new(KEY).with_url(url);
    engine.keepalive_interval = Duration::from_millis(100);
    engine.finish_timeout = Duration::from_millis(500);
    engine
}

fn samples(n: usize) -> Vec<i16> {
    (0..n).map(|i| ((i * 37) % 2000) as i16 - 1000).collect()
}

async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .unwrap_or_else(|_| panic!("{what} timed out"))
}

#[tokio::test]
async fn streams_audio_and_emits_final_segments_split_by_speaker() {
    let (url, mut seen) = server(Mode::Normal, true).await;
    let session = engine(&url)
        .open(SttConfig::new(RATE, "en"))
        .await
        .expect("open");
    let audio = samples(2 * RATE as usize);
    for chunk in audio.chunks(1600) {
        session.send(chunk.to_vec()).await.unwrap();
    }
    session.send(Vec::new()).await.unwrap(); // empty chunks are not sent
                                             // No audio for a while: keepalives.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let segments = within("finish", session.finish_and_collect()).await;
    let seen = within("server", seen.recv()).await.unwrap();

    let query = &seen.query;
    for param in [
        "encoding=linear16",
        "sample_rate=16000",
        "channels=1",
        "language=en",
        "model=nova-3",
        "punctuate=true",
        "smart_format=true",
        "diarize=true",
        "interim_results=true",
        "endpointing=300",
    ] {
        assert!(
            query.split('&').any(|p| p == param),
            "{param} missing in {query}"
        );
    }
    assert_eq!(seen.authorization, format!("Token {KEY}"));
    assert_eq!(seen.audio_bytes, 2 * SECOND);
    let expected_first: Vec<u8> = audio[..1600].iter().flat_map(|s| s.to_le_bytes()).collect();
    assert_eq!(
        seen.first_audio, expected_first,
        "audio is 16-bit little-endian PCM"
    );
    assert!(seen.keepalives >= 2, "keepalives: {}", seen.keepalives);
    assert!(seen.close_stream);

    let got: Vec<(&str, u32, f64, f64)> = segments
        .iter()
        .map(|s| (s.text.as_str(), s.speaker, s.start, s.end))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Hello there.", 0, 0.1, 0.6),
            ("Hi!", 1, 0.7, 0.9),
            ("How are you?", 1, 1.05, 1.5),
            ("Fine.", 0, 1.6, 1.9),
        ]
    );
}

#[tokio::test]
async fn multi_and_auto_languages_ask_for_multi() {
    let engine = Deepgram::new(KEY);
    for (language, expected) in [
        ("multi", "language=multi"),
        ("auto", "language=multi"),
        ("", "language=multi"),
        ("pt-BR", "language=pt-BR"),
    ] {
        let url = engine.listen_url(&SttConfig::new(8000, language));
        assert!(
            url.starts_with("wss://api.deepgram.com/v1/listen?"),
            "{url}"
        );
        assert!(url.contains(expected), "{url}");
        assert!(url.contains("sample_rate=8000"), "{url}");
    }
    let url = Deepgram::new(KEY)
        .with_url("https://dg.example/")
        .listen_url(&SttConfig::new(16_000, "en"));
    assert!(url.starts_with("wss://dg.example/v1/listen?"), "{url}");
    let url = Deepgram::new(KEY)
        .with_url("http://127.0.0.1:9")
        .listen_url(&SttConfig::new(16_000, "x y&z"));
    assert!(url.starts_with("ws://127.0.0.1:9/v1/listen?"), "{url}");
    assert!(url.contains("language=x%20y%26z"), "{url}");
}

#[tokio::test]
async fn a_refused_key_fails_open_clearly() {
    let (url, mut seen) = server(Mode::Normal, false).await;
    let error = engine(&url)
        .open(SttConfig::new(RATE, "en"))
        .await
        .expect_err("the server refuses the key");
    assert!(
        matches!(error, SttError::Unauthorized { status: 401, .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("deepgram")
            && message.contains("401")
            && message.contains("Invalid credentials"),
        "{message}"
    );
    let seen = within("server", seen.recv()).await.unwrap();
    assert_eq!(seen.authorization, format!("Token {KEY}"));
}

#[tokio::test]
async fn an_unreachable_server_fails_open() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = within("open", engine(&url).open(SttConfig::new(RATE, "en")))
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, SttError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[tokio::test]
async fn a_dropped_connection_ends_the_segments_channel() {
    let (url, _seen) = server(Mode::DropMidStream, true).await;
    let mut session = engine(&url)
        .open(SttConfig::new(RATE, "en"))
        .await
        .expect("open");
    session.send(samples(1600)).await.unwrap();
    let mut got = Vec::new();
    while let Some(segment) = within("segments", session.segments.recv()).await {
        got.push(segment);
    }
    assert_eq!(got.len(), 2, "{got:?}");
    // The engine is gone: sending audio fails soon (never hangs).
    let mut failed = false;
    for _ in 0..100 {
        if within("send", session.send(samples(160))).await.is_err() {
            failed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(failed, "sending to a dead engine keeps succeeding");
}

#[tokio::test]
async fn a_server_that_never_closes_is_given_up_after_the_finish_timeout() {
    let (url, _seen) = server(Mode::Silent, true).await;
    let session = engine(&url)
        .open(SttConfig::new(RATE, "en"))
        .await
        .expect("open");
    session.send(samples(1600)).await.unwrap();
    let started = std::time::Instant::now();
    let segments = within("finish", session.finish_and_collect()).await;
    assert!(segments.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn tls_is_set_up_with_ring_and_webpki_roots() {
    let config = tls_config().expect("a TLS client configuration");
    assert!(config.alpn_protocols.is_empty());
}

#[test]
fn messages_are_parsed_into_segments() {
    // Interim results and other message types give nothing.
    assert!(parse_message(&results(false, 0.0, &final_words(0))).is_empty());
    for other in [
        r#"{"type":"Metadata","request_id":"r","duration":1.0,"channels":1}"#,
        r#"{"type":"SpeechStarted","channel":[0],"timestamp":0.5}"#,
        r#"{"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.0}"#,
        r#"{"type":"Error","description":"bad"}"#,
        r#"{"type":"Something"}"#,
        "not json",
        r#"{"type":"Results","channel":"weird"}"#,
        r#"{"type":"Results","is_final":true,"channel":{"alternatives":[]}}"#,
        r#"{"type":"Results","is_final":true,"channel":{"alternatives":[{"transcript":"  ","words":[]}]}}"#,
    ] {
        assert!(parse_message(other).is_empty(), "{other}");
    }
    // Without words: one segment over the result's span; without punctuated words: the words.
    let bare = r#"{"type":"Results","is_final":true,"start":2.5,"duration":1.5,
        "channel":{"alternatives":[{"transcript":"just text","words":[]}]}}"#;
    assert_eq!(
        parse_message(bare),
        vec![SttSegment {
            text: "just text".into(),
            speaker: 0,
            start: 2.5,
            end: 4.0
        }]
    );
    let plain = r#"{"type":"Results","is_final":true,"start":0,"duration":1,
        "channel":{"alternatives":[{"transcript":"a b","words":[
            {"word":"a","start":0.1,"end":0.2},{"word":"b","start":0.2,"end":0.4}]}]}}"#;
    let segments = parse_message(plain);
    assert_eq!(segments.len(), 1);
    assert_eq!(segments[0].text, "a b");
    assert_eq!((segments[0].start, segments[0].end), (0.1, 0.4));
}

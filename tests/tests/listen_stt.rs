//! `/v4/listen` with server speech-to-text, through the real binary and a real WebSocket client:
//!
//! - Whisper (`OMI_STT=openai` against `tests/whisper/whisper_server.py`): espeak-ng speech streamed as
//!   `pcm16` and as `opus_fs320` at about four times real time must come back as live segments and end up in
//!   the conversation. Runs only with `OMI_TEST_WHISPER=1` (see `omi_tests::speech`).
//! - Deepgram (`OMI_STT=deepgram` against a local server speaking Deepgram's live protocol): final results
//!   with two speakers become live segments and the stored transcript; a refused key leaves the session
//!   open without speech-to-text and says so.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use omi_tests::speech::{
    opus_fs320_packets, pcm16_bytes, silence, whisper_enabled, words, Speech, WhisperServer,
    WordScore, SENTENCES, SPEECH_RATE,
};
use omi_tests::*;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One device frame: 20 ms.
const FRAME_SECONDS: f64 = 0.02;
/// How much faster than real time audio is streamed.
const SPEED: f64 = 4.0;
/// The share of the distinct spoken words that must come back.
const MIN_ACCURACY: f64 = 0.8;

// ---------------------------------------------------------------------------------------------- the client

/// A live `/v4/listen` session as the client sees it.
struct Live {
    socket: Socket,
    /// The conversation of the `conversation_session` message.
    conversation_id: String,
    /// The `ready` `service_status` message.
    ready: Value,
    /// The latest version of every segment received, by id (a merge sends a grown segment again).
    segments: BTreeMap<String, Value>,
    /// How many segment arrays arrived.
    updates: usize,
    /// When the first and the latest segment array arrived.
    first_segments_at: Option<Instant>,
    last_segments_at: Option<Instant>,
}

impl Live {
    /// Connects and reads the start-up messages up to `service_status` `ready`.
    async fn open(server: &TestServer, token: &str, query: &str) -> Live {
        let mut request = server
            .ws_url(&format!("/v4/listen?{query}"))
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut live = Live {
            socket,
            conversation_id: String::new(),
            ready: Value::Null,
            segments: BTreeMap::new(),
            updates: 0,
            first_segments_at: None,
            last_segments_at: None,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while live.ready.is_null() {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match tokio::time::timeout(left, live.socket.next()).await {
                Ok(message) => message,
                Err(_) => panic!("no service_status ready within 20 s"),
            };
            let Some(message) = live.take(message) else {
                panic!("the session closed before it was ready")
            };
            if message["type"] == "service_status" && message["status"] == "ready" {
                live.ready = message;
            }
        }
        assert!(
            !live.conversation_id.is_empty(),
            "no conversation_session before ready"
        );
        live
    }

    /// Handles one incoming frame; returns its JSON (`Null` for `ping` and non-text frames), `None` once the
    /// socket is closed.
    fn take(
        &mut self,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Option<Value> {
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                println!("the server closed the session: {frame:?}");
                return None;
            }
            None | Some(Err(_)) => return None,
            Some(Ok(_)) => return Some(Value::Null),
        };
        if text.as_str() == "ping" {
            return Some(Value::Null);
        }
        let message: Value = serde_json::from_str(text.as_str())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        if let Some(segments) = message.as_array() {
            let now = Instant::now();
            self.first_segments_at.get_or_insert(now);
            self.last_segments_at = Some(now);
            self.updates += 1;
            for segment in segments {
                let id = segment["id"].as_str().expect("a segment id").to_string();
                self.segments.insert(id, segment.clone());
            }
        } else if message["type"] == "conversation_session" {
            let id = message["conversation_id"].as_str().unwrap().to_string();
            assert!(
                self.conversation_id.is_empty() || self.conversation_id == id,
                "the session moved to another conversation: {message}"
            );
            self.conversation_id = id;
        } else if message["type"] == "segments_deleted" {
            for id in message["segment_ids"].as_array().into_iter().flatten() {
                self.segments.remove(id.as_str().unwrap_or_default());
            }
        }
        Some(message)
    }

    /// Reads what arrives for `within`.
    async fn read_for(&mut self, within: Duration) {
        let until = tokio::time::Instant::now() + within;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => return,
                message = self.socket.next() => {
                    if self.take(message).is_none() {
                        panic!("the session closed unexpectedly");
                    }
                }
            }
        }
    }

    /// Sends `frames` (one WebSocket binary frame each, 20 ms of audio each) at [`SPEED`] times real time,
    /// reading what arrives in between.
    async fn stream(&mut self, frames: &[Vec<u8>]) {
        let started = tokio::time::Instant::now();
        for (i, frame) in frames.iter().enumerate() {
            let due = started + Duration::from_secs_f64(i as f64 * FRAME_SECONDS / SPEED);
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => break,
                    message = self.socket.next() => {
                        if self.take(message).is_none() {
                            panic!("the session closed while audio was streamed");
                        }
                    }
                }
            }
            self.socket
                .send(Message::Binary(frame.clone().into()))
                .await
                .expect("the session takes audio");
        }
    }

    /// Reads until `done` holds for the segments received, `quiet` passes without new segments, or
    /// `deadline`; returns whether `done` held.
    async fn wait_segments(
        &mut self,
        mut done: impl FnMut(&Live) -> bool,
        quiet: Duration,
        deadline: Duration,
    ) -> bool {
        let deadline = Instant::now() + deadline;
        let waiting_since = Instant::now();
        loop {
            if done(self) {
                return true;
            }
            let last = self
                .last_segments_at
                .unwrap_or(waiting_since)
                .max(waiting_since);
            if Instant::now() >= deadline || last.elapsed() >= quiet {
                return false;
            }
            self.read_for(Duration::from_millis(100)).await;
        }
    }

    /// The received segments in transcript order.
    fn transcript(&self) -> Vec<&Value> {
        let mut segments: Vec<&Value> = self.segments.values().collect();
        segments.sort_by(|a, b| seconds(&a["start"]).total_cmp(&seconds(&b["start"])));
        segments
    }

    /// All received text, in transcript order.
    fn text(&self) -> String {
        joined_text(self.transcript())
    }

    /// Ends the session with a close frame.
    async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

fn seconds(value: &Value) -> f64 {
    value.as_f64().unwrap_or(f64::NAN)
}

fn joined_text<'a>(segments: impl IntoIterator<Item = &'a Value>) -> String {
    segments
        .into_iter()
        .map(|s| s["text"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored conversation and its transcript segments, once `wanted` holds for them (or as they are after
/// 15 s). The session sends segments as soon as they are appended to the log; the read model behind
/// `GET /v1/conversations/{id}` catches up a moment later.
async fn stored_segments(
    server: &TestServer,
    token: &str,
    id: &str,
    wanted: impl Fn(&[Value]) -> bool,
) -> (Value, Vec<Value>) {
    let started = Instant::now();
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        conversation.assert_status(200);
        let segments = conversation["transcript_segments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if wanted(&segments) || started.elapsed() > Duration::from_secs(15) {
            if started.elapsed() > Duration::from_millis(50) {
                println!(
                    "  the conversation showed the live segments {:.0} ms after the client saw them",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
            return (conversation.json.clone(), segments);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------- Whisper

/// Streams the espeak-ng sentences through `/v4/listen` with `codec` (`pcm16` or `opus_fs320`) to a server
/// transcribing with Whisper, and checks the live segments and the stored conversation.
async fn whisper_session(store: Store, codec: &str) {
    if !whisper_enabled() {
        return;
    }
    let test_started = Instant::now();
    let speech = Speech::synthesize(&SENTENCES);
    let whisper = tokio::task::spawn_blocking(WhisperServer::start)
        .await
        .unwrap();
    let server = TestServer::start_with(
        store,
        StartOptions::new()
            .env("OMI_STT", "openai")
            .env("OMI_STT_BASE_URL", whisper.base_url())
            .env("OMI_LISTEN_INACTIVITY_SECS", "600"),
    )
    .await;
    let token = server.token("whisper-listener").await;

    // The speech (its silences included: the detector cuts utterances there), then two seconds of silence.
    let mut audio = speech.samples.clone();
    audio.extend(silence(2.0));
    let frame_samples = (FRAME_SECONDS * SPEECH_RATE as f64) as usize;
    let frames: Vec<Vec<u8>> = match codec {
        "pcm16" => audio.chunks(frame_samples).map(pcm16_bytes).collect(),
        "opus_fs320" => opus_fs320_packets(&audio),
        other => panic!("no frames for codec {other}"),
    };
    let audio_seconds = frames.len() as f64 * FRAME_SECONDS;

    let mut live = Live::open(
        &server,
        &token,
        &format!("codec={codec}&sample_rate=16000&language=en"),
    )
    .await;
    assert!(
        live.ready.get("status_text").is_none(),
        "speech-to-text should be up: {}",
        live.ready
    );
    let streaming = Instant::now();
    live.stream(&frames).await;
    let streamed_in = streaming.elapsed();

    // Wait until the last sentence is heard (then a little longer for the merge tick), or Whisper stays quiet.
    let last_sentence = *SENTENCES.last().unwrap();
    let heard_last = live
        .wait_segments(
            |live| WordScore::of(&[last_sentence], &live.text()).accuracy >= 0.5,
            Duration::from_secs(20),
            Duration::from_secs(240),
        )
        .await;
    live.read_for(Duration::from_millis(1500)).await;
    let waited = streaming.elapsed() - streamed_in;

    let text = live.text();
    let score = WordScore::of(&SENTENCES, &text);
    println!("--- {codec} on {store}: {} segment arrays", live.updates);
    for segment in live.transcript() {
        println!(
            "  [{:6.2} – {:6.2}] {} {}",
            seconds(&segment["start"]),
            seconds(&segment["end"]),
            segment["speaker"].as_str().unwrap_or("?"),
            segment["text"].as_str().unwrap_or_default()
        );
    }
    let since = |at: Option<Instant>| {
        at.map(|at| format!("{:.1} s", at.duration_since(streaming).as_secs_f64()))
            .unwrap_or_else(|| "never".into())
    };
    println!(
        "  {codec} on {store}: {score}; {audio_seconds:.1} s of audio streamed in {:.1} s; segments first \
         after {}, last after {} (of streaming); waited {:.1} s after the last frame (last sentence heard: \
         {heard_last}); test so far {:.1} s",
        streamed_in.as_secs_f64(),
        since(live.first_segments_at),
        since(live.last_segments_at),
        waited.as_secs_f64(),
        test_started.elapsed().as_secs_f64(),
    );
    assert!(
        score.accuracy >= MIN_ACCURACY,
        "{codec} on {store}: only {score}; heard: {text:?}"
    );

    // The live segments are on the conversation's timeline and come from the server's STT.
    let transcript = live.transcript();
    assert!(seconds(&transcript[0]["start"]) < 1.0, "{transcript:?}");
    for segment in &transcript {
        let (start, end) = (seconds(&segment["start"]), seconds(&segment["end"]));
        assert!(
            start >= 0.0 && start <= end && end <= audio_seconds,
            "{segment}"
        );
        assert_eq!(segment["speaker"], "SPEAKER_00", "{segment}");
        assert_eq!(segment["is_user"], false, "{segment}");
    }

    // The conversation holds what the client was shown.
    let shown = words(&text);
    let (conversation, stored) =
        stored_segments(&server, &token, &live.conversation_id, |stored| {
            shown.is_subset(&words(&joined_text(stored)))
        })
        .await;
    assert_eq!(conversation["status"], "in_progress", "{conversation}");
    assert!(conversation["started_at"].is_string(), "{conversation}");
    let stored_text = joined_text(&stored);
    let stored_score = WordScore::of(&SENTENCES, &stored_text);
    assert!(
        stored_score.accuracy >= MIN_ACCURACY,
        "stored on {store}: only {stored_score}; stored: {stored_text:?}"
    );
    let stored_words = words(&stored_text);
    let shown_not_stored: Vec<String> = shown
        .into_iter()
        .filter(|w| !stored_words.contains(w))
        .collect();
    assert!(
        shown_not_stored.is_empty(),
        "words shown live but not stored: {shown_not_stored:?}; stored: {stored_text:?}"
    );
    for segment in &stored {
        assert!(
            live.segments.contains_key(segment["id"].as_str().unwrap()),
            "stored segment never shown live: {segment}"
        );
    }
    live.close().await;
}

both_stores!(with_store whisper_transcribes_pcm16_through_listen, |store| async move {
    whisper_session(store, "pcm16").await;
});

both_stores!(with_store whisper_transcribes_opus_fs320_through_listen, |store| async move {
    whisper_session(store, "opus_fs320").await;
});

// ---------------------------------------------------------------------------------------------- Deepgram

const DEEPGRAM_KEY: &str = "test-key";
/// Bytes of one second of 16 kHz 16-bit mono audio.
const SECOND_BYTES: usize = 2 * SPEECH_RATE as usize;

/// What the fake Deepgram saw, over all its connections.
#[derive(Debug, Default, Clone)]
struct Seen {
    connections: usize,
    path: String,
    query: String,
    authorization: String,
    audio_bytes: usize,
    first_audio: Vec<u8>,
    keepalives: usize,
    close_stream: bool,
    other_text: Vec<String>,
}

/// A local server speaking Deepgram's live protocol (`GET /v1/listen`, `Authorization: Token <key>`): each
/// second of audio is answered with `SpeechStarted`, an interim `Results`, a final `Results` with words,
/// timings and two speakers, and `UtteranceEnd`; `KeepAlive` is counted and otherwise ignored; `CloseStream`
/// is answered with `Metadata` and a normal close. With `accept_key` false every handshake gets HTTP 401.
struct FakeDeepgram {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

impl FakeDeepgram {
    async fn start(accept_key: bool) -> FakeDeepgram {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(serve_deepgram(tcp, accept_key, Arc::clone(&shared)));
            }
        });
        FakeDeepgram { url, seen }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until what it saw satisfies `wanted`.
    async fn wait(&self, what: &str, wanted: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let seen = self.seen();
            if wanted(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: the fake Deepgram saw {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[allow(clippy::result_large_err)] // the shape of tungstenite's handshake callback
async fn serve_deepgram(tcp: TcpStream, accept_key: bool, seen: Arc<Mutex<Seen>>) {
    let record = Arc::clone(&seen);
    let callback = move |request: &Request, response: Response| {
        let authorization = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        {
            let mut seen = record.lock().unwrap();
            seen.connections += 1;
            seen.path = request.uri().path().to_string();
            seen.query = request.uri().query().unwrap_or_default().to_string();
            seen.authorization = authorization.clone();
        }
        if !accept_key
            || request.uri().path() != "/v1/listen"
            || authorization != format!("Token {DEEPGRAM_KEY}")
        {
            let mut refusal = ErrorResponse::new(Some(
                r#"{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r"}"#
                    .to_string(),
            ));
            *refusal.status_mut() = StatusCode::UNAUTHORIZED;
            return Err(refusal);
        }
        Ok(response)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return;
    };
    let mut answered_seconds = 0;
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Binary(bytes) => {
                let audio_bytes = {
                    let mut seen = seen.lock().unwrap();
                    if seen.first_audio.is_empty() {
                        seen.first_audio = bytes.to_vec();
                    }
                    seen.audio_bytes += bytes.len();
                    seen.audio_bytes
                };
                while audio_bytes / SECOND_BYTES > answered_seconds {
                    let k = answered_seconds;
                    let t = k as f64;
                    let final_words = final_words(k);
                    let interim = &final_words[..1];
                    for message in [
                        json!({"type": "SpeechStarted", "channel": [0], "timestamp": t}),
                        results(false, t, interim),
                        results(true, t, &final_words),
                        json!({"type": "UtteranceEnd", "channel": [0, 1], "last_word_end": t + 0.9}),
                    ] {
                        if ws.send(Message::text(message.to_string())).await.is_err() {
                            return;
                        }
                    }
                    answered_seconds += 1;
                }
            }
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                match value["type"].as_str() {
                    Some("KeepAlive") => seen.lock().unwrap().keepalives += 1,
                    Some("CloseStream") => {
                        let duration = {
                            let mut seen = seen.lock().unwrap();
                            seen.close_stream = true;
                            seen.audio_bytes as f64 / SECOND_BYTES as f64
                        };
                        let metadata = json!({"type": "Metadata", "transaction_key": "deprecated",
                            "request_id": "r", "sha256": "x", "created": "2025-01-01T00:00:00Z",
                            "duration": duration, "channels": 1});
                        let _ = ws.send(Message::text(metadata.to_string())).await;
                        let _ = ws
                            .close(Some(CloseFrame {
                                code: CloseCode::Normal,
                                reason: "".into(),
                            }))
                            .await;
                    }
                    _ => seen.lock().unwrap().other_text.push(text.to_string()),
                }
            }
            _ => {}
        }
    }
}

/// A `Results` message starting at `start` with `words` (word, punctuated word, start, end, speaker).
fn results(is_final: bool, start: f64, words: &[(&str, &str, f64, f64, u32)]) -> Value {
    let transcript: Vec<&str> = words.iter().map(|w| w.1).collect();
    let words: Vec<Value> = words
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
        "metadata": {"request_id": "r", "model_info": {"name": "nova-3", "version": "x", "arch": "y"}, "model_uuid": "u"}
    })
}

/// The final words of second `k` of audio (k = 0, 1, …): two speakers.
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

/// `seconds` of a 220 Hz tone at 16 kHz, in 20 ms `pcm16` frames.
fn tone_frames(seconds: f64) -> Vec<Vec<u8>> {
    let n = (seconds * SPEECH_RATE as f64) as usize;
    let samples: Vec<i16> = (0..n)
        .map(|i| {
            let t = i as f64 / SPEECH_RATE as f64;
            (8000.0 * (2.0 * std::f64::consts::PI * 220.0 * t).sin()) as i16
        })
        .collect();
    samples
        .chunks((FRAME_SECONDS * SPEECH_RATE as f64) as usize)
        .map(pcm16_bytes)
        .collect()
}

fn deepgram_options(deepgram: &FakeDeepgram) -> StartOptions {
    StartOptions::new()
        .env("OMI_STT", "deepgram")
        .env("DEEPGRAM_API_KEY", DEEPGRAM_KEY)
        .env("DEEPGRAM_URL", &deepgram.url)
}

/// (text, speaker, speaker_id, start, end) of segments, times rounded to 10 ms.
fn summary<'a>(
    segments: impl IntoIterator<Item = &'a Value>,
) -> Vec<(String, String, i64, f64, f64)> {
    let round = |v: &Value| (seconds(v) * 100.0).round() / 100.0;
    segments
        .into_iter()
        .map(|s| {
            (
                s["text"].as_str().unwrap_or_default().to_string(),
                s["speaker"].as_str().unwrap_or_default().to_string(),
                s["speaker_id"].as_i64().unwrap_or(-1),
                round(&s["start"]),
                round(&s["end"]),
            )
        })
        .collect()
}

both_stores!(with_store deepgram_results_become_segments_with_speakers, |store| async move {
    let deepgram = FakeDeepgram::start(true).await;
    let server = TestServer::start_with(store, deepgram_options(&deepgram)).await;
    let token = server.token("deepgram-listener").await;
    let mut live = Live::open(&server, &token, "codec=pcm16&sample_rate=16000&language=en").await;
    assert!(live.ready.get("status_text").is_none(), "{}", live.ready);

    let frames = tone_frames(2.0);
    live.stream(&frames).await;
    let expected = vec![
        ("Hello there.".to_string(), "SPEAKER_00".to_string(), 0, 0.0, 0.5),
        ("Hi! How are you?".to_string(), "SPEAKER_01".to_string(), 1, 0.6, 1.4),
        ("Fine.".to_string(), "SPEAKER_00".to_string(), 0, 1.5, 1.8),
    ];
    let arrived = live
        .wait_segments(
            |live| summary(live.transcript()) == expected,
            Duration::from_secs(10),
            Duration::from_secs(20),
        )
        .await;
    assert!(arrived, "live segments on {store}: {:?}", summary(live.transcript()));
    for segment in live.transcript() {
        assert_eq!(segment["is_user"], false, "{segment}");
        assert!(segment["person_id"].is_null(), "{segment}");
    }

    // The stream was asked for as Deepgram wants it, with the key, and got the audio as sent.
    let seen = deepgram.seen();
    assert_eq!(seen.connections, 1);
    assert_eq!(seen.path, "/v1/listen");
    assert_eq!(seen.authorization, format!("Token {DEEPGRAM_KEY}"));
    for param in [
        "encoding=linear16",
        "sample_rate=16000",
        "channels=1",
        "language=en",
        "diarize=true",
        "interim_results=true",
        "punctuate=true",
    ] {
        assert!(seen.query.split('&').any(|p| p == param), "{param} missing in {}", seen.query);
    }
    assert_eq!(seen.audio_bytes, 2 * SECOND_BYTES);
    assert_eq!(seen.first_audio, frames[0], "pcm16 goes through unchanged");

    // The conversation holds the final results, merged by speaker; interim results never show.
    let (conversation, stored) = stored_segments(&server, &token, &live.conversation_id, |stored| {
        summary(stored) == expected
    })
    .await;
    assert_eq!(conversation["status"], "in_progress");
    assert_eq!(summary(&stored), expected, "stored on {store}");
    for segment in &stored {
        assert_eq!(
            live.segments.get(segment["id"].as_str().unwrap()),
            Some(segment),
            "the client was shown the stored segment"
        );
    }

    // A device that only sends keepalive frames: the server keeps the Deepgram stream open with KeepAlive.
    let idle_until = Instant::now() + Duration::from_secs(6);
    while Instant::now() < idle_until {
        live.socket.send(Message::Binary(vec![0u8, 0].into())).await.unwrap();
        live.read_for(Duration::from_millis(500)).await;
    }
    let seen = deepgram.wait("KeepAlive", |seen| seen.keepalives >= 1).await;
    assert_eq!(seen.audio_bytes, 2 * SECOND_BYTES, "keepalive frames are not audio");

    // The client leaves: the stream is closed with CloseStream.
    live.close().await;
    let seen = deepgram.wait("CloseStream", |seen| seen.close_stream).await;
    assert!(seen.other_text.is_empty(), "unexpected messages: {:?}", seen.other_text);
    assert_eq!(seen.connections, 1);
});

both_stores!(with_store a_refused_deepgram_key_leaves_the_session_open_without_stt, |store| async move {
    let deepgram = FakeDeepgram::start(false).await;
    let server = TestServer::start_with(store, deepgram_options(&deepgram)).await;
    let token = server.token("refused-listener").await;
    let mut live = Live::open(&server, &token, "codec=pcm16&sample_rate=16000&language=en").await;
    let status_text = live.ready["status_text"].as_str().unwrap_or_default().to_string();
    assert!(
        status_text.contains("speech-to-text is unavailable"),
        "ready without saying that speech-to-text is unavailable: {}",
        live.ready
    );
    let seen = deepgram.seen();
    assert_eq!(seen.connections, 1, "one attempt per session");
    assert_eq!(seen.authorization, format!("Token {DEEPGRAM_KEY}"));
    assert!(
        server.wait_for_log("refused the credentials (HTTP 401)", Duration::from_secs(5)).await,
        "the server log does not say why: {:?}",
        server.log_lines()
    );

    // Audio is taken and dropped; the session stays open and nothing is transcribed.
    live.stream(&tone_frames(1.0)).await;
    live.read_for(Duration::from_secs(2)).await;
    assert!(live.segments.is_empty(), "{:?}", live.segments);
    assert_eq!(deepgram.seen().connections, 1, "no reconnection attempts");
    let (_, stored) = stored_segments(&server, &token, &live.conversation_id, |_| true).await;
    assert!(stored.is_empty(), "{stored:?}");
    live.close().await;
});

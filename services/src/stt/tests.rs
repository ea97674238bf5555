use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;

use super::*;

const RATE: u32 = 16_000;

/// Deterministic noise (xorshift) with the given RMS, roughly.
fn noise(n: usize, rms: f64, seed: &mut u64) -> Vec<i16> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let uniform = (*seed % 20_001) as f64 / 10_000.0 - 1.0; // RMS of U(-1,1) is 1/sqrt(3)
            (uniform * rms * 3f64.sqrt()) as i16
        })
        .collect()
}

/// A voiced sound: harmonics of 150 Hz in syllables (4 a second, with dips between them, as speech).
fn voice(n: usize, amplitude: f64) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let env = 0.1 + 0.9 * (2.0 * std::f64::consts::PI * 2.0 * t + 0.3).sin().powi(2);
            let x: f64 = (1..=5)
                .map(|h| (2.0 * std::f64::consts::PI * 150.0 * h as f64 * t).sin() / h as f64)
                .sum();
            (x * env * amplitude / 1.5) as i16
        })
        .collect()
}

fn secs(s: f64) -> usize {
    (s * RATE as f64) as usize
}

/// silence 1.0 s, voice 1.2 s, silence 1.5 s, voice 0.8 s, silence 0.3 s (the stream then ends).
fn two_utterances(background_rms: f64) -> Vec<i16> {
    let mut seed = 7;
    let mut audio = Vec::new();
    for (seconds, speech) in [
        (1.0, false),
        (1.2, true),
        (1.5, false),
        (0.8, true),
        (0.3, false),
    ] {
        let n = secs(seconds);
        let bg = noise(n, background_rms, &mut seed);
        let v = if speech { voice(n, 6000.0) } else { vec![0; n] };
        audio.extend(bg.iter().zip(&v).map(|(a, b)| a.saturating_add(*b)));
    }
    audio
}

fn run_vad(audio: &[i16], piece: usize) -> Vec<VadChunk> {
    let mut vad = Vad::new(RATE, &VadConfig::default());
    let mut chunks = Vec::new();
    for part in audio.chunks(piece) {
        chunks.extend(vad.push(part));
    }
    chunks.extend(vad.flush());
    chunks
}

#[test]
fn vad_cuts_utterances_with_pre_roll() {
    for background in [0.0, 150.0] {
        for piece in [480, 1000, 7] {
            let audio = two_utterances(background);
            let chunks = run_vad(&audio, piece);
            let spans: Vec<(f64, f64)> = chunks
                .iter()
                .map(|c| {
                    (
                        c.start_seconds(RATE),
                        c.start_seconds(RATE) + c.duration_seconds(RATE),
                    )
                })
                .collect();
            assert_eq!(
                chunks.len(),
                2,
                "background {background}, piece {piece}: {spans:?}"
            );
            // Speech at 1.0 s; 300 ms of pre-roll.
            let (start, end) = spans[0];
            assert!((0.65..=0.72).contains(&start), "{spans:?}");
            // Speech ends at 2.2 s; the chunk ends after 700 ms of silence.
            assert!((2.85..=3.0).contains(&end), "{spans:?}");
            // The second utterance (3.7 s) lasts until the stream's end (4.8 s): flushed.
            let (start, end) = spans[1];
            assert!((3.35..=3.42).contains(&start), "{spans:?}");
            assert!((end - 4.8).abs() < 0.001, "{spans:?}");
            // The samples are the stream's own.
            for chunk in &chunks {
                let at = chunk.start_sample as usize;
                assert_eq!(chunk.samples, audio[at..at + chunk.samples.len()]);
            }
        }
    }
}

#[test]
fn vad_ignores_silence_clicks_and_steady_noise() {
    let mut vad = Vad::new(RATE, &VadConfig::default());
    // Digital silence, then quiet noise.
    assert!(vad.push(&vec![0; secs(2.0)]).is_empty());
    let mut seed = 1;
    assert!(vad.push(&noise(secs(2.0), 40.0, &mut seed)).is_empty());
    assert!(!vad.in_speech());
    // A click (one frame long, so over two frames at most) does not start speech.
    let mut click = voice(480, 8000.0);
    click.extend(vec![0; secs(1.0)]);
    assert!(vad.push(&click).is_empty());
    assert!(!vad.in_speech());
    assert!(vad.flush().is_none());

    // A steady loud background (fan, hum) is noise, not speech, once it is known.
    let mut vad = Vad::new(RATE, &VadConfig::default());
    let mut chunks = vad.push(&noise(secs(10.0), 800.0, &mut seed));
    chunks.extend(vad.flush());
    assert!(chunks.is_empty(), "{} chunks of noise", chunks.len());
}

#[test]
fn vad_cuts_long_speech_at_the_maximum() {
    let config = VadConfig {
        max_chunk_ms: 5000,
        ..VadConfig::default()
    };
    let mut vad = Vad::new(RATE, &config);
    let mut audio = vec![0; secs(0.5)];
    audio.extend(voice(secs(12.0), 6000.0));
    let mut chunks = vad.push(&audio);
    chunks.extend(vad.flush());
    assert_eq!(
        chunks.len(),
        3,
        "{:?}",
        chunks.iter().map(|c| c.samples.len()).collect::<Vec<_>>()
    );
    // As long as the maximum allows, in whole 30 ms frames.
    for chunk in &chunks[..2] {
        let n = chunk.samples.len();
        assert!(n <= secs(5.0) && n > secs(5.0) - 480, "{n}");
    }
    // Contiguous: each chunk starts where the last ended.
    for pair in chunks.windows(2) {
        assert_eq!(
            pair[1].start_sample,
            pair[0].start_sample + pair[0].samples.len() as u64
        );
    }
    let last = chunks.last().unwrap();
    assert_eq!(last.start_sample as usize + last.samples.len(), audio.len());
    // At the default (30 s), the same speech is one chunk.
    assert_eq!(run_vad(&audio, 4000).len(), 1);
}

#[test]
fn sessions_and_engines_can_move_between_tasks() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<SttSession>();
    assert_send::<SttError>();
    assert_send::<Vad>();
    let engines: Vec<Box<dyn SpeechToText>> = vec![
        Box::new(Deepgram::new("key")),
        Box::new(OpenAiTranscription::new("http://127.0.0.1:9/v1", None)),
    ];
    let names: Vec<&str> = engines.iter().map(|e| e.name()).collect();
    assert_eq!(names, ["deepgram", "openai"]);
}

#[test]
fn config_helpers() {
    assert!(SttConfig::new(16_000, "multi").is_multi_language());
    assert!(SttConfig::new(16_000, "AUTO").is_multi_language());
    assert!(SttConfig::new(16_000, "").is_multi_language());
    assert!(!SttConfig::new(16_000, "en").is_multi_language());
    assert!(SttConfig::new(0, "en").validate().is_err());
    assert_eq!(primary_language("pt-BR"), "pt");
    assert_eq!(primary_language("EN"), "en");
    assert_eq!(truncate("abcdef", 3), "abc…");
    assert_eq!(truncate(" ab ", 3), "ab");
}

// ------------------------------------------------------------------ OpenAI-compatible transcription

#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Verbose,
    TextOnly,
    FailFirst,
    AlwaysFail,
    Unauthorized,
}

/// One request as the fake server saw it.
#[derive(Debug, Clone, Default)]
struct Upload {
    authorization: Option<String>,
    fields: Vec<(String, String)>,
    wav_rate: u32,
    wav_samples: usize,
}

impl Upload {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a multipart/form-data body into (name, filename, bytes).
fn parse_multipart(content_type: &str, body: &[u8]) -> Vec<(String, Option<String>, Vec<u8>)> {
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("boundary")
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut positions = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        if body[i..].starts_with(&delimiter) {
            positions.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    for pair in positions.windows(2) {
        let part = &body[pair[0] + delimiter.len() + 2..pair[1] - 2]; // skip CRLF after/before
        let split = part
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers");
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        let disposition = headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .expect("content-disposition")
            .to_string();
        let value = part[split + 4..].to_vec();
        let attr = |key: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(&format!("{key}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        parts.push((attr("name").expect("name"), attr("filename"), value));
    }
    parts
}

async fn fake_server(answer: Answer) -> (String, Arc<Mutex<Vec<Upload>>>) {
    let uploads: Arc<Mutex<Vec<Upload>>> = Arc::default();
    let seen = uploads.clone();
    let handler = move |headers: HeaderMap, body: Bytes| {
        let seen = seen.clone();
        async move {
            let content_type = headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let mut upload = Upload {
                authorization: headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string),
                ..Upload::default()
            };
            for (name, filename, value) in parse_multipart(&content_type, &body) {
                if name == "file" {
                    assert_eq!(filename.as_deref(), Some("audio.wav"));
                    assert_eq!(&value[..4], b"RIFF");
                    upload.wav_rate = u32::from_le_bytes(value[24..28].try_into().unwrap());
                    upload.wav_samples = (value.len() - 44) / 2;
                } else {
                    upload
                        .fields
                        .push((name, String::from_utf8(value).unwrap()));
                }
            }
            let duration = upload.wav_samples as f64 / upload.wav_rate.max(1) as f64;
            let number = {
                let mut all = seen.lock().unwrap();
                all.push(upload);
                all.len()
            };
            match answer {
                Answer::Unauthorized => (
                    StatusCode::UNAUTHORIZED,
                    r#"{"error":{"message":"Incorrect API key provided"}}"#.to_string(),
                )
                    .into_response(),
                Answer::AlwaysFail => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "boom".to_string()).into_response()
                }
                Answer::FailFirst if number == 1 => {
                    (StatusCode::BAD_GATEWAY, "try again".to_string()).into_response()
                }
                Answer::TextOnly => axum::Json(json!({"text": format!(" only text {number} ")}))
                    .into_response(),
                _ => axum::Json(json!({
                    "task": "transcribe", "language": "english", "duration": duration,
                    "text": format!("utterance {number} part two"),
                    "segments": [
                        {"id": 0, "seek": 0, "start": 0.25, "end": 0.75, "text": format!(" utterance {number}"),
                         "tokens": [], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.0,
                         "no_speech_prob": 0.01},
                        {"id": 1, "seek": 0, "start": 0.75, "end": duration + 5.0, "text": " part two ",
                         "avg_logprob": -0.3, "no_speech_prob": 0.02},
                        {"id": 2, "seek": 0, "start": 1.0, "end": 1.5, "text": " Thanks for watching!",
                         "avg_logprob": -1.4, "no_speech_prob": 0.9},
                        {"id": 3, "seek": 0, "start": 1.5, "end": 1.6, "text": "   "}
                    ]
                }))
                .into_response(),
            }
        }
    };
    let app = axum::Router::new().route("/v1/audio/transcriptions", post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, uploads)
}

async fn stream(engine: &OpenAiTranscription, language: &str, audio: &[i16]) -> Vec<SttSegment> {
    let session = engine
        .open(SttConfig::new(RATE, language))
        .await
        .expect("open");
    for chunk in audio.chunks(480) {
        session.send(chunk.to_vec()).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(20), session.finish_and_collect())
        .await
        .expect("the session ends")
}

#[tokio::test]
async fn openai_posts_each_utterance_and_offsets_segments() {
    let (url, uploads) = fake_server(Answer::Verbose).await;
    let engine =
        OpenAiTranscription::new(url, Some("sk-test".into())).with_model("whisper-large-v3");
    assert_eq!(engine.name(), "openai");
    let segments = stream(&engine, "en-US", &two_utterances(0.0)).await;

    let uploads = uploads.lock().unwrap().clone();
    assert_eq!(uploads.len(), 2);
    for upload in &uploads {
        assert_eq!(upload.authorization.as_deref(), Some("Bearer sk-test"));
        assert_eq!(upload.field("model"), Some("whisper-large-v3"));
        assert_eq!(upload.field("response_format"), Some("verbose_json"));
        assert_eq!(upload.field("language"), Some("en"));
        assert_eq!(upload.field("timestamp_granularities[]"), Some("segment"));
        assert_eq!(upload.wav_rate, RATE);
    }
    // The first utterance starts at 0.69 s (pre-roll included) and lasts until ~2.9 s.
    let first_start = (0.69 * 16_000.0 / 480.0_f64).floor() * 480.0 / 16_000.0;
    let first_end = first_start + uploads[0].wav_samples as f64 / RATE as f64;
    let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        ["utterance 1", "part two", "utterance 2", "part two"]
    );
    assert!(segments.iter().all(|s| s.speaker == 0));
    assert!(
        (segments[0].start - (first_start + 0.25)).abs() < 0.001,
        "{segments:?}"
    );
    assert!(
        (segments[0].end - (first_start + 0.75)).abs() < 0.001,
        "{segments:?}"
    );
    // Clamped to the utterance.
    assert!((segments[1].end - first_end).abs() < 0.001, "{segments:?}");
    assert!(
        segments[2].start > 3.5 && segments[3].end <= 4.8 + 1e-9,
        "{segments:?}"
    );
}

#[tokio::test]
async fn openai_multi_language_sends_no_language_and_reads_plain_text_answers() {
    let (url, uploads) = fake_server(Answer::TextOnly).await;
    let engine = OpenAiTranscription::new(format!("{url}/"), None);
    let segments = stream(&engine, "multi", &two_utterances(0.0)).await;
    let uploads = uploads.lock().unwrap().clone();
    assert_eq!(uploads.len(), 2);
    assert!(uploads.iter().all(|u| u.field("language").is_none()));
    assert!(uploads.iter().all(|u| u.authorization.is_none()));
    assert_eq!(uploads[0].field("model"), Some("whisper-1"));
    let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["only text 1", "only text 2"]);
    // Without segments the text spans the utterance.
    let duration = uploads[0].wav_samples as f64 / RATE as f64;
    assert!((segments[0].end - segments[0].start - duration).abs() < 0.001);
}

#[tokio::test]
async fn openai_retries_once_then_drops_the_utterance() {
    // One failure: the retry succeeds, nothing is lost.
    let (url, uploads) = fake_server(Answer::FailFirst).await;
    let engine = OpenAiTranscription::new(url, None);
    let segments = stream(&engine, "en", &two_utterances(0.0)).await;
    assert_eq!(uploads.lock().unwrap().len(), 3);
    assert_eq!(segments.len(), 4);

    // Always failing: each utterance is tried twice, dropped, and the session still ends.
    let (url, uploads) = fake_server(Answer::AlwaysFail).await;
    let engine = OpenAiTranscription::new(url, None);
    let segments = stream(&engine, "en", &two_utterances(0.0)).await;
    assert!(segments.is_empty());
    assert_eq!(uploads.lock().unwrap().len(), 4);

    // A refused key is not retried.
    let (url, uploads) = fake_server(Answer::Unauthorized).await;
    let engine = OpenAiTranscription::new(url, Some("bad".into()));
    let segments = stream(&engine, "en", &two_utterances(0.0)).await;
    assert!(segments.is_empty());
    assert_eq!(uploads.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn openai_unreachable_server_ends_the_session() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let engine = OpenAiTranscription::new(url, None);
    let segments = stream(&engine, "en", &two_utterances(0.0)).await;
    assert!(segments.is_empty());
}

#[tokio::test]
async fn dropping_the_segments_receiver_stops_the_engine() {
    let (url, _uploads) = fake_server(Answer::Verbose).await;
    let engine = OpenAiTranscription::new(url, None);
    let session = engine.open(SttConfig::new(RATE, "en")).await.unwrap();
    let SttSession { audio, segments } = session;
    drop(segments);
    // Audio keeps being taken until an utterance's segments find nobody; then sending fails.
    let speech = two_utterances(0.0);
    let mut failed = false;
    for _ in 0..20 {
        for chunk in speech.chunks(480) {
            if audio.send(chunk.to_vec()).await.is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(failed, "the engine kept taking audio with nobody reading");
}

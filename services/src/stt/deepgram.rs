//! Deepgram's streaming API (`wss://api.deepgram.com/v1/listen`), or any server speaking it.
//!
//! The audio goes up as binary frames of 16-bit little-endian PCM (`encoding=linear16`); without audio
//! for [`Deepgram::keepalive_interval`] a `{"type":"KeepAlive"}` keeps the stream open; at the end a
//! `{"type":"CloseStream"}` asks the server to flush, and the session reads on until the server
//! closes. Only final `Results` become segments, split where the diarized speaker changes.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header::AUTHORIZATION, HeaderValue};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::Connector;

use super::{
    truncate, SpeechToText, SttConfig, SttError, SttSegment, SttSession, AUDIO_CHANNEL_CAPACITY,
    SEGMENT_CHANNEL_CAPACITY,
};

const KEEP_ALIVE: &str = r#"{"type":"KeepAlive"}"#;
const CLOSE_STREAM: &str = r#"{"type":"CloseStream"}"#;
const SERVICE: &str = "deepgram";

/// A Deepgram-compatible streaming speech-to-text service.
#[derive(Debug, Clone)]
pub struct Deepgram {
    /// Base URL: `wss://api.deepgram.com` by default; `ws://host:port` for a local server
    /// (`https://`/`http://` are taken as `wss://`/`ws://`).
    pub url: String,
    /// Sent as `Authorization: Token <key>`.
    pub api_key: String,
    /// The `model` query parameter (`nova-3`).
    pub model: String,
    /// Without audio for this long, a `KeepAlive` message is sent (5 s).
    pub keepalive_interval: Duration,
    /// Limit on connecting and the WebSocket handshake (10 s).
    pub connect_timeout: Duration,
    /// How long to wait for the server to close after `CloseStream` (15 s).
    pub finish_timeout: Duration,
}

impl Deepgram {
    pub const DEFAULT_URL: &'static str = "wss://api.deepgram.com";
    pub const DEFAULT_MODEL: &'static str = "nova-3";

    /// Deepgram's own service with this API key.
    pub fn new(api_key: impl Into<String>) -> Deepgram {
        Deepgram {
            url: Self::DEFAULT_URL.to_string(),
            api_key: api_key.into(),
            model: Self::DEFAULT_MODEL.to_string(),
            keepalive_interval: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(10),
            finish_timeout: Duration::from_secs(15),
        }
    }

    /// Another base URL (a Deepgram-compatible server, a proxy, a test server).
    pub fn with_url(mut self, url: impl Into<String>) -> Deepgram {
        self.url = url.into();
        self
    }

    /// The `GET /v1/listen?…` URL for a stream.
    pub fn listen_url(&self, config: &SttConfig) -> String {
        let base = self.url.trim().trim_end_matches('/');
        let base = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else if base.starts_with("wss://") || base.starts_with("ws://") {
            base.to_string()
        } else {
            format!("wss://{base}")
        };
        let language = if config.is_multi_language() {
            "multi".to_string()
        } else {
            config.language.trim().to_string()
        };
        format!(
            "{base}/v1/listen?encoding=linear16&sample_rate={}&channels=1&language={}&model={}\
             &punctuate=true&smart_format=true&diarize=true&interim_results=true&endpointing=300",
            config.sample_rate,
            encode_query(&language),
            encode_query(&self.model),
        )
    }

    fn connect_error(&self, url: &str, message: impl Into<String>) -> SttError {
        SttError::Connect {
            service: SERVICE.to_string(),
            url: url.to_string(),
            message: message.into(),
        }
    }
}

#[async_trait::async_trait]
impl SpeechToText for Deepgram {
    fn name(&self) -> &str {
        SERVICE
    }

    async fn open(&self, config: SttConfig) -> Result<SttSession, SttError> {
        config.validate()?;
        let url = self.listen_url(&config);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| SttError::Config(format!("invalid Deepgram URL {url}: {e}")))?;
        let token = HeaderValue::from_str(&format!("Token {}", self.api_key.trim()))
            .map_err(|_| SttError::Config("the Deepgram API key is not a valid header".into()))?;
        request.headers_mut().insert(AUTHORIZATION, token);
        let connector = Connector::Rustls(tls_config()?);
        let connecting =
            tokio_tungstenite::connect_async_tls_with_config(request, None, true, Some(connector));
        let (socket, _) = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Err(_) => {
                return Err(
                    self.connect_error(&url, format!("timed out after {:?}", self.connect_timeout))
                )
            }
            Ok(Err(tungstenite::Error::Http(response))) => {
                let status = response.status().as_u16();
                let detail = response
                    .body()
                    .as_deref()
                    .map(|body| truncate(&String::from_utf8_lossy(body), 300))
                    .unwrap_or_default();
                let service = SERVICE.to_string();
                return Err(if status == 401 || status == 403 {
                    SttError::Unauthorized {
                        service,
                        status,
                        detail,
                    }
                } else {
                    SttError::Http {
                        service,
                        status,
                        detail,
                    }
                });
            }
            Ok(Err(e)) => return Err(self.connect_error(&url, e.to_string())),
            Ok(Ok(connected)) => connected,
        };
        tracing::debug!(url = %url, "deepgram stream open");

        let (audio_tx, audio_rx) = mpsc::channel(AUDIO_CHANNEL_CAPACITY);
        let (segments_tx, segments_rx) = mpsc::channel(SEGMENT_CHANNEL_CAPACITY);
        tokio::spawn(run(
            socket,
            audio_rx,
            segments_tx,
            self.keepalive_interval,
            self.finish_timeout,
        ));
        Ok(SttSession::new(audio_tx, segments_rx))
    }
}

/// A client configuration with the ring provider and the webpki roots, whatever else the process
/// has installed as its default crypto provider.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, SttError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| {
                    Arc::new(builder.with_root_certificates(roots).with_no_client_auth())
                })
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| SttError::Config(format!("TLS setup failed: {e}")))
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One stream: a writer task sends audio and keepalives (and `CloseStream` at the end); this task
/// reads results until the server closes, the connection fails, or nobody reads the segments.
async fn run(
    socket: Socket,
    mut audio: mpsc::Receiver<Vec<i16>>,
    segments: mpsc::Sender<SttSegment>,
    keepalive: Duration,
    finish_timeout: Duration,
) {
    let (mut sink, mut stream) = socket.split();
    let (finished_tx, mut finished_rx) = oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        let mut last_sent = Instant::now();
        loop {
            tokio::select! {
                received = audio.recv() => match received {
                    Some(samples) if samples.is_empty() => {}
                    Some(samples) => {
                        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
                        if let Err(e) = sink.send(Message::binary(bytes)).await {
                            tracing::warn!(error = %e, "deepgram: sending audio failed");
                            return;
                        }
                        last_sent = Instant::now();
                    }
                    None => {
                        if let Err(e) = sink.send(Message::text(CLOSE_STREAM)).await {
                            tracing::debug!(error = %e, "deepgram: sending CloseStream failed");
                        }
                        let _ = finished_tx.send(());
                        return;
                    }
                },
                _ = tokio::time::sleep_until(last_sent + keepalive) => {
                    if let Err(e) = sink.send(Message::text(KEEP_ALIVE)).await {
                        tracing::warn!(error = %e, "deepgram: sending KeepAlive failed");
                        return;
                    }
                    last_sent = Instant::now();
                }
            }
        }
    });

    // Set once the writer is done (CloseStream sent, or it failed): the server then has
    // `finish_timeout` to close.
    let mut deadline: Option<Instant> = None;
    loop {
        let next = tokio::select! {
            next = stream.next() => next,
            _ = &mut finished_rx, if deadline.is_none() => {
                deadline = Some(Instant::now() + finish_timeout);
                continue;
            }
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                tracing::warn!("deepgram: the server did not close the stream {finish_timeout:?} after CloseStream");
                break;
            }
        };
        match next {
            None => {
                if deadline.is_none() {
                    tracing::warn!("deepgram: the connection ended before the stream was finished");
                }
                break;
            }
            Some(Err(e)) => {
                if deadline.is_none() {
                    tracing::warn!(error = %e, "deepgram: the connection failed");
                } else {
                    tracing::debug!(error = %e, "deepgram: the connection ended after CloseStream");
                }
                break;
            }
            Some(Ok(Message::Text(text))) => {
                let mut receiver_gone = false;
                for segment in parse_message(text.as_str()) {
                    if segments.send(segment).await.is_err() {
                        receiver_gone = true;
                        break;
                    }
                }
                if receiver_gone {
                    tracing::debug!("deepgram: segments no longer read; closing the stream");
                    break;
                }
            }
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                if deadline.is_none() {
                    tracing::warn!(code, reason = %reason, "deepgram: the server closed the stream");
                } else {
                    tracing::debug!(code, reason = %reason, "deepgram: stream closed");
                }
                // Read on: the close handshake completes and the stream then ends.
            }
            Some(Ok(_)) => {} // binary, ping, pong: nothing to do (pongs are automatic)
        }
    }
    writer.abort();
}

/// One message from the server → the segments it finalizes (nothing for interim results and for
/// `Metadata`, `SpeechStarted`, `UtteranceEnd`).
fn parse_message(text: &str) -> Vec<SttSegment> {
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => {
            tracing::warn!(error = %e, message = %truncate(text, 200), "deepgram: unreadable message");
            return Vec::new();
        }
    };
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    match kind {
        "Results" => {
            let result: ResultsMessage = match serde_json::from_value(value) {
                Ok(result) => result,
                Err(e) => {
                    tracing::warn!(error = %e, message = %truncate(text, 200), "deepgram: unreadable Results");
                    return Vec::new();
                }
            };
            if !result.is_final {
                return Vec::new();
            }
            match result.channel.alternatives.into_iter().next() {
                Some(alternative) => segments_of(alternative, result.start, result.duration),
                None => Vec::new(),
            }
        }
        "Metadata" | "SpeechStarted" | "UtteranceEnd" => Vec::new(),
        "Error" => {
            tracing::warn!(message = %truncate(text, 300), "deepgram: error message");
            Vec::new()
        }
        other => {
            tracing::debug!(kind = other, "deepgram: ignored message");
            Vec::new()
        }
    }
}

/// Consecutive words of one speaker make one segment; without words, the transcript makes one
/// segment over the result's span.
fn segments_of(alternative: Alternative, start: f64, duration: f64) -> Vec<SttSegment> {
    if alternative.words.is_empty() {
        let text = alternative.transcript.trim();
        if text.is_empty() {
            return Vec::new();
        }
        return vec![SttSegment {
            text: text.to_string(),
            speaker: 0,
            start,
            end: start + duration.max(0.0),
        }];
    }
    let mut out: Vec<SttSegment> = Vec::new();
    let mut current_speaker = None;
    for word in alternative.words {
        let text = word
            .punctuated_word
            .as_deref()
            .filter(|w| !w.trim().is_empty())
            .unwrap_or(&word.word)
            .trim()
            .to_string();
        if text.is_empty() {
            continue;
        }
        let speaker = word.speaker.unwrap_or(0);
        match out.last_mut() {
            Some(segment) if current_speaker == Some(speaker) => {
                segment.text.push(' ');
                segment.text.push_str(&text);
                segment.end = segment.end.max(word.end);
            }
            _ => {
                current_speaker = Some(speaker);
                out.push(SttSegment {
                    text,
                    speaker,
                    start: word.start,
                    end: word.end.max(word.start),
                });
            }
        }
    }
    out
}

#[derive(Debug, Deserialize)]
struct ResultsMessage {
    #[serde(default)]
    is_final: bool,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    duration: f64,
    #[serde(default)]
    channel: Channel,
}

#[derive(Debug, Default, Deserialize)]
struct Channel {
    #[serde(default)]
    alternatives: Vec<Alternative>,
}

#[derive(Debug, Deserialize)]
struct Alternative {
    #[serde(default)]
    transcript: String,
    #[serde(default)]
    words: Vec<Word>,
}

#[derive(Debug, Deserialize)]
struct Word {
    #[serde(default)]
    word: String,
    #[serde(default)]
    punctuated_word: Option<String>,
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
    #[serde(default)]
    speaker: Option<u32>,
}

#[cfg(test)]
mod tests;

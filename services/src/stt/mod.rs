//! Speech-to-text for `/v4/listen`: a streaming [`SpeechToText`] engine takes the stream's mono 16-bit
//! PCM and gives back transcript segments.
//!
//! - [`Deepgram`]: Deepgram's (or a Deepgram-compatible) streaming WebSocket API, with diarization.
//! - [`OpenAiTranscription`]: any OpenAI-compatible `POST /audio/transcriptions` (OpenAI, Groq,
//!   self-hosted Whisper servers): the live audio is cut into utterances by an energy-based voice
//!   activity detector ([`Vad`]) and each utterance is transcribed on its own.
//!
//! A session is a pair of channels ([`SttSession`]): audio in, segments out. Closing the audio side
//! (dropping [`SttSession::audio`] or calling [`SttSession::finish`]) ends the stream: the engine
//! flushes what it has, sends the last segments, and closes the segments channel. An engine that
//! fails (connection lost, server error) logs why and closes the segments channel too (and stops
//! taking audio, so a sender sees the failure): the caller never hangs on a dead engine.

mod deepgram;
mod openai;
mod vad;

pub use deepgram::Deepgram;
pub use openai::OpenAiTranscription;
pub use vad::{Vad, VadChunk, VadConfig};

use tokio::sync::mpsc;

/// How many audio chunks a session buffers before [`SttSession::audio`]'s `send` waits.
pub const AUDIO_CHANNEL_CAPACITY: usize = 64;
/// How many segments an engine buffers before it waits for the caller to read them.
pub const SEGMENT_CHANNEL_CAPACITY: usize = 256;

/// What a stream carries and in which language it is spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SttConfig {
    /// Rate of the PCM sent on [`SttSession::audio`] (mono, 16-bit), in Hz.
    pub sample_rate: u32,
    /// BCP-47 language code (`en`, `de`, `pt-BR`); `multi` (or `auto`) for multi-language speech.
    pub language: String,
}

impl SttConfig {
    pub fn new(sample_rate: u32, language: impl Into<String>) -> SttConfig {
        SttConfig {
            sample_rate,
            language: language.into(),
        }
    }

    /// Whether the language is left to the engine (`multi`, `auto`, or empty).
    pub fn is_multi_language(&self) -> bool {
        let language = self.language.trim();
        language.is_empty()
            || language.eq_ignore_ascii_case("multi")
            || language.eq_ignore_ascii_case("auto")
    }

    fn validate(&self) -> Result<(), SttError> {
        if self.sample_rate < 1000 || self.sample_rate > 384_000 {
            return Err(SttError::Config(format!(
                "unsupported sample_rate {}",
                self.sample_rate
            )));
        }
        Ok(())
    }
}

/// A piece of final transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct SttSegment {
    pub text: String,
    /// 0-based speaker index within the stream; 0 when the engine does not tell speakers apart.
    pub speaker: u32,
    /// Seconds since the stream's first audio sample.
    pub start: f64,
    pub end: f64,
}

/// An open stream: send mono 16-bit PCM (at [`SttConfig::sample_rate`]) on `audio`, read final
/// segments from `segments`. Ending the audio (dropping `audio`, or [`SttSession::finish`]) makes the
/// engine flush and close `segments` once the last segments are sent; `segments` also closes when the
/// engine fails, and then sending audio fails too.
#[derive(Debug)]
pub struct SttSession {
    pub audio: mpsc::Sender<Vec<i16>>,
    pub segments: mpsc::Receiver<SttSegment>,
}

impl SttSession {
    /// A session over existing channels (for engines outside this module).
    pub fn new(audio: mpsc::Sender<Vec<i16>>, segments: mpsc::Receiver<SttSegment>) -> SttSession {
        SttSession { audio, segments }
    }

    /// Sends audio; fails when the engine has stopped.
    pub async fn send(&self, samples: Vec<i16>) -> Result<(), SttError> {
        self.audio.send(samples).await.map_err(|_| SttError::Closed)
    }

    /// Ends the audio and returns the segments still to come; the receiver closes when the engine
    /// is done.
    pub fn finish(self) -> mpsc::Receiver<SttSegment> {
        self.segments
    }

    /// Ends the audio and collects every remaining segment.
    pub async fn finish_and_collect(self) -> Vec<SttSegment> {
        let mut segments = self.finish();
        let mut out = Vec::new();
        while let Some(segment) = segments.recv().await {
            out.push(segment);
        }
        out
    }
}

/// A streaming speech-to-text engine.
#[async_trait::async_trait]
pub trait SpeechToText: Send + Sync {
    /// A short name for logs and for the `stt_provider` of segments (e.g. `deepgram`).
    fn name(&self) -> &str;

    /// Opens a stream. Fails when the engine cannot be reached or refuses the credentials; once
    /// open, failures end the session's channels instead (see [`SttSession`]).
    async fn open(&self, config: SttConfig) -> Result<SttSession, SttError>;
}

/// Why a stream could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum SttError {
    #[error("invalid speech-to-text configuration: {0}")]
    Config(String),
    #[error("{service}: cannot connect to {url}: {message}")]
    Connect {
        service: String,
        url: String,
        message: String,
    },
    #[error("{service} refused the credentials (HTTP {status}){}", detail_suffix(.detail))]
    Unauthorized {
        service: String,
        status: u16,
        detail: String,
    },
    #[error("{service} answered HTTP {status}{}", detail_suffix(.detail))]
    Http {
        service: String,
        status: u16,
        detail: String,
    },
    #[error("{service} protocol error: {message}")]
    Protocol { service: String, message: String },
    #[error("the speech-to-text session is closed")]
    Closed,
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// Shortens a server's error body for messages and logs.
fn truncate(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The primary subtag of a BCP-47 code, lower-cased (`pt-BR` → `pt`): the ISO-639-1 code OpenAI wants.
fn primary_language(language: &str) -> String {
    language
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests;

//! OpenAI-compatible transcription (`POST {base_url}/audio/transcriptions`): OpenAI, Groq, and
//! self-hosted Whisper servers. The live audio is cut into utterances by the [`Vad`]; each utterance
//! is posted as a WAV file, and the answer's segments, moved to the utterance's place in the stream,
//! become [`SttSegment`]s (speaker 0: these services do not tell speakers apart).
//!
//! Per session, one task runs the detector and another posts the utterances one after the other. A
//! failed request is tried once more (transport errors, HTTP 429 and 5xx); if it fails again the
//! utterance is dropped and logged, and the session goes on.

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

use super::{
    primary_language, truncate, SpeechToText, SttConfig, SttError, SttSegment, SttSession, Vad,
    VadChunk, VadConfig, AUDIO_CHANNEL_CAPACITY, SEGMENT_CHANNEL_CAPACITY,
};
use crate::audio::wav_bytes;

/// Utterances waiting for their request before the detector (and then the audio sender) waits.
const CHUNK_QUEUE: usize = 32;
/// Wait before the one retry of a failed request.
const RETRY_DELAY: Duration = Duration::from_millis(500);

/// An OpenAI-compatible transcription service.
#[derive(Debug, Clone)]
pub struct OpenAiTranscription {
    /// Base URL of the API, with its version: `https://api.openai.com/v1`,
    /// `https://api.groq.com/openai/v1`, `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// The `model` form field (`whisper-1` by default).
    pub model: String,
    /// How utterances are cut from the live audio.
    pub vad: VadConfig,
    name: String,
    client: reqwest::Client,
}

impl OpenAiTranscription {
    pub const DEFAULT_MODEL: &'static str = "whisper-1";

    /// A service at `base_url` (e.g. `https://api.openai.com/v1`), model `whisper-1`, requests timing
    /// out after 120 s.
    pub fn new(base_url: impl Into<String>, api_key: Option<String>) -> OpenAiTranscription {
        OpenAiTranscription {
            base_url: base_url.into(),
            api_key: api_key.filter(|key| !key.trim().is_empty()),
            model: Self::DEFAULT_MODEL.to_string(),
            vad: VadConfig::default(),
            name: "openai".to_string(),
            client: http_client(Duration::from_secs(120)),
        }
    }

    pub fn with_model(mut self, model: impl Into<String>) -> OpenAiTranscription {
        self.model = model.into();
        self
    }

    /// The name given by [`SpeechToText::name`] (`openai` by default; e.g. `groq`, `whisper`).
    pub fn with_name(mut self, name: impl Into<String>) -> OpenAiTranscription {
        self.name = name.into();
        self
    }

    pub fn with_vad(mut self, vad: VadConfig) -> OpenAiTranscription {
        self.vad = vad;
        self
    }

    /// Per-request timeout (the whole request, upload and transcription).
    pub fn with_timeout(mut self, timeout: Duration) -> OpenAiTranscription {
        self.client = http_client(timeout);
        self
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/audio/transcriptions",
            self.base_url.trim_end_matches('/')
        )
    }

    /// Transcribes one utterance (WAV at `sample_rate`), with one retry; segments are relative to the
    /// utterance.
    async fn transcribe(
        &self,
        samples: &[i16],
        config: &SttConfig,
    ) -> Result<Vec<SttSegment>, SttError> {
        let wav = wav_bytes(samples, config.sample_rate);
        match self.request(wav.clone(), config).await {
            Err(e) if retryable(&e) => {
                tracing::debug!(engine = %self.name, error = %e, "transcription failed; retrying once");
                tokio::time::sleep(RETRY_DELAY).await;
                self.request(wav, config).await
            }
            other => other,
        }
    }

    async fn request(&self, wav: Vec<u8>, config: &SttConfig) -> Result<Vec<SttSegment>, SttError> {
        let url = self.endpoint();
        let file = reqwest::multipart::Part::bytes(wav)
            .file_name("audio.wav")
            .mime_str("audio/wav")
            .map_err(|e| self.protocol(e.to_string()))?;
        let mut form = reqwest::multipart::Form::new()
            .part("file", file)
            .text("model", self.model.clone())
            .text("response_format", "verbose_json")
            .text("timestamp_granularities[]", "segment");
        if !config.is_multi_language() {
            form = form.text("language", primary_language(&config.language));
        }
        let mut request = self.client.post(&url).multipart(form);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| SttError::Connect {
            service: self.name.clone(),
            url: url.clone(),
            message: error_chain(&e),
        })?;
        let status = response.status();
        let body = response.text().await.map_err(|e| SttError::Connect {
            service: self.name.clone(),
            url: url.clone(),
            message: error_chain(&e),
        })?;
        if !status.is_success() {
            let detail = truncate(&body, 300);
            let service = self.name.clone();
            let status = status.as_u16();
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
        let answer: Transcription = serde_json::from_str(&body).map_err(|e| {
            self.protocol(format!("unexpected answer ({e}): {}", truncate(&body, 200)))
        })?;
        Ok(answer.into_segments())
    }

    fn protocol(&self, message: String) -> SttError {
        SttError::Protocol {
            service: self.name.clone(),
            message,
        }
    }
}

fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

/// Transport failures, rate limits and server errors are worth one more try; a refused key or a
/// refused request is not.
fn retryable(error: &SttError) -> bool {
    match error {
        SttError::Connect { .. } => true,
        SttError::Http { status, .. } => *status == 429 || *status >= 500,
        _ => false,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// OpenAI's `verbose_json` answer (only what is used); a `json` answer has just `text`.
#[derive(Debug, Deserialize)]
struct Transcription {
    #[serde(default)]
    text: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    segments: Option<Vec<TranscriptionSegment>>,
}

#[derive(Debug, Deserialize)]
struct TranscriptionSegment {
    #[serde(default)]
    start: f64,
    #[serde(default)]
    end: f64,
    #[serde(default)]
    text: String,
    #[serde(default)]
    no_speech_prob: Option<f64>,
    #[serde(default)]
    avg_logprob: Option<f64>,
}

impl Transcription {
    /// Segments relative to the utterance. Segments Whisper itself would call silence (high
    /// `no_speech_prob` and low `avg_logprob`, Whisper's own rule) are left out.
    fn into_segments(self) -> Vec<SttSegment> {
        let segments = self.segments.unwrap_or_default();
        if segments.is_empty() {
            let text = self.text.trim();
            if text.is_empty() {
                return Vec::new();
            }
            return vec![SttSegment {
                text: text.to_string(),
                speaker: 0,
                start: 0.0,
                end: self.duration.unwrap_or(0.0).max(0.0),
            }];
        }
        segments
            .into_iter()
            .filter(|s| {
                !(s.no_speech_prob.unwrap_or(0.0) > 0.6 && s.avg_logprob.unwrap_or(0.0) < -1.0)
            })
            .filter_map(|s| {
                let text = s.text.trim();
                if text.is_empty() {
                    return None;
                }
                let start = if s.start.is_finite() {
                    s.start.max(0.0)
                } else {
                    0.0
                };
                let end = if s.end.is_finite() {
                    s.end.max(start)
                } else {
                    start
                };
                Some(SttSegment {
                    text: text.to_string(),
                    speaker: 0,
                    start,
                    end,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl SpeechToText for OpenAiTranscription {
    fn name(&self) -> &str {
        &self.name
    }

    async fn open(&self, config: SttConfig) -> Result<SttSession, SttError> {
        config.validate()?;
        let (audio_tx, audio_rx) = mpsc::channel(AUDIO_CHANNEL_CAPACITY);
        let (segments_tx, segments_rx) = mpsc::channel(SEGMENT_CHANNEL_CAPACITY);
        let (chunks_tx, chunks_rx) = mpsc::channel(CHUNK_QUEUE);
        let vad = Vad::new(config.sample_rate, &self.vad);
        tokio::spawn(detect(audio_rx, chunks_tx, vad));
        tokio::spawn(transcribe_all(self.clone(), config, chunks_rx, segments_tx));
        Ok(SttSession::new(audio_tx, segments_rx))
    }
}

/// Cuts the audio into utterances until the audio ends (then flushes) or nobody wants them.
async fn detect(mut audio: mpsc::Receiver<Vec<i16>>, chunks: mpsc::Sender<VadChunk>, mut vad: Vad) {
    while let Some(samples) = audio.recv().await {
        for chunk in vad.push(&samples) {
            if chunks.send(chunk).await.is_err() {
                return;
            }
        }
    }
    if let Some(chunk) = vad.flush() {
        let _ = chunks.send(chunk).await;
    }
}

/// Transcribes the utterances one after the other; closes the segments channel when done.
async fn transcribe_all(
    engine: OpenAiTranscription,
    config: SttConfig,
    mut chunks: mpsc::Receiver<VadChunk>,
    segments: mpsc::Sender<SttSegment>,
) {
    while let Some(chunk) = chunks.recv().await {
        if segments.is_closed() {
            return;
        }
        let offset = chunk.start_seconds(config.sample_rate);
        let duration = chunk.duration_seconds(config.sample_rate);
        match engine.transcribe(&chunk.samples, &config).await {
            Ok(found) => {
                for mut segment in found {
                    // Keep the segment inside its utterance (Whisper may round past the end).
                    segment.end = if segment.end > 0.0 {
                        segment.end.min(duration)
                    } else {
                        duration
                    };
                    segment.start = segment.start.min(segment.end);
                    segment.start += offset;
                    segment.end += offset;
                    if segments.send(segment).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => tracing::warn!(
                engine = %engine.name,
                start = offset,
                seconds = duration,
                error = %e,
                "transcription of an utterance failed; it is dropped"
            ),
        }
    }
}

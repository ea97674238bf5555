//! Embeddings for semantic search: any server speaking OpenAI's `POST /v1/embeddings` wire format (OpenAI,
//! Ollama, vLLM, llama.cpp server, LiteLLM, …). There is no offline default: without a server, search is
//! full-text only.
//!
//! Errors: connection failures → [`EmbeddingError::Unavailable`], no answer within the timeout (default 30 s) →
//! [`EmbeddingError::Timeout`], non-2xx → [`EmbeddingError::Status`], an answer that is not one usable vector per
//! input → [`EmbeddingError::BadResponse`].

use std::time::Duration;

use omi_domain::conversation::Embedding;
use serde::Deserialize;
use serde_json::{json, Value};

/// The most characters of one input sent to the server (about 2,000 tokens of English, well inside the 8,191
/// tokens OpenAI's embedding models read); longer texts are cut at a character boundary.
pub const MAX_INPUT_CHARS: usize = 8_000;

/// Why an embedding could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    #[error("embeddings server unavailable: {0}")]
    Unavailable(String),
    #[error("embeddings server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("embeddings server answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("embeddings server answer unusable: {0}")]
    BadResponse(String),
}

impl EmbeddingError {
    /// Worth trying again later (timeouts, connection failures, 429 and 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            EmbeddingError::Unavailable(_) | EmbeddingError::Timeout(_) => true,
            EmbeddingError::Status { status, .. } => *status == 429 || *status >= 500,
            EmbeddingError::BadResponse(_) => false,
        }
    }
}

/// Something that places texts in a vector space.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name, recorded with each vector (vectors of different models are never compared).
    fn model(&self) -> &str;
    /// One vector per text, in the order given.
    async fn embed(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbeddingError>;
}

/// An OpenAI-compatible `/v1/embeddings` endpoint.
#[derive(Debug)]
pub struct OpenAiEmbeddings {
    url: String,
    api_key: Option<String>,
    model: String,
    timeout: Duration,
    client: reqwest::Client,
}

impl OpenAiEmbeddings {
    /// Default time allowed for one request.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// `base_url` is the API root including the version (`https://api.openai.com/v1`,
    /// `http://localhost:11434/v1`); `api_key`, when set and not blank, is sent as a Bearer token.
    pub fn new(
        base_url: &str,
        api_key: Option<String>,
        model: &str,
    ) -> Result<OpenAiEmbeddings, EmbeddingError> {
        let base_url = base_url.trim().trim_end_matches('/');
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(EmbeddingError::Unavailable(format!(
                "base URL must start with http:// or https://: {base_url:?}"
            )));
        }
        let model = model.trim();
        if model.is_empty() {
            return Err(EmbeddingError::Unavailable(
                "no embeddings model configured".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("omi-server/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                EmbeddingError::Unavailable(format!("cannot create the HTTP client: {e}"))
            })?;
        Ok(OpenAiEmbeddings {
            url: format!("{base_url}/embeddings"),
            api_key: api_key
                .map(|key| key.trim().to_string())
                .filter(|key| !key.is_empty()),
            model: model.to_string(),
            timeout: Self::DEFAULT_TIMEOUT,
            client,
        })
    }

    /// The same endpoint with another time allowed per request.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    #[serde(default)]
    index: Option<usize>,
    embedding: Value,
}

#[async_trait::async_trait]
impl Embedder for OpenAiEmbeddings {
    fn model(&self) -> &str {
        &self.model
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbeddingError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let input: Vec<String> = texts.iter().map(|text| cut(text)).collect();
        let body = json!({"model": self.model, "input": input, "encoding_format": "float"});
        let mut request = self
            .client
            .post(&self.url)
            .json(&body)
            .timeout(self.timeout);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|e| self.failure(e))?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| self.failure(e))?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes).chars().take(500).collect();
            return Err(EmbeddingError::Status {
                status: status.as_u16(),
                body,
            });
        }
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|e| EmbeddingError::BadResponse(format!("not the embeddings format: {e}")))?;
        vectors_of(answer, texts.len())
    }
}

impl OpenAiEmbeddings {
    fn failure(&self, error: reqwest::Error) -> EmbeddingError {
        if error.is_timeout() {
            EmbeddingError::Timeout(self.timeout)
        } else {
            EmbeddingError::Unavailable(error.to_string())
        }
    }
}

/// One vector per input, put in input order by each datum's `index` (or the order given, without one).
fn vectors_of(answer: Answer, expected: usize) -> Result<Vec<Embedding>, EmbeddingError> {
    if answer.data.len() != expected {
        return Err(EmbeddingError::BadResponse(format!(
            "{} vectors for {expected} inputs",
            answer.data.len()
        )));
    }
    let mut slots: Vec<Option<Embedding>> = vec![None; expected];
    for (order, datum) in answer.data.into_iter().enumerate() {
        let at = datum.index.unwrap_or(order);
        let slot = slots.get_mut(at).ok_or_else(|| {
            EmbeddingError::BadResponse(format!("index {at} is beyond the {expected} inputs"))
        })?;
        if slot.is_some() {
            return Err(EmbeddingError::BadResponse(format!(
                "index {at} answered twice"
            )));
        }
        *slot = Some(vector_of(&datum.embedding)?);
    }
    Ok(slots.into_iter().flatten().collect())
}

/// A vector given as numbers, or as base64 (`encoding_format: "base64"`, which some servers answer anyway).
fn vector_of(embedding: &Value) -> Result<Embedding, EmbeddingError> {
    let unusable = |e: omi_domain::DomainError| EmbeddingError::BadResponse(e.to_string());
    match embedding {
        Value::String(text) => Embedding::from_base64(text).map_err(unusable),
        Value::Array(numbers) => {
            let values = numbers
                .iter()
                .map(|number| number.as_f64().map(|value| value as f32))
                .collect::<Option<Vec<f32>>>()
                .ok_or_else(|| EmbeddingError::BadResponse("a vector holds a non-number".into()))?;
            Embedding::new(values).map_err(unusable)
        }
        _ => Err(EmbeddingError::BadResponse(
            "a vector is neither numbers nor base64".into(),
        )),
    }
}

/// `text` cut to [`MAX_INPUT_CHARS`] characters; a server refuses an empty input, so blank text becomes one space.
fn cut(text: &str) -> String {
    let cut: String = text.chars().take(MAX_INPUT_CHARS).collect();
    if cut.trim().is_empty() {
        " ".to_string()
    } else {
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: Value) -> Answer {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn vectors_come_back_in_input_order() {
        let found = vectors_of(
            answer(json!({"data": [
                {"index": 1, "embedding": [0.0, 1.0]},
                {"index": 0, "embedding": [1.0, 0.0]}
            ]})),
            2,
        )
        .unwrap();
        assert_eq!(found[0].values(), &[1.0, 0.0]);
        assert_eq!(found[1].values(), &[0.0, 1.0]);
    }

    #[test]
    fn answers_that_do_not_fit_the_inputs_are_refused() {
        let one = json!({"data": [{"index": 0, "embedding": [1.0]}]});
        assert!(vectors_of(answer(one), 2).is_err());
        let twice =
            json!({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]});
        assert!(vectors_of(answer(twice), 2).is_err());
        let beyond = json!({"data": [{"index": 3, "embedding": [1.0]}]});
        assert!(vectors_of(answer(beyond), 1).is_err());
        let words = json!({"data": [{"index": 0, "embedding": ["a"]}]});
        assert!(vectors_of(answer(words), 1).is_err());
        let zero = json!({"data": [{"index": 0, "embedding": [0.0, 0.0]}]});
        assert!(vectors_of(answer(zero), 1).is_err());
    }

    #[test]
    fn base64_vectors_are_read_too() {
        let vector = Embedding::new(vec![0.5, -2.0]).unwrap();
        let json = json!({"data": [{"index": 0, "embedding": vector.to_base64()}]});
        assert_eq!(vectors_of(answer(json), 1).unwrap(), vec![vector]);
    }

    #[test]
    fn long_and_blank_inputs_are_made_acceptable() {
        assert_eq!(
            cut(&"é".repeat(MAX_INPUT_CHARS + 5)).chars().count(),
            MAX_INPUT_CHARS
        );
        assert_eq!(cut("  \n"), " ");
    }
}

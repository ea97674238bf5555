//! A conversation's place in an embeddings model's space: the vector semantic search compares a query with.
//!
//! Stored as OpenAI's `encoding_format: "base64"` spells a vector (the little-endian `f32`s, base64), a third of
//! the size of a JSON array of numbers, and read back exactly.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// The most dimensions a vector may have (the largest common models have 3,072).
pub const MAX_DIMENSIONS: usize = 8_192;

/// A vector of finite numbers, not all zero, of 1 to [`MAX_DIMENSIONS`] dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl Embedding {
    /// The vector, if it is one search can use: an empty, oversized, all-zero vector or one holding a NaN or an
    /// infinity is refused.
    pub fn new(values: Vec<f32>) -> Result<Embedding, DomainError> {
        let refuse = |why: &str| Err(DomainError::Invalid(format!("embedding: {why}")));
        if values.is_empty() {
            return refuse("the vector is empty");
        }
        if values.len() > MAX_DIMENSIONS {
            return refuse("the vector has too many dimensions");
        }
        if values.iter().any(|value| !value.is_finite()) {
            return refuse("the vector holds a value that is not a finite number");
        }
        if values.iter().all(|value| *value == 0.0) {
            return refuse("the vector is zero");
        }
        Ok(Embedding(values))
    }

    pub fn values(&self) -> &[f32] {
        &self.0
    }

    pub fn dimensions(&self) -> usize {
        self.0.len()
    }

    /// The stored form: base64 of the little-endian `f32`s.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::with_capacity(self.0.len() * 4);
        for value in &self.0 {
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        STANDARD.encode(bytes)
    }

    /// The vector of a stored form (or of an OpenAI-compatible server's base64 answer).
    pub fn from_base64(text: &str) -> Result<Embedding, DomainError> {
        let bytes = STANDARD
            .decode(text)
            .map_err(|e| DomainError::Invalid(format!("embedding: not base64: {e}")))?;
        if bytes.len() % 4 != 0 {
            return Err(DomainError::Invalid(
                "embedding: the bytes are not whole 32-bit numbers".into(),
            ));
        }
        let values = bytes
            .chunks_exact(4)
            .map(|four| f32::from_le_bytes([four[0], four[1], four[2], four[3]]))
            .collect();
        Embedding::new(values)
    }

    /// The cosine of the angle between two vectors, in -1..=1; 0 when their dimensions differ (vectors of two
    /// models are not comparable).
    pub fn cosine(&self, other: &Embedding) -> f64 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        let (mut dot, mut left, mut right) = (0.0f64, 0.0f64, 0.0f64);
        for (a, b) in self.0.iter().zip(&other.0) {
            let (a, b) = (f64::from(*a), f64::from(*b));
            dot += a * b;
            left += a * a;
            right += b * b;
        }
        let norms = left.sqrt() * right.sqrt();
        if norms == 0.0 {
            return 0.0;
        }
        (dot / norms).clamp(-1.0, 1.0)
    }
}

/// What identifies the text an embedding was made of: a 64-bit FNV-1a hash of the title, the overview and each
/// segment's text, each followed by a 0 byte. The same on every machine and in every release, because the log's
/// fold recomputes it (see the conversation state's `embedded_text`).
pub fn text_fingerprint<'a>(
    title: &str,
    overview: &str,
    segments: impl IntoIterator<Item = &'a str>,
) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |text: &str| {
        for byte in text.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    feed(title);
    feed(overview);
    for segment in segments {
        feed(segment);
    }
    hash
}

impl Serialize for Embedding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Embedding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Embedding::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_tells_texts_apart_and_never_changes() {
        let of = |title: &str, overview: &str, segments: &[&str]| {
            text_fingerprint(title, overview, segments.iter().copied())
        };
        // The value is part of the log's meaning: a change would re-embed every conversation.
        assert_eq!(of("", "", &[]), 0x0832_8807_b4eb_6fed);
        assert_eq!(of("Brakes", "", &["a"]), 0x3531_3579_5a19_ebc0);
        assert_eq!(of("Brakes", "", &["a"]), of("Brakes", "", &["a"]));
        assert_ne!(of("Brakes", "", &["a"]), of("Brake", "s", &["a"]));
        assert_ne!(of("Brakes", "", &["a", "b"]), of("Brakes", "", &["ab"]));
        assert_ne!(of("Brakes", "", &[]), of("Brakes", "", &[""]));
    }

    #[test]
    fn the_stored_form_reads_back_exactly() {
        let vector = Embedding::new(vec![0.25, -1.5, 3.0e-7, 42.0]).unwrap();
        let stored = vector.to_base64();
        assert_eq!(Embedding::from_base64(&stored).unwrap(), vector);
        let json = serde_json::to_string(&vector).unwrap();
        assert_eq!(json, format!("\"{stored}\""));
        assert_eq!(
            serde_json::from_str::<Embedding>(&json).unwrap().values(),
            vector.values()
        );
    }

    #[test]
    fn vectors_search_cannot_use_are_refused() {
        assert!(Embedding::new(vec![]).is_err());
        assert!(Embedding::new(vec![0.0, 0.0]).is_err());
        assert!(Embedding::new(vec![1.0, f32::NAN]).is_err());
        assert!(Embedding::new(vec![f32::INFINITY]).is_err());
        assert!(Embedding::new(vec![1.0; MAX_DIMENSIONS + 1]).is_err());
        assert!(Embedding::from_base64("not base64!").is_err());
        assert!(Embedding::from_base64(&STANDARD.encode([1u8, 2, 3])).is_err());
    }

    #[test]
    fn cosine_compares_directions_not_lengths() {
        let a = Embedding::new(vec![1.0, 0.0]).unwrap();
        let b = Embedding::new(vec![10.0, 0.0]).unwrap();
        let c = Embedding::new(vec![0.0, 3.0]).unwrap();
        let d = Embedding::new(vec![1.0, 0.0, 0.0]).unwrap();
        assert!((a.cosine(&b) - 1.0).abs() < 1e-12);
        assert!(a.cosine(&c).abs() < 1e-12);
        assert_eq!(a.cosine(&d), 0.0);
    }
}

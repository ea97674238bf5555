//! The query parameters of `/v4/listen` (spec §4.1).

use std::time::Duration;

use omi_domain::conversation::ConversationSource;
use omi_services::audio::Codec;

/// A listen session's settings, validated.
#[derive(Debug, Clone)]
pub struct ListenParams {
    pub language: String,
    pub sample_rate: u32,
    pub codec: Codec,
    pub channels: u16,
    /// Silence after which the conversation is processed and a new one starts.
    pub conversation_timeout: Duration,
    pub source: ConversationSource,
    /// The client sends its own transcript (`suggested_transcript`); server STT is skipped.
    pub custom_stt: bool,
}

/// The silence split when the client names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// `conversation_timeout=-1` means four hours.
const NO_TIMEOUT: Duration = Duration::from_secs(4 * 3600);

impl ListenParams {
    /// Reads the query pairs; `min_timeout` is the smallest silence split allowed (120 s by default). An error
    /// names the bad parameter; the session closes with 1008 and that reason.
    pub fn parse(pairs: &[(String, String)], min_timeout: Duration) -> Result<Self, String> {
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let language = match get("language").map(str::trim) {
            None | Some("") => "en".to_string(),
            Some("auto") => "multi".to_string(),
            Some(language)
                if language.len() <= 16
                    && language
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                language.to_string()
            }
            Some(other) => return Err(format!("unsupported language {other:?}")),
        };
        let sample_rate = match get("sample_rate") {
            None => 8000,
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|rate| (8000..=48000).contains(rate))
                .ok_or_else(|| format!("invalid sample_rate {text:?}; use 8000 to 48000"))?,
        };
        let codec_name = get("codec").unwrap_or("pcm8");
        let codec =
            Codec::parse(codec_name).ok_or_else(|| format!("unsupported codec {codec_name:?}"))?;
        let channels = match get("channels") {
            None => 1,
            Some(text) => text
                .parse::<u16>()
                .ok()
                .filter(|channels| (1..=2).contains(channels))
                .ok_or_else(|| format!("invalid channels {text:?}; use 1 or 2"))?,
        };
        let conversation_timeout = match get("conversation_timeout") {
            None => DEFAULT_TIMEOUT.max(min_timeout),
            Some("-1") => NO_TIMEOUT,
            Some(text) => {
                let seconds = text
                    .parse::<u64>()
                    .map_err(|_| format!("invalid conversation_timeout {text:?}"))?;
                Duration::from_secs(seconds).max(min_timeout)
            }
        };
        let source = get("source")
            .map(ConversationSource::from_input)
            .unwrap_or_default();
        let source = if source == ConversationSource::Unknown {
            ConversationSource::Omi
        } else {
            source
        };
        let custom_stt = match get("custom_stt") {
            None | Some("disabled") => false,
            Some("enabled") => true,
            Some(other) => {
                return Err(format!(
                    "invalid custom_stt {other:?}; use enabled or disabled"
                ))
            }
        };
        Ok(Self {
            language,
            sample_rate,
            codec,
            channels,
            conversation_timeout,
            source,
            custom_stt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)], min: u64) -> Result<ListenParams, String> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ListenParams::parse(&pairs, Duration::from_secs(min))
    }

    #[test]
    fn defaults_follow_the_spec() {
        let params = parse(&[], 120).unwrap();
        assert_eq!(params.language, "en");
        assert_eq!(params.sample_rate, 8000);
        assert_eq!(params.codec, Codec::Pcm8);
        assert_eq!(params.conversation_timeout, Duration::from_secs(120));
        assert_eq!(params.source, ConversationSource::Omi);
        assert!(!params.custom_stt);
    }

    #[test]
    fn short_timeouts_are_raised_to_the_minimum_and_minus_one_is_four_hours() {
        assert_eq!(
            parse(&[("conversation_timeout", "30")], 120)
                .unwrap()
                .conversation_timeout,
            Duration::from_secs(120)
        );
        assert_eq!(
            parse(&[("conversation_timeout", "3")], 2)
                .unwrap()
                .conversation_timeout,
            Duration::from_secs(3)
        );
        assert_eq!(
            parse(&[("conversation_timeout", "-1")], 120)
                .unwrap()
                .conversation_timeout,
            NO_TIMEOUT
        );
    }

    #[test]
    fn auto_language_is_multi_and_unknown_sources_are_omi() {
        let params = parse(&[("language", "auto"), ("source", "nonsense")], 120).unwrap();
        assert_eq!(params.language, "multi");
        assert_eq!(params.source, ConversationSource::Omi);
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(parse(&[("codec", "mp3")], 120)
            .unwrap_err()
            .contains("codec"));
        assert!(parse(&[("sample_rate", "fast")], 120)
            .unwrap_err()
            .contains("sample_rate"));
        assert!(parse(&[("channels", "9")], 120)
            .unwrap_err()
            .contains("channels"));
        assert!(parse(&[("custom_stt", "maybe")], 120)
            .unwrap_err()
            .contains("custom_stt"));
        assert!(parse(&[("conversation_timeout", "soon")], 120)
            .unwrap_err()
            .contains("conversation_timeout"));
    }
}

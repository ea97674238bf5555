//! Language models: turn a conversation (transcript lines or imported text) into an [`Analysis`]:
//! the discard decision, title, overview, emoji, category, action items with due dates, calendar
//! events and memories (spec §2.2, §2.3, §3.2, §3.3); and write the sections of a yearly recap that
//! are not counted ([`YearInReview`] → [`WrittenSections`], spec §7.12); and suggest goals, advise on them and
//! read progress on them from a text ([`GoalContext`], [`GoalInput`], spec §7.14).
//!
//! Two implementations of [`LanguageModel`]:
//! - [`Extractive`]: the embedded default. Deterministic (the same input always gives the same
//!   output), offline, no model files: keyword scoring, phrase rules and a small date grammar.
//! - [`OpenAiCompatible`]: any server speaking the OpenAI chat-completions wire format (OpenAI,
//!   Ollama, vLLM, llama.cpp server), asked for a JSON answer that is then validated.
//!
//! Whatever the implementation, an analysis goes through the same validation ([`normalize`]),
//! so the caller can rely on the invariants documented on [`Analysis`].

use std::time::Duration;

use chrono::{DateTime, Utc};
use omi_domain::trend::TrendMention;

pub mod apps;
mod daily_summary;
mod extractive;
mod goals;
mod normalize;
mod openai;
mod text;
mod wrapped;

pub use daily_summary::{DayConversation, DayInput, DayWriting, MAX_HIGHLIGHTS, MAX_ITEMS};
pub use extractive::Extractive;
pub use goals::{checked_advice, GoalContext, GoalInput, GoalSuggestion, ProgressReading};
pub use normalize::normalize;
pub use openai::OpenAiCompatible;
pub use wrapped::{month_day, WrittenSections, YearConversation, YearInReview};

/// One rendered transcript line (one segment, or several merged segments of one speaker).
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptLine {
    /// Display label: "User" (or the user's name), a person's name, or "Speaker 1".
    pub speaker: String,
    /// The account owner spoke this line.
    pub is_user: bool,
    pub text: String,
    /// Seconds relative to [`ConversationInput::started_at`].
    pub start: f64,
    pub end: f64,
}

/// `text_source` of a text import (spec §2.1 ExternalIntegrationConversationSource).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    AudioTranscript,
    Message,
    OtherText,
}

impl TextSource {
    /// The wire value (`audio_transcript`, `message`, `other_text`).
    pub fn as_str(self) -> &'static str {
        match self {
            TextSource::AudioTranscript => "audio_transcript",
            TextSource::Message => "message",
            TextSource::OtherText => "other_text",
        }
    }
}

/// What a language model is asked to analyze.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationInput {
    /// Segment conversations.
    pub lines: Vec<TranscriptLine>,
    /// Text imports instead of lines.
    pub text: Option<(String, TextSource)>,
    /// Capture time: relative dates ("tomorrow", "in 2 hours") resolve against it, and due dates or
    /// events before it are dropped.
    pub started_at: DateTime<Utc>,
    /// The user's time zone as an offset from UTC in minutes (0 when unknown).
    pub utc_offset_minutes: i32,
    /// Language code of the conversation (`en`, `es`, `multi`, …).
    pub language: String,
    /// Skip the discard check (explicit finalize / reprocess).
    pub force: bool,
    /// Existing title on reprocess.
    pub title_hint: Option<String>,
}

impl ConversationInput {
    /// A segment conversation captured at `started_at` in UTC, English, not forced.
    pub fn from_lines(lines: Vec<TranscriptLine>, started_at: DateTime<Utc>) -> Self {
        ConversationInput {
            lines,
            text: None,
            started_at,
            utc_offset_minutes: 0,
            language: "en".to_string(),
            force: false,
            title_hint: None,
        }
    }

    /// A text import captured at `started_at` in UTC, English, not forced.
    pub fn from_text(
        text: impl Into<String>,
        source: TextSource,
        started_at: DateTime<Utc>,
    ) -> Self {
        ConversationInput {
            lines: Vec::new(),
            text: Some((text.into(), source)),
            started_at,
            utc_offset_minutes: 0,
            language: "en".to_string(),
            force: false,
            title_hint: None,
        }
    }

    /// True when there is nothing to analyze (no line with text, no text).
    pub fn is_empty(&self) -> bool {
        let text_empty = self.text.as_ref().is_none_or(|(t, _)| t.trim().is_empty());
        text_empty && self.lines.iter().all(|l| l.text.trim().is_empty())
    }

    /// Number of whitespace-separated words (lines and text together).
    pub fn word_count(&self) -> usize {
        let lines: usize = self
            .lines
            .iter()
            .map(|l| l.text.split_whitespace().count())
            .sum();
        let text = self
            .text
            .as_ref()
            .map_or(0, |(t, _)| t.split_whitespace().count());
        lines + text
    }
}

/// An action item found in a conversation (spec §2.3, embedded form without bookkeeping fields).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedActionItem {
    /// ≤ 15 words, starts with a verb, no time words.
    pub description: String,
    /// In the future relative to the capture time, UTC.
    pub due_at: Option<DateTime<Utc>>,
}

/// A calendar-worthy event (spec §2.2 Event; `created` is false for extracted events).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedEvent {
    pub title: String,
    pub description: String,
    /// UTC, not before the capture time.
    pub start: DateTime<Utc>,
    /// 1..=180.
    pub duration_minutes: u32,
}

/// A fact about the user or a piece of wisdom from someone else (spec §2.5, §3.3).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedMemory {
    pub content: String,
    /// `"system"` (facts about the user) or `"interesting"` (notable facts, advice from others).
    pub category: String,
}

/// The result of analyzing a conversation.
///
/// Trend mentions are part of it rather than a separate [`LanguageModel`] method: a model is asked once per
/// conversation and answers everything in one JSON object (a second call would double the cost and the
/// latency of every run), the discard decision applies to them as to every other list, and a run's mentions
/// are recorded with its result, so a reprocess replaces both together.
///
/// Invariants (enforced by [`normalize`]): a discarded analysis has an empty title, an empty
/// overview, category `other` and empty lists; a kept one has a non-empty title of at most 10
/// words; `category` is one of [`CATEGORIES`]; due dates and event starts are not before the
/// capture time; event durations are within 1..=180 minutes; at most 4 memories; trend mentions are
/// whitelisted (spec §2.12), at most one per topic.
#[derive(Debug, Clone, PartialEq)]
pub struct Analysis {
    pub discarded: bool,
    pub title: String,
    pub overview: String,
    pub emoji: String,
    pub category: String,
    pub action_items: Vec<ExtractedActionItem>,
    pub events: Vec<ExtractedEvent>,
    pub memories: Vec<ExtractedMemory>,
    pub trends: Vec<TrendMention>,
}

impl Analysis {
    /// The analysis of a conversation judged not worth keeping. The emoji is 🧠 or 🎉 (the spec's
    /// random choice), chosen deterministically from `seed` (e.g. the transcript).
    pub fn discarded(seed: &str) -> Self {
        Analysis {
            discarded: true,
            title: String::new(),
            overview: String::new(),
            emoji: discarded_emoji(seed).to_string(),
            category: "other".to_string(),
            action_items: Vec::new(),
            events: Vec::new(),
            memories: Vec::new(),
            trends: Vec::new(),
        }
    }
}

/// Why a language model gave no analysis. The caller marks the conversation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The model could not be reached (connection refused, DNS, TLS, …) or is misconfigured.
    #[error("language model unavailable: {0}")]
    Unavailable(String),
    /// No answer within the configured timeout.
    #[error("language model did not answer within {0:?}")]
    Timeout(Duration),
    /// The server answered with a non-2xx status.
    #[error("language model answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// The answer could not be used (not the wire format, not JSON, wrong shape, truncated).
    #[error("language model answer unusable: {0}")]
    BadResponse(String),
}

impl LlmError {
    /// Worth trying again later (timeouts, connection failures, 429 and 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            LlmError::Unavailable(_) | LlmError::Timeout(_) => true,
            LlmError::Status { status, .. } => *status == 429 || *status >= 500,
            LlmError::BadResponse(_) => false,
        }
    }
}

/// Something that analyzes conversations.
#[async_trait::async_trait]
pub trait LanguageModel: Send + Sync {
    /// A short name for logs and the `/v1/…` status output (e.g. `extractive`, `openai:gpt-4o-mini`).
    fn name(&self) -> &str;
    /// Analyze one conversation.
    async fn analyze(&self, input: &ConversationInput) -> Result<Analysis, LlmError>;
    /// Write the summary of a day with at least one conversation: headline, overview, emoji, highlights,
    /// open questions, decisions and insights, checked by [`DayWriting::checked`].
    async fn write_daily_summary(&self, day: &DayInput) -> Result<DayWriting, LlmError>;
    /// Write the sections of a yearly recap that are not counted (spec §7.12: decision style, memorable days,
    /// stories, buddies, obsessions, recommendations, struggle and win).
    async fn write_wrapped(&self, year: &YearInReview) -> Result<WrittenSections, LlmError>;
    /// Suggest one goal from what the user's memories and conversations talk about (spec §7.14), checked by
    /// [`GoalSuggestion::checked`].
    async fn suggest_goal(&self, context: &GoalContext) -> Result<GoalSuggestion, LlmError>;
    /// Advise on reaching `goal`, in a few sentences checked by [`checked_advice`].
    async fn advise_on_goal(
        &self,
        goal: &GoalInput,
        context: &GoalContext,
    ) -> Result<String, LlmError>;
    /// The progress value on `goal` that `text` reports, if it reports one (checked by
    /// [`ProgressReading::checked`]).
    async fn extract_goal_progress(
        &self,
        goal: &GoalInput,
        text: &str,
    ) -> Result<Option<ProgressReading>, LlmError>;
    /// Runs a summarization app's `memory_prompt` on one conversation (spec §3.2 step 6); the result is checked
    /// by [`apps::checked_result`], `None` when there is nothing to say.
    async fn run_app_prompt(
        &self,
        input: &apps::AppPromptInput,
    ) -> Result<Option<String>, LlmError>;
}

/// The 33 conversation categories and the coercion of model output onto them live with the conversation.
pub use omi_domain::conversation::{coerce_category, CATEGORIES};

/// The emoji shown for a category (an unknown category gets the `other` emoji).
pub fn category_emoji(category: &str) -> &'static str {
    match category {
        "personal" => "👤",
        "education" => "📚",
        "health" => "🩺",
        "finance" => "💰",
        "legal" => "⚖️",
        "philosophy" => "🤔",
        "spiritual" => "🙏",
        "science" => "🔬",
        "entrepreneurship" => "🚀",
        "parenting" => "👶",
        "romantic" => "❤️",
        "travel" => "✈️",
        "inspiration" => "💡",
        "technology" => "💻",
        "business" => "💼",
        "social" => "🥂",
        "work" => "🗂️",
        "sports" => "⚽",
        "politics" => "🏛️",
        "literature" => "📖",
        "history" => "📜",
        "architecture" => "🏗️",
        "music" => "🎵",
        "weather" => "🌦️",
        "news" => "📰",
        "entertainment" => "🎬",
        "psychology" => "🧠",
        "real" => "🏠",
        "design" => "🎨",
        "family" => "👨‍👩‍👧",
        "economics" => "📈",
        "environment" => "🌱",
        _ => "💬",
    }
}

/// 🧠 or 🎉 for a discarded conversation, chosen by a stable hash (FNV-1a) of `seed`.
pub fn discarded_emoji(seed: &str) -> &'static str {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    if hash.is_multiple_of(2) {
        "🧠"
    } else {
        "🎉"
    }
}

/// The transcript text used as the seed of deterministic choices and for logs: lines joined by
/// newlines, or the imported text.
pub(crate) fn input_text(input: &ConversationInput) -> String {
    if let Some((text, _)) = &input.text {
        if !text.trim().is_empty() {
            return text.clone();
        }
    }
    input
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_the_33_spec_values() {
        assert_eq!(CATEGORIES.len(), 33);
        let mut sorted = CATEGORIES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 33, "no duplicates");
        assert!(CATEGORIES.contains(&"romantic"));
        assert!(CATEGORIES.contains(&"real"));
        assert!(!CATEGORIES.contains(&"romance"));
    }

    #[test]
    fn coerce_category_keeps_valid_values_and_maps_the_rest_to_other() {
        assert_eq!(coerce_category("work"), "work");
        assert_eq!(coerce_category(" Technology "), "technology");
        assert_eq!(coerce_category("romance"), "romantic");
        assert_eq!(coerce_category("cooking"), "other");
        assert_eq!(coerce_category(""), "other");
    }

    #[test]
    fn every_category_has_its_own_emoji() {
        let mut emojis: Vec<&str> = CATEGORIES.iter().map(|c| category_emoji(c)).collect();
        emojis.sort_unstable();
        emojis.dedup();
        assert_eq!(emojis.len(), 33);
    }

    #[test]
    fn discarded_emoji_is_deterministic_and_uses_both_choices() {
        assert_eq!(discarded_emoji("hi"), discarded_emoji("hi"));
        let seen: Vec<&str> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|s| discarded_emoji(s))
            .collect();
        assert!(seen.contains(&"🧠") && seen.contains(&"🎉"), "{seen:?}");
    }

    #[test]
    fn input_helpers() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let empty = ConversationInput::from_lines(vec![], at);
        assert!(empty.is_empty());
        let text = ConversationInput::from_text("  hello there world ", TextSource::Message, at);
        assert!(!text.is_empty());
        assert_eq!(text.word_count(), 3);
        assert_eq!(TextSource::OtherText.as_str(), "other_text");
    }

    #[test]
    fn transient_errors() {
        assert!(LlmError::Timeout(Duration::from_secs(1)).is_transient());
        assert!(LlmError::Status {
            status: 503,
            body: String::new()
        }
        .is_transient());
        assert!(!LlmError::Status {
            status: 401,
            body: String::new()
        }
        .is_transient());
        assert!(!LlmError::BadResponse("x".into()).is_transient());
    }
}

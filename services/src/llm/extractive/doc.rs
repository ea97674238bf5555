//! The conversation as a list of sentences, each with its speaker.

use crate::llm::text::{split_sentences, tokenize, Token};
use crate::llm::{ConversationInput, TextSource};

/// One sentence of the conversation.
#[derive(Debug, Clone)]
pub(crate) struct Sentence {
    /// Display label of the speaker ("" when unknown, e.g. imported text).
    pub speaker: String,
    pub is_user: bool,
    pub text: String,
    pub tokens: Vec<Token>,
}

impl Sentence {
    pub fn is_question(&self) -> bool {
        self.text.trim_end_matches(['"', '”', ')']).ends_with('?')
    }

    /// Lowercase words (no punctuation).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens
            .iter()
            .filter(|t| !t.punct)
            .map(|t| t.lower.as_str())
    }
}

/// The conversation, sentence by sentence.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub sentences: Vec<Sentence>,
    /// At least one sentence is marked as the user's. When none is, every speaker may be the user.
    pub any_user: bool,
    /// Distinct labels of the other speakers, in order of appearance.
    pub others: Vec<String>,
}

impl Doc {
    pub fn from_input(input: &ConversationInput) -> Doc {
        let mut sentences = Vec::new();
        match &input.text {
            Some((text, source)) if !text.trim().is_empty() => {
                for line in text.lines() {
                    let (speaker, body) = match source {
                        TextSource::AudioTranscript => split_speaker(line),
                        _ => (String::new(), line.trim().to_string()),
                    };
                    let is_user = matches!(speaker.to_lowercase().as_str(), "user" | "me");
                    push_sentences(&mut sentences, &speaker, is_user, &body);
                }
            }
            _ => {
                for line in &input.lines {
                    push_sentences(
                        &mut sentences,
                        line.speaker.trim(),
                        line.is_user,
                        &line.text,
                    );
                }
            }
        }
        let any_user = sentences.iter().any(|s| s.is_user);
        let mut others: Vec<String> = Vec::new();
        for s in &sentences {
            if !s.is_user && !s.speaker.is_empty() && !others.contains(&s.speaker) {
                others.push(s.speaker.clone());
            }
        }
        Doc {
            sentences,
            any_user,
            others,
        }
    }

    /// Whether a sentence may be the user speaking (their own line, or nobody is marked).
    pub fn may_be_user(&self, s: &Sentence) -> bool {
        s.is_user || !self.any_user
    }

    /// Whether a sentence may be someone else speaking to the user.
    pub fn may_be_other(&self, s: &Sentence) -> bool {
        !s.is_user || !self.any_user
    }

    pub fn word_count(&self) -> usize {
        self.sentences.iter().map(|s| s.words().count()).sum()
    }
}

fn push_sentences(out: &mut Vec<Sentence>, speaker: &str, is_user: bool, text: &str) {
    for sentence in split_sentences(text) {
        let tokens = tokenize(&sentence);
        if tokens.iter().any(|t| !t.punct) {
            out.push(Sentence {
                speaker: speaker.to_string(),
                is_user,
                text: sentence,
                tokens,
            });
        }
    }
}

/// "[0:00:01 - 0:00:04] Sarah: hello" → ("Sarah", "hello"); a line without a short label before a
/// colon has no speaker.
fn split_speaker(line: &str) -> (String, String) {
    let mut rest = line.trim();
    if rest.starts_with('[') {
        if let Some(end) = rest.find(']') {
            rest = rest[end + 1..].trim_start();
        }
    }
    if let Some((label, body)) = rest.split_once(':') {
        let label = label.trim();
        let words = label.split_whitespace().count();
        let looks_like_name = (1..=3).contains(&words)
            && label.len() <= 40
            && label.chars().next().is_some_and(char::is_alphabetic)
            && !label.chars().next().is_some_and(char::is_lowercase);
        let speaker_n = label.to_lowercase().starts_with("speaker");
        if looks_like_name || speaker_n {
            return (label.to_string(), body.trim().to_string());
        }
    }
    (String::new(), rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::TranscriptLine;
    use chrono::{TimeZone, Utc};

    fn line(speaker: &str, is_user: bool, text: &str) -> TranscriptLine {
        TranscriptLine {
            speaker: speaker.into(),
            is_user,
            text: text.into(),
            start: 0.0,
            end: 1.0,
        }
    }

    #[test]
    fn lines_become_sentences_with_speakers() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let input = ConversationInput::from_lines(
            vec![
                line("User", true, "Hi Sarah. How are you?"),
                line("Sarah", false, "Good! Busy week."),
            ],
            at,
        );
        let doc = Doc::from_input(&input);
        let texts: Vec<&str> = doc.sentences.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Hi Sarah.", "How are you?", "Good!", "Busy week."]);
        assert!(doc.any_user);
        assert_eq!(doc.others, ["Sarah"]);
        assert!(doc.sentences[1].is_question());
        assert_eq!(doc.word_count(), 8);
    }

    #[test]
    fn transcript_text_imports_keep_speaker_labels() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let text =
            "[0:00:01 - 0:00:03] User: I'll call you.\nSpeaker 2: Thanks: really.\nno label here";
        let doc = Doc::from_input(&ConversationInput::from_text(
            text,
            TextSource::AudioTranscript,
            at,
        ));
        let labels: Vec<(&str, bool)> = doc
            .sentences
            .iter()
            .map(|s| (s.speaker.as_str(), s.is_user))
            .collect();
        assert_eq!(labels, [("User", true), ("Speaker 2", false), ("", false)]);
        assert_eq!(doc.sentences[1].text, "Thanks: really.");
    }

    #[test]
    fn message_imports_have_no_speakers() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text(
            "Note: buy milk",
            TextSource::Message,
            at,
        ));
        assert_eq!(doc.sentences[0].speaker, "");
        assert_eq!(doc.sentences[0].text, "Note: buy milk");
        assert!(!doc.any_user);
    }
}

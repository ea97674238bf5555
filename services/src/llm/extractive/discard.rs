//! The discard check: is a short conversation worth keeping?
//!
//! - no words at all ⇒ discard (even when forced: nothing to structure);
//! - more than 100 words ⇒ keep;
//! - otherwise keep when it holds a task or request (an action item), an event with a time, a
//!   personal fact (a memory), a question with some content, a decision or plan word
//!   ("decided", "agreed", "deadline", …), or at least 20 words that are not small talk;
//! - anything else (greetings, "okay thanks bye", "testing one two three") ⇒ discard.

use super::doc::Doc;
use super::words::{is_content_word, is_filler, DECISION_WORDS};
use crate::llm::normalize::KEEP_ABOVE_WORDS;

pub(crate) const MIN_CONTENT_WORDS: usize = 20;

/// What the other extractors found.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Signals {
    pub action_items: bool,
    pub events: bool,
    pub memories: bool,
}

pub(crate) fn should_discard(doc: &Doc, signals: Signals) -> bool {
    let words = doc.word_count();
    if words == 0 {
        return true;
    }
    if words > KEEP_ABOVE_WORDS || signals.action_items || signals.events || signals.memories {
        return false;
    }
    let question = doc
        .sentences
        .iter()
        .any(|s| s.is_question() && s.words().count() >= 4 && s.words().any(is_content_word));
    let decision = doc
        .sentences
        .iter()
        .any(|s| s.words().any(|w| DECISION_WORDS.contains(&w)));
    let content = doc
        .sentences
        .iter()
        .flat_map(|s| s.words())
        .filter(|w| !is_filler(w))
        .count();
    !(question || decision || content >= MIN_CONTENT_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ConversationInput, TextSource};
    use chrono::{TimeZone, Utc};

    fn discard(text: &str) -> bool {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text(
            text,
            TextSource::AudioTranscript,
            at,
        ));
        should_discard(&doc, Signals::default())
    }

    #[test]
    fn small_talk_is_discarded() {
        for text in [
            "hi",
            "okay thanks bye",
            "testing one two three",
            "Hello? Can you hear me?",
            "How are you doing?",
            "yeah yeah okay cool",
        ] {
            assert!(discard(text), "{text}");
        }
    }

    #[test]
    fn empty_is_discarded() {
        assert!(discard(""));
        assert!(discard(" ... "));
    }

    #[test]
    fn questions_and_decisions_are_kept() {
        assert!(!discard("Are you coming to the party?"));
        assert!(!discard("We decided on the blue one."));
    }

    #[test]
    fn twenty_words_of_content_are_kept() {
        let text =
            "The river behind the old mill floods every spring because the farmers upstream \
                    drain their fields into it and nobody maintains the banks anymore";
        assert!(!discard(text));
    }

    #[test]
    fn long_transcripts_are_never_discarded() {
        let text = "okay ".repeat(101);
        assert!(!discard(&text));
        assert!(discard(&"okay ".repeat(100)));
    }

    #[test]
    fn signals_keep() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text("ok", TextSource::Message, at));
        assert!(!should_discard(
            &doc,
            Signals {
                memories: true,
                ..Signals::default()
            }
        ));
    }
}

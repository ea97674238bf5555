//! The headline, at most 10 words, in Title Case, without time words: the most salient phrase
//! (a run of 2–6 topic words such as "Acme launch plan", scored by the sum of their frequencies),
//! else the most salient clause without its subject and modal verbs ("Meeting with Sarah About
//! the Budget").

use super::dates::{scan, Clock};
use super::doc::Doc;
use super::phrases::{clauses, drop_fillers, trim_lead, trim_tail};
use super::salience::Salience;
use super::words::{is_content_word, is_stopword};
use crate::llm::text::{join, title_case, tokenize, Token};

pub(crate) const MAX_TITLE_WORDS: usize = 10;

/// First words that make a weak headline ("It Works Well", "He Said").
const WEAK_STARTS: [&str; 12] = [
    "it", "that", "this", "he", "she", "they", "i", "you", "we", "him", "her", "them",
];

/// A non-empty title: the best clause; else the hint; else the top keywords; else the first
/// words of the conversation; else "Short Conversation".
pub(crate) fn title(doc: &Doc, salience: &Salience, clock: &Clock, hint: Option<&str>) -> String {
    if let Some(best) = best_phrase(doc, salience, clock) {
        return best;
    }
    if let Some(best) = best_clause(doc, salience, clock) {
        return best;
    }
    if let Some(h) = hint.map(str::trim).filter(|h| !h.is_empty()) {
        return finish(&tokenize(h));
    }
    let keywords = salience.top_keywords(3);
    if !keywords.is_empty() {
        let phrase = match keywords.as_slice() {
            [a] => a.clone(),
            [a, b] => format!("{a} and {b}"),
            [a, b, c, ..] => format!("{a}, {b} and {c}"),
            [] => String::new(),
        };
        return title_case(&phrase);
    }
    if let Some(first) = doc.sentences.first() {
        let t = finish(&drop_fillers(&first.tokens));
        if !t.is_empty() {
            return t;
        }
    }
    "Short Conversation".to_string()
}

/// Longest phrase considered.
const MAX_PHRASE_WORDS: usize = 6;

/// The run of consecutive topic words with the highest total weight; among equals, the first.
/// Only phrases whose words recur (total weight above their length) qualify.
fn best_phrase(doc: &Doc, salience: &Salience, clock: &Clock) -> Option<String> {
    let mut best: Option<(f64, Vec<Token>)> = None;
    for s in &doc.sentences {
        let mention = scan(&s.tokens, clock);
        let tokens = drop_fillers(&mention.strip(&s.tokens));
        let mut run: Vec<Token> = Vec::new();
        for t in tokens.iter().chain(std::iter::once(&Token {
            text: ".".into(),
            lower: ".".into(),
            punct: true,
        })) {
            if !t.punct && is_content_word(&t.lower) && t.lower.chars().any(char::is_alphabetic) {
                run.push(t.clone());
                continue;
            }
            if run.len() >= 2 {
                for window in run.windows(run.len().min(MAX_PHRASE_WORDS)) {
                    let score: f64 = window.iter().map(|w| salience.weight(w)).sum();
                    let recurring = window.iter().any(|w| salience.occurrences(w) > 1);
                    if recurring && best.as_ref().is_none_or(|(b, _)| score > *b) {
                        best = Some((score, window.to_vec()));
                    }
                }
            }
            run.clear();
        }
    }
    best.map(|(_, phrase)| finish(&phrase))
}

fn best_clause(doc: &Doc, salience: &Salience, clock: &Clock) -> Option<String> {
    let mut best: Option<(f64, Vec<Token>)> = None;
    for s in &doc.sentences {
        let mention = scan(&s.tokens, clock);
        let tokens = drop_fillers(&mention.strip(&s.tokens));
        for clause in clauses(&tokens) {
            let clause = trim_tail(&trim_lead(&clause));
            if clause.len() < 2 || Salience::content_words(&clause) < 2 {
                continue;
            }
            let clause: Vec<Token> = clause.into_iter().take(MAX_TITLE_WORDS).collect();
            let clause = trim_tail(&clause);
            if clause.len() < 2 {
                continue;
            }
            let mut score = salience.score(&clause);
            if WEAK_STARTS.contains(&clause[0].lower.as_str()) || is_stopword(&clause[0].lower) {
                score *= 0.5;
            }
            if s.is_question() {
                score *= 0.8;
            }
            if best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, clause));
            }
        }
    }
    best.map(|(_, clause)| finish(&clause))
}

/// Joins, drops quotes and trailing punctuation, caps at 10 words, Title Case.
fn finish(tokens: &[Token]) -> String {
    let words: Vec<Token> = tokens
        .iter()
        .filter(|t| !matches!(t.text.as_str(), "\"" | "“" | "”"))
        .cloned()
        .collect();
    let text = join(&words);
    let text = text.trim_end_matches(['.', ',', ';', ':', '!', '?', ' ']);
    let capped: Vec<&str> = text.split_whitespace().take(MAX_TITLE_WORDS).collect();
    title_case(&capped.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ConversationInput, TextSource};
    use chrono::{TimeZone, Utc};

    fn title_of(text: &str) -> String {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text(
            text,
            TextSource::OtherText,
            at,
        ));
        title(&doc, &Salience::new(&doc), &Clock::new(at, 0), None)
    }

    #[test]
    fn title_comes_from_the_most_salient_phrase() {
        let t = title_of(
            "We need to finalize the launch plan by Friday. The launch plan still lacks a budget. \
             Also the weather is nice.",
        );
        assert_eq!(t, "Launch Plan");
    }

    #[test]
    fn without_a_recurring_phrase_the_best_clause_is_used() {
        let t = title_of("So I think we need to finalize the quarterly plan with Sarah.");
        assert_eq!(t, "Finalize the Quarterly Plan with Sarah");
    }

    #[test]
    fn titles_have_no_time_words_and_at_most_ten_words() {
        let t = title_of(
            "Tomorrow at 3pm the quarterly marketing budget review meeting with the regional sales \
             directors and finance partners happens in the main conference room downstairs.",
        );
        assert!(t.split_whitespace().count() <= MAX_TITLE_WORDS, "{t}");
        assert!(!t.to_lowercase().contains("tomorrow"), "{t}");
        assert!(t.starts_with("Quarterly Marketing Budget Review"), "{t}");
    }

    #[test]
    fn title_is_title_case() {
        let t = title_of("I have a dentist appointment about my broken tooth.");
        assert_eq!(t, "Dentist Appointment About My Broken Tooth");
    }

    #[test]
    fn short_input_still_gets_a_title() {
        assert_eq!(title_of("hi"), "Hi");
        assert_eq!(title_of("Budget"), "Budget");
    }

    #[test]
    fn hint_is_used_when_nothing_is_salient() {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text(
            "ok ok",
            TextSource::OtherText,
            at,
        ));
        let t = title(
            &doc,
            &Salience::new(&doc),
            &Clock::new(at, 0),
            Some("old title here"),
        );
        assert_eq!(t, "Old Title Here");
    }
}

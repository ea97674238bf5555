//! Keyword weights: how central a word is to the conversation (its frequency), and scores of
//! sentences and phrases built from them.

use std::collections::BTreeMap;

use super::doc::Doc;
use super::words::{is_content_word, stem};
use crate::llm::text::Token;

pub(crate) struct Salience {
    /// Occurrences, names counted twice.
    counts: BTreeMap<String, usize>,
    /// Plain occurrences.
    raw: BTreeMap<String, usize>,
}

impl Salience {
    /// Counts content words (stemmed) over the whole conversation. A capitalized word in the middle
    /// of a sentence (a name) counts one extra time.
    pub fn new(doc: &Doc) -> Self {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut raw: BTreeMap<String, usize> = BTreeMap::new();
        for s in &doc.sentences {
            for (i, t) in s.tokens.iter().enumerate() {
                if t.punct || !is_content_word(&t.lower) {
                    continue;
                }
                let bonus = usize::from(i > 0 && t.is_capitalized());
                *counts.entry(stem(&t.lower)).or_default() += 1 + bonus;
                *raw.entry(stem(&t.lower)).or_default() += 1;
            }
        }
        Salience { counts, raw }
    }

    /// The weight of one word: how often it occurs (0 for words that carry no topic).
    pub fn weight(&self, token: &Token) -> f64 {
        if token.punct || !is_content_word(&token.lower) {
            return 0.0;
        }
        self.counts.get(&stem(&token.lower)).copied().unwrap_or(0) as f64
    }

    /// How many times the word occurs in the conversation (0 for words that carry no topic).
    pub fn occurrences(&self, token: &Token) -> usize {
        if token.punct || !is_content_word(&token.lower) {
            return 0;
        }
        self.raw.get(&stem(&token.lower)).copied().unwrap_or(0)
    }

    /// Sum of the weights divided by the square root of the number of words: favors phrases dense
    /// in recurring words without letting long ones win by length alone.
    pub fn score(&self, tokens: &[Token]) -> f64 {
        let words = tokens.iter().filter(|t| !t.punct).count();
        if words == 0 {
            return 0.0;
        }
        let sum: f64 = tokens.iter().map(|t| self.weight(t)).sum();
        sum / (words as f64).sqrt()
    }

    /// Number of distinct content words in the phrase.
    pub fn content_words(tokens: &[Token]) -> usize {
        let mut seen: Vec<String> = Vec::new();
        for t in tokens {
            if !t.punct && is_content_word(&t.lower) {
                let s = stem(&t.lower);
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
        }
        seen.len()
    }

    /// The `n` most frequent content words (ties: alphabetical).
    pub fn top_keywords(&self, n: usize) -> Vec<String> {
        let mut all: Vec<(&String, &usize)> = self.counts.iter().collect();
        all.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        all.into_iter().take(n).map(|(w, _)| w.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::text::tokenize;
    use crate::llm::{ConversationInput, TextSource};
    use chrono::{TimeZone, Utc};

    fn doc(text: &str) -> Doc {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        Doc::from_input(&ConversationInput::from_text(
            text,
            TextSource::OtherText,
            at,
        ))
    }

    #[test]
    fn frequent_words_weigh_more() {
        let d = doc("The budget is tight. We must cut the budget. Marketing wants more budget.");
        let s = Salience::new(&d);
        assert_eq!(s.top_keywords(1), ["budget"]);
        let budget = s.score(&tokenize("cut the budget"));
        let other = s.score(&tokenize("marketing wants more"));
        assert!(budget > other, "{budget} vs {other}");
    }

    #[test]
    fn filler_scores_zero() {
        let d = doc("um okay yeah so the plan works");
        let s = Salience::new(&d);
        assert_eq!(s.score(&tokenize("um okay yeah")), 0.0);
        assert_eq!(
            Salience::content_words(&tokenize("the plan plans works")),
            2
        );
    }
}

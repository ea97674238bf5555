//! The overview: the 1–3 highest-scoring sentences, in their original order, without fillers.

use super::doc::Doc;
use super::phrases::drop_fillers;
use super::salience::Salience;
use crate::llm::text::{capitalize_first, join, Token};

/// Longest sentence kept whole in an overview (longer ones are cut with "…").
const MAX_SENTENCE_WORDS: usize = 40;

pub(crate) fn overview(doc: &Doc, salience: &Salience) -> String {
    let mut candidates: Vec<(usize, f64, Vec<Token>)> = Vec::new();
    for (i, s) in doc.sentences.iter().enumerate() {
        let tokens = drop_fillers(&s.tokens);
        let words = tokens.iter().filter(|t| !t.punct).count();
        if words < 5 || Salience::content_words(&tokens) < 2 {
            continue;
        }
        let score = salience.score(&tokens);
        candidates.push((i, score, tokens));
    }
    if candidates.is_empty() {
        // nothing substantial: the longest sentence
        let longest = doc
            .sentences
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (s.words().count(), usize::MAX - i));
        return longest
            .map(|(_, s)| finish(&drop_fillers(&s.tokens)))
            .unwrap_or_default();
    }
    let n = match candidates.len() {
        0..=4 => 1,
        5..=12 => 2,
        _ => 3,
    };
    let mut ranked: Vec<&(usize, f64, Vec<Token>)> = candidates.iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<&(usize, f64, Vec<Token>)> = ranked.into_iter().take(n).collect();
    chosen.sort_by_key(|c| c.0);
    chosen
        .iter()
        .map(|c| finish(&c.2))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Capitalized, cut at 40 words, ending with terminal punctuation.
fn finish(tokens: &[Token]) -> String {
    let mut words = 0;
    let mut kept: Vec<Token> = Vec::new();
    let mut cut = false;
    for t in tokens {
        if !t.punct {
            words += 1;
            if words > MAX_SENTENCE_WORDS {
                cut = true;
                break;
            }
        }
        kept.push(t.clone());
    }
    let text = join(&kept);
    let mut text = capitalize_first(text.trim());
    if cut {
        text = format!("{}…", text.trim_end_matches([',', ';', ':', ' ']));
    } else if !text.ends_with(['.', '!', '?', '…']) {
        text = format!("{}.", text.trim_end_matches([',', ';', ':', ' ']));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ConversationInput, TextSource};
    use chrono::{TimeZone, Utc};

    fn overview_of(text: &str) -> String {
        let at = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let doc = Doc::from_input(&ConversationInput::from_text(
            text,
            TextSource::OtherText,
            at,
        ));
        overview(&doc, &Salience::new(&doc))
    }

    #[test]
    fn picks_the_central_sentence() {
        let o = overview_of(
            "Hi there. The garden needs new soil before spring planting. We also talked about soil \
             testing kits. The cat slept.",
        );
        assert_eq!(o, "The garden needs new soil before spring planting.");
    }

    #[test]
    fn keeps_original_order_and_at_most_three_sentences() {
        let text = (0..20)
            .map(|i| format!("Sentence {i} mentions the rocket engine and test number {i}."))
            .collect::<Vec<_>>()
            .join(" ");
        let text = format!("{text} Rocket engine test rocket engine rocket test results. Rocket engine test rocket engine result.");
        let o = overview_of(&text);
        assert_eq!(
            o,
            "Sentence 0 mentions the rocket engine and test number 0. Rocket engine test rocket engine rocket \
             test results. Rocket engine test rocket engine result."
        );
    }

    #[test]
    fn fillers_are_removed_and_punctuation_added() {
        assert_eq!(
            overview_of("um so the budget review, uh, covers hiring plans"),
            "So the budget review covers hiring plans."
        );
    }

    #[test]
    fn short_text_falls_back_to_its_longest_sentence() {
        assert_eq!(overview_of("Hi. Hello there friend"), "Hello there friend.");
    }
}

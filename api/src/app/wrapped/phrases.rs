//! The user's phrases of the year: the two- and three-word phrases they said most (in their own transcript
//! lines), each with a word besides the commonest ones. Counted, so identical on every rebuild.

use std::collections::HashMap;

use omi_domain::wrapped::{Phrase, SignaturePhrase};
use omi_projections::conversations::ConversationView;

/// Words too common to make a phrase on their own.
const COMMON: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "do", "for", "i", "in", "is", "it", "it's",
    "me", "my", "of", "on", "or", "so", "that", "the", "this", "to", "was", "we", "with", "you",
];

/// A phrase must come back at least this often to be the user's.
const AT_LEAST: u64 = 2;

/// The signature phrase and up to five top phrases (each with the title of the first conversation that has it).
pub fn phrases(conversations: &[ConversationView]) -> (Option<SignaturePhrase>, Vec<Phrase>) {
    // phrase → (count, index of the first conversation that has it)
    let mut counts: HashMap<String, (u64, usize)> = HashMap::new();
    let mut phrase = String::new();
    for (index, conversation) in conversations.iter().enumerate() {
        for segment in conversation
            .transcript_segments
            .iter()
            .flatten()
            .filter(|s| s.is_user)
        {
            let words: Vec<String> = segment
                .text
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect();
            for n in 2..=3 {
                for gram in words.windows(n) {
                    if gram.iter().all(|w| COMMON.contains(&w.as_str())) {
                        continue;
                    }
                    // One buffer for every phrase: a phrase seen before costs no allocation.
                    phrase.clear();
                    for (i, word) in gram.iter().enumerate() {
                        if i > 0 {
                            phrase.push(' ');
                        }
                        phrase.push_str(word);
                    }
                    match counts.get_mut(phrase.as_str()) {
                        Some(entry) => entry.0 += 1,
                        None => {
                            counts.insert(phrase.clone(), (1, index));
                        }
                    }
                }
            }
        }
    }
    let mut ranked: Vec<(String, u64, usize)> = counts
        .into_iter()
        .filter(|(_, (count, _))| *count >= AT_LEAST)
        .map(|(phrase, (count, first))| (phrase, count, first))
        .collect();
    // Most said first; then the longer phrase (it says more), then alphabetical.
    ranked.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(b.0.split(' ').count().cmp(&a.0.split(' ').count()))
            .then(a.0.cmp(&b.0))
    });
    let signature = ranked.first().map(|(phrase, count, _)| SignaturePhrase {
        phrase: phrase.clone(),
        count: *count,
    });
    let top = ranked
        .into_iter()
        .take(5)
        .map(|(phrase, _, first)| Phrase {
            phrase,
            context: conversations[first].structured.title.clone(),
        })
        .collect();
    (signature, top)
}

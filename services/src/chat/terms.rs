//! The words a question is matched on: lower case, without short and common words, with plural and tense
//! endings cut off, so "promised" matches "promise".

use std::collections::HashSet;

const COMMON: &[&str] = &[
    "the", "and", "for", "are", "was", "were", "did", "does", "what", "when", "where", "who",
    "whom", "why", "how", "which", "that", "this", "these", "those", "with", "about", "from",
    "have", "has", "had", "you", "your", "yours", "our", "ours", "their", "they", "them", "his",
    "her", "she", "him", "its", "can", "could", "would", "should", "will", "shall", "may", "might",
    "must", "not", "any", "all", "some", "tell", "know", "there", "here", "then", "than", "into",
    "onto", "over", "just", "also", "been", "being", "very", "much", "many", "more", "most",
    "last", "week", "say", "said", "ask", "asked",
];

/// The word cut to its stem: a few English endings removed, never below three letters.
pub fn stem(word: &str) -> String {
    let word = word.to_lowercase();
    for ending in ["ing", "ed", "es", "s"] {
        if let Some(stem) = word.strip_suffix(ending) {
            if stem.chars().count() >= 3 {
                return stem.trim_end_matches('e').to_string();
            }
        }
    }
    word.trim_end_matches('e').to_string()
}

/// The stems of the words of `text` (letters and digits), in order, duplicates included.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(stem)
}

/// The stems a question is matched on: its words of three letters or more that are not common ones.
pub fn question_terms(question: &str) -> HashSet<String> {
    question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 3)
        .filter(|word| !COMMON.contains(&word.to_lowercase().as_str()))
        .map(stem)
        .collect()
}

/// How many of `terms` occur in `text`.
pub fn matches(terms: &HashSet<String>, text: &str) -> usize {
    let found: HashSet<String> = words(text).filter(|word| terms.contains(word)).collect();
    found.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenses_and_plurals_match_their_stem() {
        let terms = question_terms("What did I promise Anna?");
        assert!(terms.contains("anna"));
        assert_eq!(matches(&terms, "I promised to send Anna the slides"), 2);
        assert_eq!(matches(&terms, "Nothing relevant here"), 0);
    }

    #[test]
    fn common_and_short_words_are_not_terms() {
        assert!(question_terms("What did you say to me?").is_empty());
    }
}

//! `match_snippets` of a conversation search hit: the passages of the transcript (or, failing that, of the
//! overview) where the query's words occur, so a client can show why a conversation was found.
//!
//! A word of the text matches a query word when one begins with the other and they share at least four
//! letters, or when they are equal: close to what the index's stemming matches ("budget" finds "budgets" and
//! "budgeting"). A conversation found by meaning alone (semantic search) has no such passage and no snippets.

use omi_projections::conversations::ConversationView;
use omi_projections::search::Terms;

/// The most snippets of one conversation.
pub const MAX_SNIPPETS: usize = 3;
/// The most characters of one snippet, without its ellipses.
const SNIPPET_CHARS: usize = 200;
/// Characters kept before the first match.
const LEAD_CHARS: usize = 60;
/// The shortest shared beginning that makes two different words match.
const STEM_CHARS: usize = 4;

/// Up to [`MAX_SNIPPETS`] passages of `view` holding the most of `terms`' words (ties: in transcript order),
/// shown in transcript order.
pub fn match_snippets(view: &ConversationView, terms: &Terms) -> Vec<String> {
    if terms.is_empty() {
        return Vec::new();
    }
    let segments = view.transcript_segments.as_deref().unwrap_or_default();
    let mut found: Vec<(usize, usize, String)> = segments
        .iter()
        .enumerate()
        .filter_map(|(order, segment)| {
            passage(&segment.text, terms).map(|(count, text)| (count, order, text))
        })
        .collect();
    if found.is_empty() {
        found.extend(
            passage(&view.structured.overview, terms).map(|(count, text)| (count, 0, text)),
        );
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    found.truncate(MAX_SNIPPETS);
    found.sort_by_key(|(_, order, _)| *order);
    found.into_iter().map(|(_, _, text)| text).collect()
}

/// How many of the query's words `text` holds, and the passage around the first one; `None` without any.
fn passage(text: &str, terms: &Terms) -> Option<(usize, String)> {
    let mut first: Option<usize> = None;
    let mut matched = vec![false; terms.words().len()];
    for (start, word) in words_of(text) {
        let word = word.to_lowercase();
        for (index, term) in terms.words().iter().enumerate() {
            if matches(&word, term) {
                matched[index] = true;
                first.get_or_insert(start);
            }
        }
    }
    let first = first?;
    let count = matched.iter().filter(|m| **m).count();
    Some((count, excerpt(text, first)))
}

/// The words of `text` (runs of letters and digits) with their byte offsets.
fn words_of(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = None;
    let mut words = Vec::new();
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(from)) => {
                words.push((from, &text[from..at]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = start {
        words.push((from, &text[from..]));
    }
    words.into_iter()
}

fn matches(word: &str, term: &str) -> bool {
    if word == term {
        return true;
    }
    let (shorter, longer) = if word.len() <= term.len() {
        (word, term)
    } else {
        (term, word)
    };
    shorter.chars().count() >= STEM_CHARS && longer.starts_with(shorter)
}

/// At most [`SNIPPET_CHARS`] characters of `text` starting a little before byte `at`, cut between words where
/// possible, with an ellipsis where text was left out.
fn excerpt(text: &str, at: usize) -> String {
    let before: Vec<(usize, char)> = text[..at].char_indices().collect();
    let mut start = before
        .len()
        .checked_sub(LEAD_CHARS)
        .map_or(0, |index| before[index].0);
    if start > 0 {
        // Begin at the next word.
        if let Some(space) = text[start..at].find(char::is_whitespace) {
            start += space + 1;
        }
    }
    let rest = &text[start..];
    let mut end = rest
        .char_indices()
        .nth(SNIPPET_CHARS)
        .map_or(rest.len(), |(index, _)| index);
    if end < rest.len() {
        if let Some(space) = rest[..end].rfind(char::is_whitespace) {
            if space > 0 {
                end = space;
            }
        }
    }
    let mut snippet = String::new();
    if start > 0 {
        snippet.push('…');
    }
    snippet.push_str(rest[..end].trim());
    if end < rest.len() {
        snippet.push('…');
    }
    snippet
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_by_their_shared_beginning() {
        assert!(matches("budgets", "budget"));
        assert!(matches("budget", "budgeting"));
        assert!(matches("ok", "ok"));
        assert!(!matches("bud", "budget"));
        assert!(!matches("anna", "hannah"));
    }

    #[test]
    fn a_passage_counts_the_query_words_it_holds() {
        let terms = Terms::of("launch budget");
        let (count, text) = passage("We fixed the budget for the launch.", &terms).unwrap();
        assert_eq!(count, 2);
        assert_eq!(text, "We fixed the budget for the launch.");
        assert!(passage("Nothing relevant here.", &terms).is_none());
    }

    #[test]
    fn long_passages_are_cut_around_the_first_match_between_words() {
        let text = format!(
            "{} the budget is twelve thousand {}",
            "lorem ipsum ".repeat(20),
            "dolor sit ".repeat(40)
        );
        let (_, snippet) = passage(&text, &Terms::of("budget")).unwrap();
        assert!(snippet.starts_with('…') && snippet.ends_with('…'));
        assert!(snippet.contains("the budget is twelve thousand"));
        assert!(snippet.chars().count() <= SNIPPET_CHARS + 2);
        let inner = snippet.trim_matches('…');
        assert!(!inner.starts_with(' ') && !inner.ends_with(' '));
        assert!(text.contains(inner));
    }

    #[test]
    fn multibyte_text_is_cut_at_character_boundaries() {
        let text = format!("{} budget {}", "é".repeat(300), "ü".repeat(300));
        let (_, snippet) = passage(&text, &Terms::of("budget")).unwrap();
        assert!(snippet.contains("budget"));
    }
}

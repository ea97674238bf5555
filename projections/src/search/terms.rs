//! A user's words as a query the index can run safely: only the words themselves reach the index (letters and
//! digits; every other character separates words), so no quote, operator, `NEAR`, `*` or NUL byte of the input
//! is ever read as query syntax. Any word matches (OR); the ranking rewards the rows that hold more of them.

use super::lexemes::{is_stopword, stem, words};

/// Words kept from one query: beyond these the rest is ignored.
const MAX_TERMS: usize = 32;

/// The words of a query, lower-cased, each once, in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Terms(Vec<String>);

impl Terms {
    /// The words of `text`; stop words are dropped when other words remain.
    pub fn of(text: &str) -> Terms {
        let mut all: Vec<String> = Vec::new();
        for word in words(text) {
            if !all.contains(&word) {
                all.push(word);
            }
            if all.len() == MAX_TERMS * 2 {
                break;
            }
        }
        let meaningful: Vec<String> = all
            .iter()
            .filter(|word| !is_stopword(word))
            .cloned()
            .collect();
        let mut terms = if meaningful.is_empty() {
            all
        } else {
            meaningful
        };
        terms.truncate(MAX_TERMS);
        Terms(terms)
    }

    /// No words at all: the search lists instead of matching.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The words.
    pub fn words(&self) -> &[String] {
        &self.0
    }

    /// An FTS5 query matching any of the words (`"w1" OR "w2"`); each is a quoted string of letters and digits.
    pub fn fts5(&self) -> String {
        self.0
            .iter()
            .map(|word| format!("\"{word}\""))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// A `tsquery` matching any of the words (`'l1' | 'l2'`): each word's lexeme, stemmed as the index's documents
    /// are (see [`super::lexemes`]), each once and quoted.
    pub fn tsquery(&self) -> String {
        let mut lexemes: Vec<String> = Vec::new();
        for word in &self.0 {
            let lexeme = stem(word);
            if !lexemes.contains(&lexeme) {
                lexemes.push(lexeme);
            }
        }
        lexemes
            .iter()
            .map(|lexeme| format!("'{lexeme}'"))
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_words_and_drops_syntax() {
        let terms = Terms::of("\"Anna\" NEAR(x* y) -- '; DROP TABLE\u{0}bob's");
        assert_eq!(
            terms.words(),
            ["anna", "near", "x", "y", "drop", "table", "bob", "s"]
        );
        assert_eq!(
            terms.fts5(),
            "\"anna\" OR \"near\" OR \"x\" OR \"y\" OR \"drop\" OR \"table\" OR \"bob\" OR \"s\""
        );
        assert_eq!(
            terms.tsquery(),
            "'anna' | 'near' | 'x' | 'y' | 'drop' | 'tabl' | 'bob' | 's'"
        );
    }

    #[test]
    fn drops_stop_words_unless_nothing_else_is_left() {
        assert_eq!(
            Terms::of("What did I promise Anna?").words(),
            ["promise", "anna"]
        );
        assert_eq!(Terms::of("what is it").words(), ["what", "is", "it"]);
        assert!(Terms::of("  ?! ").is_empty());
    }

    #[test]
    fn query_lexemes_are_the_documents_lexemes() {
        let terms = Terms::of("promises PROMISED running");
        assert_eq!(terms.tsquery(), "'promis' | 'run'");
        let document = super::super::lexemes::Lexemes::of(&[(
            "She promised to run",
            super::super::lexemes::Weight::A,
        )]);
        assert_eq!(document.literal(), "'promis':2A 'run':4A");
    }

    #[test]
    fn bounds_huge_input() {
        let huge = format!(
            "{} {}",
            "x".repeat(100_000),
            (0..10_000)
                .map(|n| format!("w{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let terms = Terms::of(&huge);
        assert_eq!(terms.words().len(), MAX_TERMS);
        assert_eq!(
            terms.words()[0].chars().count(),
            super::super::lexemes::MAX_WORD_CHARS
        );
    }

    #[test]
    fn lower_cases_and_keeps_each_word_once_in_any_script() {
        assert_eq!(
            Terms::of("Café café 東京 Ünïcode").words(),
            ["café", "東京", "ünïcode"]
        );
    }
}

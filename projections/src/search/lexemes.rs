//! The words of the search index on PostgreSQL, analysed by the server: each row's `tsvector` (its lexemes with
//! their positions and weights) and each query's `tsquery` are built here from the same word splitting and the
//! same English stemmer (Snowball's, as PostgreSQL's `english` configuration has), so a query's word always meets
//! the document's word it was written as. PostgreSQL only stores and indexes them: analysing text with
//! `to_tsvector` in the database cost about three times more of its CPU than reading the finished value, on every
//! write of a conversation or memory and in every replay (BENCHMARKS, P1 and P2).
//!
//! SQLite's FTS5 analyses its own text (`porter unicode61`); the word splitting of queries is shared (see
//! [`super::Terms`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use rust_stemmers::{Algorithm, Stemmer};

/// The longest word kept, in characters (longer ones are cut there), in documents and queries alike.
pub(crate) const MAX_WORD_CHARS: usize = 64;
/// PostgreSQL keeps at most this many positions of one lexeme (later ones are dropped, as `to_tsvector` does).
const MAX_POSITIONS: usize = 256;
/// The highest position PostgreSQL stores; words beyond it all stand there.
const MAX_POSITION: u16 = 16_383;
/// Words whose lexeme each thread remembers; past this many it forgets them all and starts again.
const REMEMBERED_WORDS: usize = 65_536;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A lexeme's positions, each with its weight.
type Positions = Vec<(u16, Weight)>;

/// Common English words that say nothing of what a text is about: documents leave them out (they still take
/// their position), and queries drop them unless nothing else is left.
pub(crate) const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her",
    "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or",
    "our", "she", "so", "that", "the", "their", "them", "then", "there", "they", "this", "to",
    "us", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will", "with",
    "would", "you", "your",
];

/// The words of `text`: runs of letters and digits (every other character separates words), lower-cased, each
/// cut at [`MAX_WORD_CHARS`].
pub(crate) fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    raw_words(text).map(|word| {
        let mut lower = String::new();
        lower_into(word, &mut lower);
        lower
    })
}

/// The runs of letters and digits of `text`, as written: what documents and queries alike count as words.
fn raw_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
}

/// `word` lower-cased into `out` (emptied first), cut at [`MAX_WORD_CHARS`].
fn lower_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() && word.len() <= MAX_WORD_CHARS {
        out.push_str(word);
        out.make_ascii_lowercase();
    } else if word.len() <= MAX_WORD_CHARS {
        out.push_str(&word.to_lowercase());
    } else {
        let cut: String = word.chars().take(MAX_WORD_CHARS).collect();
        out.push_str(&cut.to_lowercase());
    }
}

/// One of [`STOPWORDS`].
pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// The lexeme of a lower-cased word: its English stem.
pub(crate) fn stem(word: &str) -> String {
    english().stem(word).into_owned()
}

fn english() -> &'static Stemmer {
    static ENGLISH: OnceLock<Stemmer> = OnceLock::new();
    ENGLISH.get_or_init(|| Stemmer::create(Algorithm::English))
}

thread_local! {
    /// Each lower-cased word's lexeme (`None`: a stop word), remembered: the words of a language are few and much
    /// repeated, and stemming is most of the analysis's cost.
    static LEXEMES: RefCell<FastMap<String, Option<Arc<str>>>> = RefCell::new(FastMap::default());
}

/// The lexeme of a lower-cased word, or `None` for a stop word.
fn lexeme_of(word: &str) -> Option<Arc<str>> {
    LEXEMES.with(|cell| {
        let mut known = cell.borrow_mut();
        if let Some(lexeme) = known.get(word) {
            return lexeme.clone();
        }
        if known.len() >= REMEMBERED_WORDS {
            known.clear();
        }
        let lexeme = (!is_stopword(word)).then(|| Arc::from(english().stem(word).as_ref()));
        known.insert(word.to_string(), lexeme.clone());
        lexeme
    })
}

/// PostgreSQL's weights, from the most important: a document's title and a memory's content are `A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    A,
    B,
    C,
}

impl Weight {
    /// The two high bits of a stored position.
    fn bits(self) -> u16 {
        match self {
            Weight::A => 3 << 14,
            Weight::B => 2 << 14,
            Weight::C => 1 << 14,
        }
    }

    fn letter(self) -> char {
        match self {
            Weight::A => 'A',
            Weight::B => 'B',
            Weight::C => 'C',
        }
    }
}

/// A document's lexemes, each with its positions (1-based, across all its fields in order) and their weights:
/// what PostgreSQL stores as a `tsvector`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Lexemes {
    /// Sorted by lexeme (bytes), as PostgreSQL keeps them; positions ascending, at most [`MAX_POSITIONS`].
    entries: Vec<(Arc<str>, Positions)>,
}

impl Lexemes {
    /// The lexemes of `fields`, in order: positions run on from one field to the next.
    pub(crate) fn of(fields: &[(&str, Weight)]) -> Lexemes {
        let mut at: FastMap<Arc<str>, usize> = FastMap::default();
        let mut entries: Vec<(Arc<str>, Positions)> = Vec::new();
        let mut position: u16 = 0;
        let mut lower = String::new();
        for (text, weight) in fields {
            for word in raw_words(text) {
                position = (position + 1).min(MAX_POSITION);
                lower_into(word, &mut lower);
                let Some(lexeme) = lexeme_of(&lower) else {
                    continue;
                };
                let entry = match at.get(&lexeme) {
                    Some(&index) => &mut entries[index].1,
                    None => {
                        at.insert(lexeme.clone(), entries.len());
                        entries.push((lexeme, Vec::new()));
                        &mut entries.last_mut().expect("just pushed").1
                    }
                };
                // Past the last position, every word stands at it: one entry is enough.
                let repeated = entry.last().is_some_and(|(last, _)| *last == position);
                if entry.len() < MAX_POSITIONS && !repeated {
                    entry.push((position, *weight));
                }
            }
        }
        entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Lexemes { entries }
    }

    /// The `tsvector` as PostgreSQL reads it from text (`'lexeme':1A,4A 'other':2B`), for `CAST($n AS tsvector)`.
    pub(crate) fn literal(&self) -> String {
        let mut out = String::new();
        for (lexeme, positions) in &self.entries {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push('\'');
            for c in lexeme.chars() {
                if c == '\'' || c == '\\' {
                    out.push(c);
                }
                out.push(c);
            }
            out.push('\'');
            for (i, (position, weight)) in positions.iter().enumerate() {
                out.push(if i == 0 { ':' } else { ',' });
                out.push_str(&position.to_string());
                out.push(weight.letter());
            }
        }
        out
    }

    /// The `tsvector` in PostgreSQL's binary form (as `tsvectorrecv` reads it), for a binary `COPY`: the number of
    /// lexemes, then each lexeme as a NUL-terminated string, its number of positions and each position with its
    /// weight in the two high bits.
    pub(crate) fn binary(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.entries.len() * 16);
        out.extend_from_slice(&(self.entries.len() as i32).to_be_bytes());
        for (lexeme, positions) in &self.entries {
            out.extend_from_slice(lexeme.as_bytes());
            out.push(0);
            out.extend_from_slice(&(positions.len() as u16).to_be_bytes());
            for (position, weight) in positions {
                out.extend_from_slice(&(weight.bits() | position).to_be_bytes());
            }
        }
        out
    }
}

/// The lexemes of a conversation's row: the title weighs most, then the overview, then the transcript.
pub(crate) fn conversation_lexemes(title: &str, overview: &str, transcript: &str) -> Lexemes {
    Lexemes::of(&[
        (title, Weight::A),
        (overview, Weight::B),
        (transcript, Weight::C),
    ])
}

/// The lexemes of a memory's row.
pub(crate) fn memory_lexemes(content: &str) -> Lexemes {
    Lexemes::of(&[(content, Weight::A)])
}

/// A conversation row's `words` as PostgreSQL shows them as text, for checks outside the server.
pub fn conversation_words(title: &str, overview: &str, transcript: &str) -> String {
    conversation_lexemes(title, overview, transcript).literal()
}

/// A memory row's `words` as PostgreSQL shows them as text, for checks outside the server.
pub fn memory_words(content: &str) -> String {
    memory_lexemes(content).literal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_drops_stop_words_and_keeps_their_positions() {
        let lexemes = Lexemes::of(&[
            ("Promised Anna", Weight::A),
            ("the promise to Anna's team", Weight::C),
        ]);
        assert_eq!(
            lexemes.literal(),
            "'anna':2A,6C 'promis':1A,4C 's':7C 'team':8C"
        );
    }

    #[test]
    fn binary_form_matches_the_text_form() {
        let lexemes = Lexemes::of(&[("running dogs", Weight::B)]);
        assert_eq!(lexemes.literal(), "'dog':2B 'run':1B");
        let mut expected = 2i32.to_be_bytes().to_vec();
        expected.extend_from_slice(b"dog\0");
        expected.extend_from_slice(&1u16.to_be_bytes());
        expected.extend_from_slice(&((2u16 << 14) | 2).to_be_bytes());
        expected.extend_from_slice(b"run\0");
        expected.extend_from_slice(&1u16.to_be_bytes());
        expected.extend_from_slice(&((2u16 << 14) | 1).to_be_bytes());
        assert_eq!(lexemes.binary(), expected);
    }

    #[test]
    fn bounds_positions_as_postgres_does() {
        let long = "word ".repeat(20_000);
        let lexemes = Lexemes::of(&[(&long, Weight::C)]);
        let (lexeme, positions) = &lexemes.entries[0];
        assert_eq!(&**lexeme, "word");
        assert_eq!(positions.len(), MAX_POSITIONS);
        assert_eq!(positions[255].0, 256);

        let words_then_one = format!("{} last", "x ".repeat(20_000));
        let lexemes = Lexemes::of(&[(&words_then_one, Weight::C)]);
        let last = lexemes
            .entries
            .iter()
            .find(|(l, _)| &**l == "last")
            .unwrap();
        assert_eq!(last.1, vec![(MAX_POSITION, Weight::C)]);
    }

    #[test]
    fn empty_text_has_no_lexemes() {
        let lexemes = Lexemes::of(&[("", Weight::A), (" ?! the ", Weight::B)]);
        assert_eq!(lexemes.literal(), "");
        assert_eq!(lexemes.binary(), 0i32.to_be_bytes().to_vec());
    }

    #[test]
    fn words_are_cut_and_lower_cased_in_any_script() {
        let long = "X".repeat(100);
        let all: Vec<String> = words(&format!("Café 東京 {long}")).collect();
        assert_eq!(all[0], "café");
        assert_eq!(all[1], "東京");
        assert_eq!(all[2], "x".repeat(MAX_WORD_CHARS));
        // A document's words are the query's: the same lexemes, whichever way they are written.
        let document = Lexemes::of(&[("ΟΔΟΣ Café RUNNING", Weight::A)]);
        let query: Vec<String> = words("οδος CAFÉ running").map(|w| stem(&w)).collect();
        let stored: Vec<&str> = document.entries.iter().map(|(l, _)| &**l).collect();
        for lexeme in &query {
            assert!(stored.contains(&lexeme.as_str()), "{lexeme} in {stored:?}");
        }
    }
}

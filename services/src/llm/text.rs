//! Small text utilities shared by the language models: sentence splitting, word tokens, joining
//! tokens back into text, Title Case.

/// A word or punctuation mark of a sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// As written (curly apostrophes straightened).
    pub text: String,
    /// Lowercase form used for matching.
    pub lower: String,
    /// A punctuation mark (`,` `;` `?` `!` `.` `:` `(` `)` `"` …), not a word.
    pub punct: bool,
}

impl Token {
    fn word(text: String) -> Self {
        let lower = text.to_lowercase();
        Token {
            text,
            lower,
            punct: false,
        }
    }

    fn punct(c: char) -> Self {
        Token {
            text: c.to_string(),
            lower: c.to_string(),
            punct: true,
        }
    }

    /// The word starts with an uppercase letter.
    pub fn is_capitalized(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }
}

/// Splits text into words and punctuation. A word is a run of letters and digits, with `'`, `-`,
/// `:` and `.` allowed inside when followed by a letter or digit ("don't", "follow-up", "3:30",
/// "1.5", "p.m"). Curly apostrophes count as `'`.
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c == '’' || c == '‘' { '\'' } else { c })
        .collect();
    let mut tokens = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            word.push(c);
            continue;
        }
        let next_alnum = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if !word.is_empty() && next_alnum && matches!(c, '\'' | '-' | ':' | '.' | '&') {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(Token::word(std::mem::take(&mut word)));
        }
        if !c.is_whitespace() && c != '\'' {
            tokens.push(Token::punct(c));
        }
    }
    if !word.is_empty() {
        tokens.push(Token::word(word));
    }
    tokens
}

/// Joins tokens with single spaces, punctuation attached to the word before it (opening brackets
/// and quotes to the word after).
pub(crate) fn join(tokens: &[Token]) -> String {
    let mut out = String::new();
    let mut glue_next = false;
    for t in tokens {
        let attach_left = t.punct
            && !matches!(
                t.text.as_str(),
                "(" | "[" | "\"" | "“" | "-" | "–" | "—" | "&"
            );
        if !out.is_empty() && !attach_left && !glue_next {
            out.push(' ');
        }
        out.push_str(&t.text);
        glue_next = t.punct && matches!(t.text.as_str(), "(" | "[" | "“");
    }
    out
}

const ABBREVIATIONS: [&str; 13] = [
    "mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "prof", "e.g", "i.e", "etc", "approx",
];

/// Splits text into sentences at `.`, `!`, `?`, `…` followed by whitespace (or the end) and at line
/// breaks. Periods after common abbreviations ("Dr.", "e.g.") and single initials do not end a
/// sentence. Sentences are trimmed; empty ones are dropped.
pub(crate) fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut current = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            current.push(c);
            if matches!(c, '.' | '!' | '?' | '…') {
                // keep runs like "?!" or "..." together
                while i + 1 < chars.len()
                    && matches!(chars[i + 1], '.' | '!' | '?' | '…' | '"' | '”' | ')')
                {
                    i += 1;
                    current.push(chars[i]);
                }
                let at_boundary = i + 1 >= chars.len() || chars[i + 1].is_whitespace();
                if at_boundary && !(c == '.' && ends_with_abbreviation(&current)) {
                    push_sentence(&mut sentences, &mut current);
                }
            }
            i += 1;
        }
        push_sentence(&mut sentences, &mut current);
    }
    sentences
}

fn ends_with_abbreviation(sentence: &str) -> bool {
    let body = sentence.trim_end_matches('.');
    let last = body
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    let last = last.trim_start_matches(|c: char| !c.is_alphanumeric());
    if last.chars().count() == 1 && last.chars().all(char::is_uppercase) && last != "I" {
        return true; // an initial: "J. R. R. Tolkien"
    }
    ABBREVIATIONS.contains(&last.to_lowercase().as_str())
}

fn push_sentence(sentences: &mut Vec<String>, current: &mut String) {
    let s = current.trim();
    if s.chars().any(char::is_alphanumeric) {
        sentences.push(s.to_string());
    }
    current.clear();
}

/// Words kept lowercase inside a Title Case headline.
const MINOR_WORDS: [&str; 24] = [
    "a", "an", "the", "and", "but", "or", "nor", "for", "so", "yet", "as", "at", "by", "in", "of",
    "on", "per", "to", "up", "via", "with", "from", "into", "over",
];

/// Title Case: every word capitalized except minor words (articles, short conjunctions and
/// prepositions) that are neither first nor last. Words that already contain an uppercase
/// letter ("iPhone", "AI", "McDonald") are left alone. Idempotent.
pub(crate) fn title_case(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let last = words.len().saturating_sub(1);
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let lower = w.to_lowercase();
        let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
        if i != 0 && i != last && MINOR_WORDS.contains(&bare) {
            out.push(lower);
        } else if w.chars().any(char::is_uppercase) {
            out.push((*w).to_string());
        } else {
            out.push(
                w.split('-')
                    .map(capitalize_first)
                    .collect::<Vec<_>>()
                    .join("-"),
            );
        }
    }
    out.join(" ")
}

/// The text with its first letter uppercased.
pub(crate) fn capitalize_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// At most `max` whitespace-separated words of `text`.
pub(crate) fn truncate_words(text: &str, max: usize) -> String {
    text.split_whitespace()
        .take(max)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Number of whitespace-separated words.
pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn tokenize_keeps_contractions_times_and_hyphens_together() {
        assert_eq!(
            words("I’ll call at 3:30pm, ok?"),
            ["I'll", "call", "at", "3:30pm", ",", "ok", "?"]
        );
        assert_eq!(
            words("a follow-up for 1.5 hours."),
            ["a", "follow-up", "for", "1.5", "hours", "."]
        );
        assert_eq!(words("at 3 p.m. sharp"), ["at", "3", "p.m", ".", "sharp"]);
    }

    #[test]
    fn join_attaches_punctuation() {
        let tokens = tokenize("Send the deck , then ( maybe ) call Tom ?");
        assert_eq!(join(&tokens), "Send the deck, then (maybe) call Tom?");
    }

    #[test]
    fn split_sentences_at_terminal_punctuation_and_line_breaks() {
        let s =
            split_sentences("Hi Dr. Smith. The fee is 3.5 dollars! Really?! Yes\nNew line here");
        assert_eq!(
            s,
            [
                "Hi Dr. Smith.",
                "The fee is 3.5 dollars!",
                "Really?!",
                "Yes",
                "New line here"
            ]
        );
    }

    #[test]
    fn split_sentences_drops_empty_pieces() {
        assert!(split_sentences(" ... \n\n").is_empty());
    }

    #[test]
    fn title_case_rules() {
        assert_eq!(
            title_case("finalize the launch plan with sarah"),
            "Finalize the Launch Plan with Sarah"
        );
        assert_eq!(
            title_case("the iPhone and AI roadmap"),
            "The iPhone and AI Roadmap"
        );
        assert_eq!(title_case("follow-up on budget"), "Follow-Up on Budget");
        assert_eq!(title_case("what to think of"), "What to Think Of");
        let once = title_case("a talk about the state of the art");
        assert_eq!(title_case(&once), once);
    }

    #[test]
    fn truncation_and_counts() {
        assert_eq!(truncate_words("one two  three four", 2), "one two");
        assert_eq!(word_count(" one two  three "), 3);
        assert_eq!(capitalize_first("élan"), "Élan");
    }
}

//! Phrase surgery shared by titles, action items and events: dropping fillers, cutting clauses,
//! trimming leading subjects and trailing function words.

use super::words::{is_filler, is_stopword};
use crate::llm::text::Token;

/// Spoken fillers removed anywhere ("um", "uh", "you know").
pub(crate) fn drop_fillers(tokens: &[Token]) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let w = tokens[i].lower.as_str();
        if matches!(w, "um" | "uh" | "er" | "erm" | "hmm" | "uh-huh" | "mhm") {
            i += 1;
            // and the commas around it
            if tokens.get(i).is_some_and(|t| t.lower == ",") {
                i += 1;
                if out.last().is_some_and(|t| t.lower == ",") {
                    out.pop();
                }
            }
            continue;
        }
        let next = tokens.get(i + 1).map(|t| t.lower.as_str()).unwrap_or("");
        if (w == "you" && next == "know" || w == "i" && next == "mean")
            && tokens.get(i + 2).is_none_or(|t| t.punct)
        {
            i += 2;
            if tokens.get(i).is_some_and(|t| t.lower == ",") {
                i += 1;
            }
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    // no punctuation left at the start, no doubled commas
    while out.first().is_some_and(|t| t.punct) {
        out.remove(0);
    }
    let mut cleaned: Vec<Token> = Vec::with_capacity(out.len());
    for (i, t) in out.iter().enumerate() {
        let next_is_punct = out.get(i + 1).is_none_or(|n| n.punct);
        if !(t.lower == "," && next_is_punct) {
            cleaned.push(t.clone());
        }
    }
    cleaned
}

/// Words that end a clause.
const CLAUSE_BREAKS: [&str; 12] = [
    "but", "because", "cause", "cuz", "although", "though", "unless", "whereas", "since", "if",
    "while", "so",
];

/// Subject pronouns: "and" followed by one of them starts a new clause.
pub(crate) const SUBJECTS: [&str; 13] = [
    "i", "you", "we", "he", "she", "they", "i'll", "we'll", "you'll", "i'm", "we're", "it's",
    "that's",
];

/// Splits tokens into clauses at punctuation, subordinating words ("but", "because", "if", …) and
/// "and" followed by a subject.
pub(crate) fn clauses(tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut out = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let next = tokens.get(i + 1).map(|n| n.lower.as_str()).unwrap_or("");
        let is_break = (t.punct && !matches!(t.text.as_str(), "&" | "'" | "/"))
            || CLAUSE_BREAKS.contains(&t.lower.as_str())
            || (t.lower == "and" && (SUBJECTS.contains(&next) || next == "then"));
        if is_break {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(t.clone());
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Leading words that are not the topic of a headline.
const LEAD_WORDS: [&str; 47] = [
    "so",
    "well",
    "okay",
    "ok",
    "alright",
    "yeah",
    "yes",
    "no",
    "oh",
    "and",
    "or",
    "like",
    "right",
    "hey",
    "hi",
    "hello",
    "actually",
    "basically",
    "anyway",
    "anyways",
    "also",
    "now",
    "then",
    "just",
    "honestly",
    "look",
    "listen",
    "maybe",
    "probably",
    "definitely",
    "really",
    "please",
    "first",
    "plus",
    "sure",
    "wow",
    "guys",
    "about",
    "the",
    "a",
    "an",
    "my",
    "our",
    "your",
    "some",
    "totally",
    "still",
];

/// Leading phrases (subject + modal, hedges, existentials) that are not the topic of a headline.
const LEAD_PHRASES: &[&[&str]] = &[
    &["i", "mean"],
    &["you", "know"],
    &["i", "think"],
    &["i", "guess"],
    &["i", "feel", "like"],
    &["i", "believe"],
    &["i", "suppose"],
    &["it", "seems", "like"],
    &["sounds", "like"],
    &["i", "was", "thinking"],
    &["we", "were", "thinking"],
    &["the", "thing", "is"],
    &["what", "about"],
    &["how", "about"],
    &["i'll"],
    &["we'll"],
    &["you'll"],
    &["i", "will"],
    &["we", "will"],
    &["you", "will"],
    &["i'm", "going", "to"],
    &["we're", "going", "to"],
    &["i", "am", "going", "to"],
    &["we", "are", "going", "to"],
    &["i'm", "gonna"],
    &["we're", "gonna"],
    &["i", "need", "to"],
    &["we", "need", "to"],
    &["you", "need", "to"],
    &["i", "have", "to"],
    &["we", "have", "to"],
    &["you", "have", "to"],
    &["i", "should"],
    &["we", "should"],
    &["you", "should"],
    &["i", "must"],
    &["we", "must"],
    &["let's"],
    &["let", "us"],
    &["can", "you"],
    &["could", "you"],
    &["would", "you"],
    &["will", "you"],
    &["i", "want", "to"],
    &["we", "want", "to"],
    &["i'd", "like", "to"],
    &["we'd", "like", "to"],
    &["don't", "forget", "to"],
    &["remind", "me", "to"],
    &["remember", "to"],
    &["make", "sure", "to"],
    &["i've", "got", "to"],
    &["we've", "got", "to"],
    &["i", "gotta"],
    &["we", "gotta"],
    &["go", "ahead", "and"],
    &["try", "to"],
    &["i", "have"],
    &["we", "have"],
    &["i've", "got"],
    &["we've", "got"],
    &["there's"],
    &["there", "is"],
    &["there", "are"],
    &["it's"],
    &["it", "is"],
    &["this", "is"],
    &["that's"],
    &["here's"],
    &["i'm"],
    &["we're"],
    &["you're"],
    &["i", "am"],
    &["we", "are"],
    &["thinking", "about"],
    &["talking", "about"],
];

fn starts_with(tokens: &[Token], phrase: &[&str]) -> bool {
    phrase.len() <= tokens.len() && phrase.iter().zip(tokens).all(|(p, t)| t.lower == *p)
}

/// Drops leading hedges, fillers, subjects with modals and articles, repeatedly
/// ("so I think we need to finalize the plan" → "finalize the plan").
pub(crate) fn trim_lead(tokens: &[Token]) -> Vec<Token> {
    let mut start = 0;
    loop {
        let rest = &tokens[start..];
        if rest
            .first()
            .is_some_and(|t| t.punct || LEAD_WORDS.contains(&t.lower.as_str()))
        {
            start += 1;
            continue;
        }
        match LEAD_PHRASES.iter().find(|p| starts_with(rest, p)) {
            Some(p) => start += p.len(),
            None => break,
        }
    }
    tokens[start..].to_vec()
}

/// Drops trailing punctuation, function words and fillers ("… with the" → "…").
pub(crate) fn trim_tail(tokens: &[Token]) -> Vec<Token> {
    let mut end = tokens.len();
    while end > 0 {
        let t = &tokens[end - 1];
        let w = t.lower.as_str();
        let tail_phrase = end >= 2 && {
            let prev = tokens[end - 2].lower.as_str();
            matches!(
                (prev, w),
                ("as", "well") | ("for", "now") | ("or", "something") | ("and", "stuff")
            )
        };
        if tail_phrase {
            end -= 2;
        } else if t.punct
            || is_stopword(w)
            || is_filler(w)
            || w.chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            end -= 1;
        } else {
            break;
        }
    }
    tokens[..end].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::text::{join, tokenize};

    fn s(tokens: &[Token]) -> String {
        join(tokens)
    }

    #[test]
    fn fillers_go() {
        assert_eq!(
            s(&drop_fillers(&tokenize(
                "um, so we, uh, need the deck, you know?"
            ))),
            "so we need the deck?"
        );
    }

    #[test]
    fn clause_splitting() {
        let parts: Vec<String> = clauses(&tokenize(
            "I'll send it, but Tom will call and I'll write the notes because it helps",
        ))
        .iter()
        .map(|c| s(c))
        .collect();
        assert_eq!(
            parts,
            [
                "I'll send it",
                "Tom will call",
                "I'll write the notes",
                "it helps"
            ]
        );
    }

    #[test]
    fn lead_and_tail_trimming() {
        assert_eq!(
            s(&trim_lead(&tokenize(
                "so I think we need to finalize the plan"
            ))),
            "finalize the plan"
        );
        assert_eq!(
            s(&trim_lead(&tokenize("Okay, I have a dentist appointment"))),
            "dentist appointment"
        );
        assert_eq!(
            s(&trim_tail(&tokenize(
                "book the venue for the team as well, okay?"
            ))),
            "book the venue for the team"
        );
    }
}

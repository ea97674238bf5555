//! Trend mentions, offline (spec §3.2 "Trends extraction"): a whitelisted topic named in a sentence with a
//! positive cue near it is a `best` mention, with a negative cue a `worst` one, with neither no mention. The
//! nearest cue within [`REACH`] words of the name decides (a tie decides nothing), and a negation just before
//! the cue ("not great", "never liked") turns it around. A topic named several times in one conversation is a
//! mention of the type most of its namings have; a tie is no mention. Deterministic: the same text always
//! gives the same mentions, in whitelist order.
//!
//! Names are matched as whole words. A plain capitalized word (`Apple`, `Windows`, `Zoom`) must be written
//! capitalized, since in lower case it is an ordinary word; other names (`ChatGPT`, `iPhone`, `Vision Pro`)
//! match in any case. The longest name wins where names overlap (`Apple Watch` is not `Apple`).

use std::collections::BTreeMap;

use omi_domain::trend::{TrendCategory, TrendMention, TrendType, TOPICS};

/// How many words from the name a cue may stand.
const REACH: usize = 6;

const POSITIVE: &[&str] = &[
    "love",
    "loved",
    "loves",
    "loving",
    "great",
    "amazing",
    "awesome",
    "excellent",
    "fantastic",
    "brilliant",
    "impressive",
    "impressed",
    "best",
    "favorite",
    "favourite",
    "incredible",
    "wonderful",
    "perfect",
    "recommend",
    "recommended",
    "enjoy",
    "enjoyed",
    "outstanding",
    "beautiful",
    "genius",
    "superb",
    "solid",
    "good",
    "better",
];

const NEGATIVE: &[&str] = &[
    "hate",
    "hated",
    "hates",
    "terrible",
    "awful",
    "worst",
    "bad",
    "horrible",
    "disappointing",
    "disappointed",
    "broken",
    "annoying",
    "useless",
    "sucks",
    "overrated",
    "buggy",
    "garbage",
    "trash",
    "worse",
    "frustrating",
    "unreliable",
    "overpriced",
    "crap",
    "mess",
    "failure",
];

const NEGATIONS: &[&str] = &[
    "not", "never", "don't", "doesn't", "didn't", "isn't", "wasn't",
];

/// The trend mentions of `sentences`.
pub(super) fn trends<'a>(sentences: impl IntoIterator<Item = &'a str>) -> Vec<TrendMention> {
    let names = names();
    // (category, whitelist index) → (best, worst) namings.
    let mut votes: BTreeMap<(TrendCategory, usize), (u32, u32)> = BTreeMap::new();
    for sentence in sentences {
        let words = words(sentence);
        for (name, start, end) in namings(&words, &names) {
            let vote = votes.entry((name.category, name.index)).or_default();
            match cue(&words, start, end) {
                Some(TrendType::Best) => vote.0 += 1,
                Some(TrendType::Worst) => vote.1 += 1,
                None => {}
            }
        }
    }
    votes
        .into_iter()
        .filter_map(|((category, index), (best, worst))| {
            let kind = match best.cmp(&worst) {
                std::cmp::Ordering::Greater => TrendType::Best,
                std::cmp::Ordering::Less => TrendType::Worst,
                std::cmp::Ordering::Equal => return None,
            };
            let topic = omi_domain::trend::topics(category)[index];
            TrendMention::whitelisted(category, topic, kind)
        })
        .collect()
}

/// A whitelisted name as words to match.
struct Name {
    category: TrendCategory,
    /// Its place in the category's whitelist.
    index: usize,
    words: Vec<String>,
    /// A plain capitalized word: matched only as written.
    exact: bool,
}

/// Every whitelisted name, longest first (so that the longest wins where names overlap).
fn names() -> Vec<Name> {
    let mut names: Vec<Name> = TOPICS
        .iter()
        .flat_map(|(category, topics)| {
            topics.iter().enumerate().map(move |(index, topic)| {
                let words = words(topic);
                let exact = words.len() == 1 && is_plain_capitalized(topic);
                Name {
                    category: *category,
                    index,
                    words,
                    exact,
                }
            })
        })
        .collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.words.len()));
    names
}

/// `Apple`, `Windows`: an initial capital and lower-case letters only.
fn is_plain_capitalized(topic: &str) -> bool {
    let mut chars = topic.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.all(char::is_lowercase)
}

/// The words of `text`: runs of letters, digits, `'`, `-` and `.` inside a word (`DALL-E`, `don't`), with the
/// punctuation around them dropped.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '\'' | '-' | '.' | '’')))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .replace('’', "'")
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// Where names stand in `words`: (name, first word, one past the last), no two overlapping.
fn namings<'n>(words: &[String], names: &'n [Name]) -> Vec<(&'n Name, usize, usize)> {
    let mut taken = vec![false; words.len()];
    let mut found = Vec::new();
    for name in names {
        let width = name.words.len();
        if width == 0 || width > words.len() {
            continue;
        }
        for start in 0..=words.len() - width {
            let span = start..start + width;
            if taken[span.clone()].iter().any(|t| *t) {
                continue;
            }
            let matches = words[span.clone()]
                .iter()
                .zip(&name.words)
                .all(|(said, known)| {
                    if name.exact {
                        said == known
                    } else {
                        said.eq_ignore_ascii_case(known)
                    }
                });
            if matches {
                taken[span].iter_mut().for_each(|t| *t = true);
                found.push((name, start, start + width));
            }
        }
    }
    found.sort_by_key(|(_, start, _)| *start);
    found
}

/// The type the nearest cue around words `start..end` gives, if one is within reach and no other cue as near
/// says the opposite.
fn cue(words: &[String], start: usize, end: usize) -> Option<TrendType> {
    let before = (start.saturating_sub(REACH)..start).map(|i| (start - i, i));
    let after = (end..words.len().min(end + REACH)).map(|i| (i + 1 - end, i));
    let mut cues: Vec<(usize, TrendType)> = before
        .chain(after)
        .filter_map(|(distance, i)| polarity(words, i).map(|kind| (distance, kind)))
        .collect();
    cues.sort_by_key(|(distance, _)| *distance);
    match cues.as_slice() {
        [] => None,
        [(_, kind)] => Some(*kind),
        [(d1, k1), (d2, k2), ..] => (d1 < d2 || k1 == k2).then_some(*k1),
    }
}

/// Whether word `i` is a positive or negative cue, turned around by a negation in the two words before it.
fn polarity(words: &[String], i: usize) -> Option<TrendType> {
    let word = words[i].to_lowercase();
    let kind = if POSITIVE.contains(&word.as_str()) {
        TrendType::Best
    } else if NEGATIVE.contains(&word.as_str()) {
        TrendType::Worst
    } else {
        return None;
    };
    let negated = words[i.saturating_sub(2)..i]
        .iter()
        .any(|w| NEGATIONS.contains(&w.to_lowercase().as_str()));
    Some(match (kind, negated) {
        (TrendType::Best, true) => TrendType::Worst,
        (TrendType::Worst, true) => TrendType::Best,
        (kind, false) => kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(TrendCategory, String, TrendType)> {
        trends(text.split(". "))
            .into_iter()
            .map(|m| (m.category, m.topic, m.kind))
            .collect()
    }

    #[test]
    fn a_positive_cue_near_a_whitelisted_name_is_a_best_mention() {
        assert_eq!(
            found("Honestly I love my iPhone"),
            vec![(
                TrendCategory::HardwareProduct,
                "iPhone".into(),
                TrendType::Best
            )]
        );
        assert_eq!(
            found("chatgpt is amazing for drafting emails"),
            vec![(TrendCategory::AiProduct, "ChatGPT".into(), TrendType::Best)],
            "a name that is no ordinary word matches in any case"
        );
    }

    #[test]
    fn a_negative_cue_is_a_worst_mention_and_a_negation_turns_a_cue_around() {
        assert_eq!(
            found("Windows is terrible lately"),
            vec![(
                TrendCategory::SoftwareProduct,
                "Windows".into(),
                TrendType::Worst
            )]
        );
        assert_eq!(
            found("Slack is not great for long discussions"),
            vec![(
                TrendCategory::SoftwareProduct,
                "Slack".into(),
                TrendType::Worst
            )]
        );
    }

    #[test]
    fn no_cue_or_no_whitelisted_name_is_no_mention() {
        assert!(found("We talked about Tesla and Nvidia earnings").is_empty());
        assert!(found("Initech makes the best staplers").is_empty());
        assert!(
            found("I love apple pie and the windows are great").is_empty(),
            "ordinary words in lower case are not names"
        );
        assert!(
            found("Tim Cook was in the news, and then the long meeting went really great")
                .is_empty(),
            "a cue too far from the name"
        );
    }

    #[test]
    fn the_longest_name_wins_and_the_nearest_cue_decides() {
        assert_eq!(
            found("The Apple Watch is awesome"),
            vec![(
                TrendCategory::HardwareProduct,
                "Apple Watch".into(),
                TrendType::Best
            )]
        );
        assert_eq!(
            found("Claude is brilliant, although the docs are bad"),
            vec![(TrendCategory::AiProduct, "Claude".into(), TrendType::Best)]
        );
    }

    #[test]
    fn namings_of_one_topic_are_counted_and_a_tie_is_no_mention() {
        assert_eq!(
            found("Zoom is awful. Zoom is useless. Zoom is great"),
            vec![(
                TrendCategory::SoftwareProduct,
                "Zoom".into(),
                TrendType::Worst
            )]
        );
        assert!(found("Zoom is awful. Zoom is great").is_empty());
    }

    #[test]
    fn the_same_text_gives_the_same_mentions_in_whitelist_order() {
        let text = "Gemini is bad. Sam Altman is impressive. I love Notion";
        let first = found(text);
        assert_eq!(first, found(text));
        assert_eq!(
            first,
            vec![
                (TrendCategory::Ceo, "Sam Altman".into(), TrendType::Best),
                (
                    TrendCategory::SoftwareProduct,
                    "Notion".into(),
                    TrendType::Best
                ),
                (TrendCategory::AiProduct, "Gemini".into(), TrendType::Worst),
            ]
        );
    }
}

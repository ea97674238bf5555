//! The daily summary, written offline by fixed rules over the day's conversations: the headline names the
//! longest conversations, the overview counts the day and quotes the longest one, highlights group the
//! conversations by category, and cue phrases find the questions left open, the decisions and what was learned.
//! Deterministic: the same day always reads the same.

use std::collections::HashSet;

use omi_domain::daily_summary::{Decision, Highlight, KnowledgeNugget, UnresolvedQuestion};

use crate::llm::category_emoji;
use crate::llm::daily_summary::{DayConversation, DayInput, DayWriting, MAX_HIGHLIGHTS, MAX_ITEMS};
use crate::llm::text::{split_sentences, title_case, word_count};

/// Phrases that say something was settled.
const DECISION_CUES: &[&str] = &[
    "we decided",
    "i decided",
    "decided to",
    "we agreed",
    "agreed to",
    "we'll go with",
    "let's go with",
    "going with",
    "settled on",
    "we chose",
    "i chose",
    "the plan is",
];

/// Phrases that say something was learned.
const INSIGHT_CUES: &[&str] = &[
    "i learned",
    "learned that",
    "it turns out",
    "turns out",
    "did you know",
    "fun fact",
    "interesting fact",
    "the trick is",
    "the key is",
    "realized that",
    "i realized",
];

/// Phrases of an answer that leaves the question open.
const OPEN_CUES: &[&str] = &[
    "not sure",
    "don't know",
    "no idea",
    "we'll see",
    "let me check",
    "figure out",
    "good question",
    "depends",
    "maybe",
];

/// The summary of `day` by the rules above.
pub(crate) fn write_day(day: &DayInput) -> DayWriting {
    let mut by_length: Vec<&DayConversation> = day.conversations.iter().collect();
    by_length.sort_by_key(|c| std::cmp::Reverse(c.minutes));
    let groups = groups(day);
    DayWriting {
        headline: headline(&by_length),
        overview: overview(day, &by_length, &groups),
        day_emoji: groups
            .first()
            .map_or("📅", |group| category_emoji(group.category))
            .to_string(),
        highlights: groups.iter().take(MAX_HIGHLIGHTS).map(highlight).collect(),
        unresolved_questions: open_questions(day),
        decisions_made: cued(day, DECISION_CUES)
            .into_iter()
            .map(|(decision, conversation_id)| Decision {
                decision,
                conversation_id,
            })
            .collect(),
        knowledge_nuggets: cued(day, INSIGHT_CUES)
            .into_iter()
            .map(|(insight, conversation_id)| KnowledgeNugget {
                insight,
                conversation_id,
            })
            .collect(),
    }
}

/// The titles of the longest conversations: "A", "A and B", or "A, B and 3 more".
fn headline(by_length: &[&DayConversation]) -> String {
    let titles: Vec<&str> = by_length
        .iter()
        .map(|c| c.title.trim())
        .filter(|t| !t.is_empty())
        .collect();
    match titles.as_slice() {
        [] => "A day of conversations".to_string(),
        [one] => one.to_string(),
        [first, second] => format!("{first} and {second}"),
        [first, second, rest @ ..] => format!("{first}, {second} and {} more", rest.len()),
    }
}

/// "3 conversations, 47 minutes in all, mostly about business." (the minutes spoken) and the first sentence of
/// the longest one's overview.
fn overview(day: &DayInput, by_length: &[&DayConversation], groups: &[Group<'_>]) -> String {
    let count = day.conversations.len();
    let minutes = day.minutes_spoken;
    let mut text = format!(
        "{count} conversation{}, {minutes} minute{} in all",
        plural(count),
        plural(minutes as usize)
    );
    if let Some(group) = groups.first() {
        text.push_str(&format!(", mostly about {}", label(group.category)));
    }
    text.push('.');
    if let Some(sentence) = by_length
        .iter()
        .find_map(|c| split_sentences(&c.overview).into_iter().next())
    {
        text.push(' ');
        text.push_str(&sentence);
    }
    text
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// A category's words as a sentence reads them (`real` is real estate).
fn label(category: &str) -> String {
    match category {
        "real" => "real estate".to_string(),
        other => other.replace('_', " "),
    }
}

/// The conversations of one category.
struct Group<'a> {
    category: &'a str,
    conversations: Vec<&'a DayConversation>,
    minutes: u32,
}

/// The day's conversations by category, the category with the most minutes first (then the most
/// conversations, then the earliest).
fn groups(day: &DayInput) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for conversation in &day.conversations {
        let category = conversation.category.as_str();
        match groups.iter_mut().find(|g| g.category == category) {
            Some(group) => {
                group.conversations.push(conversation);
                group.minutes += conversation.minutes;
            }
            None => groups.push(Group {
                category,
                conversations: vec![conversation],
                minutes: conversation.minutes,
            }),
        }
    }
    // A stable sort keeps the earliest first among equals.
    groups.sort_by(|a, b| {
        (b.minutes, b.conversations.len()).cmp(&(a.minutes, a.conversations.len()))
    });
    groups
}

/// One conversation: its title, emoji and overview's first sentence; several: the category, its emoji and
/// their titles.
fn highlight(group: &Group<'_>) -> Highlight {
    let conversation_ids = group.conversations.iter().map(|c| c.id.clone()).collect();
    match group.conversations.as_slice() {
        [one] => Highlight {
            topic: one.title.clone(),
            emoji: one.emoji.clone(),
            summary: split_sentences(&one.overview)
                .into_iter()
                .next()
                .unwrap_or_default(),
            conversation_ids,
        },
        many => Highlight {
            topic: title_case(&label(group.category)),
            emoji: category_emoji(group.category).to_string(),
            summary: format!(
                "{}.",
                many.iter()
                    .map(|c| c.title.trim())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            conversation_ids,
        },
    }
}

/// A conversation's sentences with their speakers, in order; the overview's sentences when it has no
/// transcript (a text import).
fn sentences(conversation: &DayConversation) -> Vec<(String, String)> {
    if conversation.lines.is_empty() {
        return split_sentences(&conversation.overview)
            .into_iter()
            .map(|s| (String::new(), s))
            .collect();
    }
    conversation
        .lines
        .iter()
        .flat_map(|line| {
            split_sentences(&line.text)
                .into_iter()
                .map(|s| (line.speaker.clone(), s))
        })
        .collect()
}

/// Questions of three words or more that nothing after them answers: the conversation ends, the same speaker
/// goes on, or the reply says it does not know.
fn open_questions(day: &DayInput) -> Vec<UnresolvedQuestion> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for conversation in &day.conversations {
        if conversation.lines.is_empty() {
            continue;
        }
        let sentences = sentences(conversation);
        for (index, (speaker, sentence)) in sentences.iter().enumerate() {
            if !sentence.ends_with('?') || word_count(sentence) < 3 {
                continue;
            }
            let open = match sentences.get(index + 1) {
                None => true,
                Some((next_speaker, next)) => {
                    next_speaker == speaker || {
                        let next = next.to_lowercase();
                        OPEN_CUES.iter().any(|cue| next.contains(cue))
                    }
                }
            };
            if open && seen.insert(sentence.to_lowercase()) {
                found.push(UnresolvedQuestion {
                    question: sentence.clone(),
                    conversation_id: conversation.id.clone(),
                });
            }
        }
    }
    found.truncate(MAX_ITEMS);
    found
}

/// The sentences holding one of `cues`, with their conversation, first ones first, each once.
fn cued(day: &DayInput, cues: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut seen = HashSet::new();
    for conversation in &day.conversations {
        for (_, sentence) in sentences(conversation) {
            let lower = sentence.to_lowercase();
            if cues.iter().any(|cue| lower.contains(cue)) && seen.insert(lower) {
                found.push((sentence, conversation.id.clone()));
            }
        }
    }
    found.truncate(MAX_ITEMS);
    found
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::llm::TranscriptLine;

    fn line(speaker: &str, text: &str) -> TranscriptLine {
        TranscriptLine {
            speaker: speaker.into(),
            is_user: speaker == "User",
            text: text.into(),
            start: 0.0,
            end: 1.0,
        }
    }

    fn day() -> DayInput {
        DayInput {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            conversations: vec![
                DayConversation {
                    id: "c1".into(),
                    title: "Launch Budget".into(),
                    overview: "Sam and the user cut the ad spend. They met at noon.".into(),
                    category: "business".into(),
                    emoji: "💼".into(),
                    minutes: 30,
                    lines: vec![
                        line("User", "Should we hire a second designer?"),
                        line("Sam", "I'm not sure, it depends on the budget."),
                        line("User", "We decided to cut the ad spend by half."),
                        line("Sam", "Who signs the contract?"),
                        line("User", "I do."),
                    ],
                },
                DayConversation {
                    id: "c2".into(),
                    title: "Lisbon Trip".into(),
                    overview: "The user planned a trip.".into(),
                    category: "travel".into(),
                    emoji: "✈️".into(),
                    minutes: 12,
                    lines: vec![line(
                        "User",
                        "I learned that Lisbon trams take contactless cards. What should we pack?",
                    )],
                },
            ],
            minutes_spoken: 42,
        }
    }

    #[test]
    fn the_headline_names_the_longest_conversations_first() {
        let written = write_day(&day());
        assert_eq!(written.headline, "Launch Budget and Lisbon Trip");
        assert_eq!(written.day_emoji, "💼");
        assert_eq!(
            written.overview,
            "2 conversations, 42 minutes in all, mostly about business. Sam and the user cut the ad spend."
        );
    }

    #[test]
    fn a_question_answered_is_not_open_and_one_met_with_doubt_is() {
        let questions: Vec<String> = write_day(&day())
            .unresolved_questions
            .into_iter()
            .map(|q| q.question)
            .collect();
        assert_eq!(
            questions,
            ["Should we hire a second designer?", "What should we pack?"]
        );
    }

    #[test]
    fn decisions_and_insights_come_from_their_cues() {
        let written = write_day(&day());
        assert_eq!(
            written.decisions_made,
            vec![Decision {
                decision: "We decided to cut the ad spend by half.".into(),
                conversation_id: "c1".into()
            }]
        );
        assert_eq!(
            written.knowledge_nuggets,
            vec![KnowledgeNugget {
                insight: "I learned that Lisbon trams take contactless cards.".into(),
                conversation_id: "c2".into()
            }]
        );
    }

    #[test]
    fn highlights_are_one_per_category_longest_first() {
        let written = write_day(&day());
        let topics: Vec<&str> = written
            .highlights
            .iter()
            .map(|h| h.topic.as_str())
            .collect();
        assert_eq!(topics, ["Launch Budget", "Lisbon Trip"]);
        assert_eq!(written.highlights[0].conversation_ids, ["c1"]);
        let mut same = day();
        same.conversations[1].category = "business".into();
        let grouped = write_day(&same);
        assert_eq!(grouped.highlights.len(), 1);
        assert_eq!(grouped.highlights[0].topic, "Business");
        assert_eq!(grouped.highlights[0].summary, "Launch Budget; Lisbon Trip.");
    }
}

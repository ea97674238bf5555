//! What a language model is given and gives back for a daily summary (spec §2.12): the day's conversations in,
//! the written parts of the summary out. The counted parts (stats), the action items and the places come from
//! the user's data, never from a model; every answer goes through [`DayWriting::checked`], so a conversation
//! id it names is one of the day's.

use std::collections::HashSet;

use chrono::NaiveDate;
use omi_domain::daily_summary::{Decision, Highlight, KnowledgeNugget, UnresolvedQuestion};

use super::TranscriptLine;

/// The most highlights a summary shows.
pub const MAX_HIGHLIGHTS: usize = 5;
/// The most entries of each other written list (questions, decisions, nuggets).
pub const MAX_ITEMS: usize = 5;
/// The longest piece of written text kept, in characters.
const MAX_TEXT: usize = 1_000;

/// One conversation of the day, as processing left it.
#[derive(Debug, Clone, PartialEq)]
pub struct DayConversation {
    pub id: String,
    pub title: String,
    pub overview: String,
    pub category: String,
    pub emoji: String,
    /// How long it lasted, in whole minutes.
    pub minutes: u32,
    pub lines: Vec<TranscriptLine>,
}

/// The day to summarize: its date, its conversations (oldest first) and how long they spoke.
#[derive(Debug, Clone, PartialEq)]
pub struct DayInput {
    pub date: NaiveDate,
    pub conversations: Vec<DayConversation>,
    /// Minutes spoken that day, as the day's statistics count them.
    pub minutes_spoken: u32,
}

/// The written parts of a daily summary.
#[derive(Debug, Clone, PartialEq)]
pub struct DayWriting {
    pub headline: String,
    pub overview: String,
    pub day_emoji: String,
    pub highlights: Vec<Highlight>,
    pub unresolved_questions: Vec<UnresolvedQuestion>,
    pub decisions_made: Vec<Decision>,
    pub knowledge_nuggets: Vec<KnowledgeNugget>,
}

impl DayWriting {
    /// The writing with what a summary may show only: text trimmed, without NUL characters and at most
    /// 1,000 characters long; entries that name no conversation of the day, or hold no text, left out; at most
    /// [`MAX_HIGHLIGHTS`] highlights and [`MAX_ITEMS`] of each list; a blank emoji replaced by 📅.
    pub fn checked(self, day: &DayInput) -> DayWriting {
        let ids: HashSet<&str> = day.conversations.iter().map(|c| c.id.as_str()).collect();
        let known = |id: &str| ids.contains(id);
        let highlights = self
            .highlights
            .into_iter()
            .filter_map(|h| {
                let mut conversation_ids: Vec<String> = Vec::new();
                for id in h.conversation_ids {
                    if known(&id) && !conversation_ids.contains(&id) {
                        conversation_ids.push(id);
                    }
                }
                let topic = clean(&h.topic);
                (!topic.is_empty() && !conversation_ids.is_empty()).then(|| Highlight {
                    topic,
                    emoji: emoji_or_default(&h.emoji),
                    summary: clean(&h.summary),
                    conversation_ids,
                })
            })
            .take(MAX_HIGHLIGHTS)
            .collect();
        let unresolved_questions = self
            .unresolved_questions
            .into_iter()
            .map(|q| (clean(&q.question), q.conversation_id))
            .filter(|(text, id)| !text.is_empty() && known(id))
            .map(|(question, conversation_id)| UnresolvedQuestion {
                question,
                conversation_id,
            })
            .take(MAX_ITEMS)
            .collect();
        let decisions_made = self
            .decisions_made
            .into_iter()
            .map(|d| (clean(&d.decision), d.conversation_id))
            .filter(|(text, id)| !text.is_empty() && known(id))
            .map(|(decision, conversation_id)| Decision {
                decision,
                conversation_id,
            })
            .take(MAX_ITEMS)
            .collect();
        let knowledge_nuggets = self
            .knowledge_nuggets
            .into_iter()
            .map(|k| (clean(&k.insight), k.conversation_id))
            .filter(|(text, id)| !text.is_empty() && known(id))
            .map(|(insight, conversation_id)| KnowledgeNugget {
                insight,
                conversation_id,
            })
            .take(MAX_ITEMS)
            .collect();
        DayWriting {
            headline: clean(&self.headline),
            overview: clean(&self.overview),
            day_emoji: emoji_or_default(&self.day_emoji),
            highlights,
            unresolved_questions,
            decisions_made,
            knowledge_nuggets,
        }
    }
}

/// `text` trimmed, without NUL characters (the log cannot store them), at most [`MAX_TEXT`] characters.
fn clean(text: &str) -> String {
    let text: String = text
        .replace('\0', "")
        .trim()
        .chars()
        .take(MAX_TEXT)
        .collect();
    text.trim_end().to_string()
}

fn emoji_or_default(emoji: &str) -> String {
    let emoji: String = clean(emoji).chars().take(8).collect();
    if emoji.is_empty() {
        "📅".to_string()
    } else {
        emoji
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> DayInput {
        DayInput {
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            conversations: vec![DayConversation {
                id: "c1".into(),
                title: "Budget".into(),
                overview: String::new(),
                category: "business".into(),
                emoji: "💼".into(),
                minutes: 10,
                lines: vec![],
            }],
            minutes_spoken: 10,
        }
    }

    #[test]
    fn entries_that_name_no_conversation_of_the_day_are_left_out() {
        let writing = DayWriting {
            headline: "  Budget day \0 ".into(),
            overview: "o".into(),
            day_emoji: " ".into(),
            highlights: vec![
                Highlight {
                    topic: "Budget".into(),
                    emoji: "💰".into(),
                    summary: "s".into(),
                    conversation_ids: vec!["c1".into(), "elsewhere".into(), "c1".into()],
                },
                Highlight {
                    topic: "Ghost".into(),
                    emoji: "👻".into(),
                    summary: "s".into(),
                    conversation_ids: vec!["elsewhere".into()],
                },
            ],
            unresolved_questions: vec![UnresolvedQuestion {
                question: "Who pays?".into(),
                conversation_id: "other-user".into(),
            }],
            decisions_made: vec![Decision {
                decision: "Cut the ads".into(),
                conversation_id: "c1".into(),
            }],
            knowledge_nuggets: vec![KnowledgeNugget {
                insight: " ".into(),
                conversation_id: "c1".into(),
            }],
        }
        .checked(&day());
        assert_eq!(writing.headline, "Budget day");
        assert_eq!(writing.day_emoji, "📅");
        assert_eq!(writing.highlights.len(), 1);
        assert_eq!(writing.highlights[0].conversation_ids, vec!["c1"]);
        assert!(writing.unresolved_questions.is_empty());
        assert_eq!(writing.decisions_made.len(), 1);
        assert!(writing.knowledge_nuggets.is_empty());
    }
}

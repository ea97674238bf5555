//! Validation applied to every analysis, whichever model produced it.

use omi_domain::trend::TrendMention;

use super::text::{title_case, truncate_words, word_count};
use super::{
    category_emoji, coerce_category, discarded_emoji, input_text, Analysis, ConversationInput,
    ExtractedActionItem, ExtractedEvent, ExtractedMemory,
};

pub const MAX_TITLE_WORDS: usize = 10;
/// Conversations with more words than this are never discarded (spec §3.2).
pub const KEEP_ABOVE_WORDS: usize = 100;
pub const MAX_MEMORIES: usize = 4;
pub const DEFAULT_EVENT_MINUTES: u32 = 30;
pub const MAX_EVENT_MINUTES: u32 = 180;

/// Enforces the invariants documented on [`Analysis`]:
/// - the title is trimmed, unquoted, at most 10 words, Title Case; an empty title (or
///   `discarded`) makes a discarded analysis — unless `force` is set or the transcript has more
///   than 100 words, in which case the title falls back to `title_hint`, then to the first words
///   of the overview;
/// - a discarded analysis has an empty title and overview, category `other`, no items, and the
///   emoji 🧠 or 🎉;
/// - the category is one of the 33 values (else `other`); an empty or implausible emoji becomes
///   the category's;
/// - action items: descriptions trimmed, empty ones dropped, due dates before the capture time
///   dropped, duplicates (case-insensitive) dropped;
/// - events: empty titles and starts before the capture time dropped, durations 0 → 30, capped
///   at 180;
/// - memories: trimmed, empty and duplicate ones dropped, category `interesting` (or `learnings`)
///   else `system`, at most 4.
pub fn normalize(analysis: Analysis, input: &ConversationInput) -> Analysis {
    let analysis = storable(analysis);
    let mut title = clean_title(&analysis.title);
    let overview = analysis.overview.trim().to_string();
    if (analysis.discarded || title.is_empty()) && must_keep(input) {
        if title.is_empty() {
            title = input
                .title_hint
                .as_deref()
                .map(clean_title)
                .unwrap_or_default();
        }
        if title.is_empty() {
            title = clean_title(&truncate_words(&overview, MAX_TITLE_WORDS));
        }
    } else if analysis.discarded {
        title.clear();
    }
    if title.is_empty() {
        let mut discarded = Analysis::discarded(&input_text(input));
        if matches!(analysis.emoji.trim(), "🧠" | "🎉") {
            discarded.emoji = analysis.emoji.trim().to_string();
        } else {
            discarded.emoji = discarded_emoji(&input_text(input)).to_string();
        }
        return discarded;
    }
    let category = coerce_category(&analysis.category);
    let emoji =
        clean_emoji(&analysis.emoji).unwrap_or_else(|| category_emoji(&category).to_string());
    Analysis {
        discarded: false,
        title,
        overview,
        emoji,
        category,
        action_items: clean_action_items(analysis.action_items, input),
        events: clean_events(analysis.events, input),
        memories: clean_memories(analysis.memories),
        trends: TrendMention::distinct(analysis.trends),
    }
}

/// The analysis without NUL characters: a model's output is untrusted text, and the event log refuses NUL
/// (PostgreSQL cannot store it), which would leave the conversation unprocessed.
fn storable(mut analysis: Analysis) -> Analysis {
    fn strip(text: &mut String) {
        if text.contains('\0') {
            text.retain(|c| c != '\0');
        }
    }
    for text in [
        &mut analysis.title,
        &mut analysis.overview,
        &mut analysis.emoji,
        &mut analysis.category,
    ] {
        strip(text);
    }
    for item in &mut analysis.action_items {
        strip(&mut item.description);
    }
    for event in &mut analysis.events {
        strip(&mut event.title);
        strip(&mut event.description);
    }
    for memory in &mut analysis.memories {
        strip(&mut memory.content);
        strip(&mut memory.category);
    }
    analysis
}

/// Forced (explicit finalize, reprocess) or longer than 100 words: never discarded while there is
/// something to call it.
pub(crate) fn must_keep(input: &ConversationInput) -> bool {
    (input.force || input.word_count() > KEEP_ABOVE_WORDS) && !input.is_empty()
}

fn clean_title(title: &str) -> String {
    let t = title.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.trim_matches(|c: char| {
        matches!(c, '"' | '\'' | '“' | '”' | '*' | '#' | '`') || c.is_whitespace()
    });
    let t = t.trim_end_matches(['.', ',', ';', ':']).trim();
    title_case(&truncate_words(t, MAX_TITLE_WORDS))
}

/// A plausible emoji: non-empty, short, no letters or digits.
fn clean_emoji(emoji: &str) -> Option<String> {
    let e = emoji.trim();
    let plausible = !e.is_empty()
        && e.chars().count() <= 8
        && !e.chars().any(|c| c.is_alphanumeric() || c.is_whitespace());
    plausible.then(|| e.to_string())
}

fn clean_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clean_action_items(
    items: Vec<ExtractedActionItem>,
    input: &ConversationInput,
) -> Vec<ExtractedActionItem> {
    let mut out: Vec<ExtractedActionItem> = Vec::new();
    for item in items {
        let description = clean_text(&item.description);
        let description = description
            .trim_start_matches(['-', '*', '•', ' '])
            .trim_end_matches(['.', ' '])
            .to_string();
        if description.is_empty()
            || out
                .iter()
                .any(|o| o.description.eq_ignore_ascii_case(&description))
        {
            continue;
        }
        let due_at = item.due_at.filter(|d| *d >= input.started_at);
        out.push(ExtractedActionItem {
            description,
            due_at,
        });
    }
    out
}

fn clean_events(events: Vec<ExtractedEvent>, input: &ConversationInput) -> Vec<ExtractedEvent> {
    let mut out: Vec<ExtractedEvent> = Vec::new();
    for e in events {
        let title = clean_text(&e.title);
        if title.is_empty() || e.start < input.started_at {
            continue;
        }
        let duration_minutes = match e.duration_minutes {
            0 => DEFAULT_EVENT_MINUTES,
            d => d.min(MAX_EVENT_MINUTES),
        };
        let event = ExtractedEvent {
            title,
            description: clean_text(&e.description),
            start: e.start,
            duration_minutes,
        };
        if !out
            .iter()
            .any(|o| o.start == event.start && o.title.eq_ignore_ascii_case(&event.title))
        {
            out.push(event);
        }
    }
    out
}

fn clean_memories(memories: Vec<ExtractedMemory>) -> Vec<ExtractedMemory> {
    let mut out: Vec<ExtractedMemory> = Vec::new();
    for m in memories {
        let content = clean_text(&m.content);
        if content.is_empty()
            || word_count(&content) == 0
            || out.iter().any(|o| o.content.eq_ignore_ascii_case(&content))
        {
            continue;
        }
        let category = match m.category.trim().to_ascii_lowercase().as_str() {
            "interesting" | "learnings" => "interesting",
            _ => "system",
        };
        out.push(ExtractedMemory {
            content,
            category: category.to_string(),
        });
        if out.len() == MAX_MEMORIES {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).unwrap()
    }

    fn input() -> ConversationInput {
        ConversationInput::from_text(
            "some words here to analyze",
            crate::llm::TextSource::Message,
            at(10),
        )
    }

    fn analysis(title: &str) -> Analysis {
        Analysis {
            discarded: false,
            title: title.into(),
            overview: " An overview. ".into(),
            emoji: "🚀".into(),
            category: "Business".into(),
            action_items: vec![],
            events: vec![],
            memories: vec![],
            trends: vec![],
        }
    }

    #[test]
    fn titles_are_cleaned() {
        let a = normalize(
            analysis(
                "  \"the   launch plan for the new product and the team and more words here.\" ",
            ),
            &input(),
        );
        assert_eq!(a.title, "The Launch Plan for the New Product and the Team");
        assert_eq!(a.overview, "An overview.");
        assert_eq!(a.category, "business");
        assert_eq!(a.emoji, "🚀");
    }

    #[test]
    fn a_model_never_gets_a_nul_into_the_result() {
        let mut a = analysis("Launch\0 plan");
        a.overview = "An\0 overview.".into();
        a.action_items.push(ExtractedActionItem {
            description: "Send\0 the deck".into(),
            due_at: None,
        });
        a.memories.push(ExtractedMemory {
            content: "Likes\0 tea".into(),
            category: "interesting\0".into(),
        });
        let a = normalize(a, &input());
        assert_eq!(a.title, "Launch Plan");
        assert_eq!(a.overview, "An overview.");
        assert_eq!(a.action_items[0].description, "Send the deck");
        assert_eq!(a.memories[0].content, "Likes tea");
        assert_eq!(a.memories[0].category, "interesting");
    }

    #[test]
    fn empty_title_means_discarded() {
        let mut a = analysis("  ");
        a.action_items.push(ExtractedActionItem {
            description: "x".into(),
            due_at: None,
        });
        let a = normalize(a, &input());
        assert!(a.discarded);
        assert_eq!(a.title, "");
        assert_eq!(a.overview, "");
        assert_eq!(a.category, "other");
        assert!(a.action_items.is_empty());
        assert!(a.emoji == "🧠" || a.emoji == "🎉");
    }

    #[test]
    fn discarded_flag_wins_over_a_title_unless_forced() {
        let mut a = analysis("Something");
        a.discarded = true;
        assert!(normalize(a.clone(), &input()).discarded);
        let mut forced = input();
        forced.force = true;
        let kept = normalize(a, &forced);
        assert!(!kept.discarded);
        assert_eq!(kept.title, "Something");
    }

    #[test]
    fn long_transcripts_are_never_discarded() {
        let mut a = analysis("");
        a.discarded = true;
        let long = ConversationInput::from_text(
            "word ".repeat(101),
            crate::llm::TextSource::Message,
            at(10),
        );
        assert_eq!(normalize(a, &long).title, "An Overview");
    }

    #[test]
    fn forced_without_title_uses_hint_then_overview() {
        let mut forced = input();
        forced.force = true;
        forced.title_hint = Some("old title".into());
        assert_eq!(normalize(analysis(""), &forced).title, "Old Title");
        forced.title_hint = None;
        assert_eq!(normalize(analysis(""), &forced).title, "An Overview");
    }

    #[test]
    fn bad_category_and_emoji_are_replaced() {
        let mut a = analysis("Title");
        a.category = "cooking".into();
        a.emoji = "rocket".into();
        let a = normalize(a, &input());
        assert_eq!(a.category, "other");
        assert_eq!(a.emoji, category_emoji("other"));
    }

    #[test]
    fn items_events_memories_are_validated() {
        let mut a = analysis("Title");
        a.action_items = vec![
            ExtractedActionItem {
                description: "  Send the deck. ".into(),
                due_at: Some(at(9)),
            },
            ExtractedActionItem {
                description: "send the deck".into(),
                due_at: None,
            },
            ExtractedActionItem {
                description: "Call Tom".into(),
                due_at: Some(at(12)),
            },
            ExtractedActionItem {
                description: " ".into(),
                due_at: None,
            },
        ];
        a.events = vec![
            ExtractedEvent {
                title: "Past".into(),
                description: String::new(),
                start: at(8),
                duration_minutes: 30,
            },
            ExtractedEvent {
                title: "Long".into(),
                description: " d ".into(),
                start: at(15),
                duration_minutes: 600,
            },
            ExtractedEvent {
                title: "Zero".into(),
                description: String::new(),
                start: at(16),
                duration_minutes: 0,
            },
            ExtractedEvent {
                title: " ".into(),
                description: String::new(),
                start: at(16),
                duration_minutes: 10,
            },
        ];
        a.memories = (0..6)
            .map(|i| ExtractedMemory {
                content: format!("User fact {}", i % 5),
                category: "learnings".into(),
            })
            .chain([ExtractedMemory {
                content: "x".into(),
                category: "weird".into(),
            }])
            .collect();
        let a = normalize(a, &input());
        assert_eq!(a.action_items.len(), 2);
        assert_eq!(a.action_items[0].description, "Send the deck");
        assert_eq!(a.action_items[0].due_at, None, "past due date dropped");
        assert_eq!(a.action_items[1].due_at, Some(at(12)));
        let durations: Vec<(&str, u32)> = a
            .events
            .iter()
            .map(|e| (e.title.as_str(), e.duration_minutes))
            .collect();
        assert_eq!(durations, [("Long", 180), ("Zero", 30)]);
        assert_eq!(a.events[0].description, "d");
        assert_eq!(a.memories.len(), 4);
        assert!(a.memories.iter().all(|m| m.category == "interesting"));
    }
}

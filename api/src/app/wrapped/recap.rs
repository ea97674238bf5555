//! A year's recap computed from a user's log as it stood at an instant: the user's events up to then, folded with
//! the read models' own rules (statistics and conversations), counted, and handed to a writer for the written
//! sections. The generation reaction and `GET /v1/wrapped/{year}?as_of=` both go through here, so a recap
//! regenerated from the same log gives the same counted fields and, with the deterministic writer, the same
//! written sections.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use omi_domain::conversation::ConversationStatus;
use omi_domain::wrapped::{CategoryCount, WrappedResult, WrittenSections};
use omi_projections::conversations::{conversations_of, ConversationView};
use omi_projections::people::names_of;
use omi_projections::statistics::{contributions_of, day, Contributions};
use omi_services::llm::{YearConversation, YearInReview};
use omi_store::{read_user_until, Database, ReadError};

use super::phrases::phrases;

/// A user's log as it stood at an instant, folded.
pub struct YearLog {
    pub year: i32,
    contributions: Contributions,
    /// The year's completed, non-discarded conversations, oldest first.
    conversations: Vec<ConversationView>,
    /// The name of each of the user's people at the instant (deleted ones too), by id.
    names: HashMap<String, String>,
    /// Whether the user has anything in the year (a conversation, an action item or a memory).
    pub has_data: bool,
}

/// The first and last day numbers of `year`.
fn days_of(year: i32) -> (i64, i64) {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).map(day::day_number);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).map(day::day_number);
    (first.unwrap_or(0), last.unwrap_or(-1))
}

impl YearLog {
    /// Reads `uid`'s events recorded up to `as_of` and folds them for `year`.
    pub async fn read(
        database: &Database,
        uid: &str,
        year: i32,
        as_of: DateTime<Utc>,
    ) -> Result<YearLog, ReadError> {
        let events = read_user_until(database, uid, as_of).await?;
        let contributions = contributions_of(&events);
        let (first, last) = days_of(year);
        let within = |d: i64| (first..=last).contains(&d);
        let has_data = contributions.conversations.iter().any(|c| within(c.day))
            || contributions.action_items.iter().any(|(d, _)| within(*d))
            || contributions.memories.iter().any(|d| within(*d));
        let conversations = conversations_of(&events)
            .into_iter()
            .filter(|c| {
                c.status == ConversationStatus::Completed
                    && !c.discarded
                    && within(day::day_of(&c.created_at))
            })
            .collect();
        Ok(YearLog {
            year,
            contributions,
            conversations,
            names: names_of(&events),
            has_data,
        })
    }

    /// The counted fields, and what the writer of the written sections is given.
    pub fn count(&self) -> (Counted, YearInReview) {
        let (first, last) = days_of(self.year);
        let statistics = self.contributions.count(first, last);
        let total = &statistics.total;
        let mut breakdown: Vec<CategoryCount> = total
            .categories
            .iter()
            .map(|(category, count)| CategoryCount {
                category: category.clone(),
                count: *count,
            })
            .collect();
        breakdown.sort_by(|a, b| b.count.cmp(&a.count).then(a.category.cmp(&b.category)));
        let top_categories: Vec<String> = breakdown
            .iter()
            .take(5)
            .map(|c| c.category.clone())
            .collect();
        let created: Vec<&(i64, Option<i64>)> = self
            .contributions
            .action_items
            .iter()
            .filter(|(created, _)| (first..=last).contains(created))
            .collect();
        let total_action_items = created.len() as u64;
        let completed_action_items =
            created.iter().filter(|(_, done)| done.is_some()).count() as u64;
        let rate = if total_action_items == 0 {
            0.0
        } else {
            round_to(
                completed_action_items as f64 / total_action_items as f64,
                100.0,
            )
        };
        let (signature_phrase, top_phrases) = phrases(&self.conversations);
        let counted = Counted {
            total_conversations: total.conversations,
            days_active: statistics.days_with_conversations() as u64,
            total_time_hours: round_to(total.milliseconds_spoken as f64 / 3_600_000.0, 10.0),
            top_categories: top_categories.clone(),
            category_breakdown: breakdown,
            total_action_items,
            completed_action_items,
            action_items_completion_rate: rate,
            signature_phrase,
            top_phrases,
        };
        let review = YearInReview {
            year: self.year,
            conversations: self
                .conversations
                .iter()
                .map(|view| year_conversation(view, &self.names))
                .collect(),
            top_categories,
            action_items: total_action_items,
            completed_action_items,
        };
        (counted, review)
    }
}

fn round_to(value: f64, scale: f64) -> f64 {
    (value * scale).round() / scale
}

/// What the writer is given of a conversation; the people it names by id are given by their names (by id when
/// the log names no such person of the user's: a conversation imported before people were checked).
fn year_conversation(view: &ConversationView, names: &HashMap<String, String>) -> YearConversation {
    let segments = view.transcript_segments.as_deref().unwrap_or(&[]);
    let mut people: Vec<String> = Vec::new();
    let mut speakers: Vec<&str> = Vec::new();
    for segment in segments.iter().filter(|s| !s.is_user) {
        let speaker = match &segment.person_id {
            Some(person) => {
                let name = names.get(person).unwrap_or(person);
                if !people.contains(name) {
                    people.push(name.clone());
                }
                person.as_str()
            }
            None => segment.speaker.as_str(),
        };
        if !speakers.contains(&speaker) {
            speakers.push(speaker);
        }
    }
    let text = if segments.is_empty() {
        view.external_data
            .as_ref()
            .and_then(|data| data.get("text"))
            .and_then(|text| text.as_str())
            .unwrap_or_default()
            .to_string()
    } else {
        segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let items = &view.structured.action_items;
    YearConversation {
        date: day::date_of(day::day_of(&view.created_at)),
        title: view.structured.title.clone(),
        overview: view.structured.overview.clone(),
        category: view.structured.category.clone(),
        emoji: view.structured.emoji.clone(),
        action_items: items.len(),
        completed_action_items: items.iter().filter(|i| i.completed).count(),
        people,
        other_speakers: speakers.len(),
        text,
    }
}

/// The counted fields of a recap.
pub struct Counted {
    pub total_conversations: u64,
    pub days_active: u64,
    pub total_time_hours: f64,
    pub top_categories: Vec<String>,
    pub category_breakdown: Vec<CategoryCount>,
    pub total_action_items: u64,
    pub completed_action_items: u64,
    pub action_items_completion_rate: f64,
    pub signature_phrase: Option<omi_domain::wrapped::SignaturePhrase>,
    pub top_phrases: Vec<omi_domain::wrapped::Phrase>,
}

impl Counted {
    /// The recap: these counts and the written sections.
    pub fn with(self, written: WrittenSections) -> WrappedResult {
        WrappedResult {
            total_conversations: self.total_conversations,
            days_active: self.days_active,
            total_time_hours: self.total_time_hours,
            top_categories: self.top_categories,
            category_breakdown: self.category_breakdown,
            total_action_items: self.total_action_items,
            completed_action_items: self.completed_action_items,
            action_items_completion_rate: self.action_items_completion_rate,
            signature_phrase: self.signature_phrase,
            decision_style: written.decision_style,
            top_phrases: self.top_phrases,
            memorable_days: written.memorable_days,
            funniest_event: written.funniest_event,
            most_embarrassing_event: written.most_embarrassing_event,
            top_buddies: written.top_buddies,
            obsessions: written.obsessions,
            movie_recommendations: written.movie_recommendations,
            struggle: written.struggle,
            personal_win: written.personal_win,
        }
    }
}

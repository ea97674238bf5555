//! Writing the summary of one user's day: the counts come from the day's statistics, the action items and
//! places from the day's conversations, and the language model writes the rest from those conversations.

use chrono::{DateTime, NaiveDate, Utc};
use omi_domain::daily_summary::{
    DailySummaryContent, DayStats, Priority, SummaryActionItem, SummaryLocation,
};
use omi_projections::conversations::{self, ConversationView};
use omi_projections::statistics;
use omi_services::llm::{DayConversation, DayInput, LanguageModel, LlmError, TranscriptLine};
use omi_store::Database;

use crate::app::conversations::shapes::speaker_name;
use crate::error::{ApiError, ApiResult};

/// A written summary and how many conversations it covers.
pub struct Written {
    pub content: DailySummaryContent,
    pub conversations: usize,
}

/// The summary of `uid`'s `date`, or `None` when the day has no completed conversation.
pub async fn write_day(
    database: &Database,
    model: &dyn LanguageModel,
    uid: &str,
    date: NaiveDate,
) -> ApiResult<Option<Written>> {
    // The statistics' day rule, so the summary covers exactly the instants its counts were made of.
    let (start, end) = statistics::day::bounds(date);
    let found = conversations::created_between(database, uid, start, end).await?;
    if found.is_empty() {
        return Ok(None);
    }
    let counted = statistics::day(database, uid, date).await?.statistics;
    let stats = DayStats {
        total_conversations: saturate(counted.conversations),
        total_duration_minutes: saturate((counted.milliseconds_spoken + 30_000) / 60_000),
        action_items_count: saturate(counted.action_items_created),
    };
    let day = DayInput {
        date,
        conversations: found.iter().map(day_conversation).collect(),
        minutes_spoken: stats.total_duration_minutes,
    };
    let writing = model.write_daily_summary(&day).await.map_err(unavailable)?;
    let content = DailySummaryContent {
        headline: writing.headline,
        overview: writing.overview,
        day_emoji: writing.day_emoji,
        stats,
        highlights: writing.highlights,
        action_items: action_items(&found, end),
        unresolved_questions: writing.unresolved_questions,
        decisions_made: writing.decisions_made,
        knowledge_nuggets: writing.knowledge_nuggets,
        locations: locations(&found),
    };
    Ok(Some(Written {
        content,
        conversations: found.len(),
    }))
}

fn unavailable(error: LlmError) -> ApiError {
    ApiError::Unavailable(format!("The daily summary could not be written: {error}"))
}

/// How long a conversation lasted, in whole minutes (rounded): from its start to its end, else over its
/// transcript.
fn minutes(conversation: &ConversationView) -> u32 {
    let seconds = match (conversation.started_at, conversation.finished_at) {
        (Some(started), Some(finished)) if finished > started => {
            (finished - started).num_milliseconds() as f64 / 1000.0
        }
        _ => {
            let segments = conversation.transcript_segments.as_deref().unwrap_or(&[]);
            let first = segments
                .iter()
                .map(|s| s.start)
                .fold(f64::INFINITY, f64::min);
            let last = segments.iter().map(|s| s.end).fold(0.0, f64::max);
            if first.is_finite() && last > first {
                last - first
            } else {
                0.0
            }
        }
    };
    (seconds / 60.0).round().clamp(0.0, f64::from(u32::MAX)) as u32
}

fn day_conversation(conversation: &ConversationView) -> DayConversation {
    let segments = conversation.transcript_segments.as_deref().unwrap_or(&[]);
    DayConversation {
        id: conversation.id.clone(),
        title: conversation.structured.title.clone(),
        overview: conversation.structured.overview.clone(),
        category: conversation.structured.category.clone(),
        emoji: conversation.structured.emoji.clone(),
        minutes: minutes(conversation),
        lines: segments
            .iter()
            .map(|segment| TranscriptLine {
                speaker: speaker_name(segment),
                is_user: segment.is_user,
                text: segment.text.clone(),
                start: segment.start,
                end: segment.end,
            })
            .collect(),
    }
}

fn saturate(count: u64) -> u32 {
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The action items of the day's conversations, each with the conversation it came from.
fn action_items(found: &[ConversationView], day_ends_at: DateTime<Utc>) -> Vec<SummaryActionItem> {
    found
        .iter()
        .flat_map(|conversation| {
            conversation
                .structured
                .action_items
                .iter()
                .map(|item| SummaryActionItem {
                    description: item.description.clone(),
                    priority: Priority::of_item(&item.description, item.due_at, day_ends_at),
                    completed: item.completed,
                    source_conversation_id: Some(conversation.id.clone()),
                })
        })
        .collect()
}

/// Where the day's conversations took place, when they know.
fn locations(found: &[ConversationView]) -> Vec<SummaryLocation> {
    found
        .iter()
        .filter_map(|conversation| {
            let place = conversation.geolocation.as_ref()?;
            Some(SummaryLocation {
                name: None,
                address: place.address.clone(),
                latitude: place.latitude,
                longitude: place.longitude,
                conversation_id: Some(conversation.id.clone()),
                time: conversation.started_at.unwrap_or(conversation.created_at),
            })
        })
        .collect()
}

//! What the MCP REST API and the MCP tools share: reading the user's memories and conversations in MCP's
//! shapes, and creating a memory with its category detected.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use omi_domain::conversation::{ConversationStatus, TranscriptSegment, CATEGORIES};
use omi_domain::memory::MemoryCategory;
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use omi_projections::memories::MemoryView;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::key_auth::KeyHolder;
use crate::routes::memories::{self as memory_routes, detect_category, MemoryInput};
use crate::state::AppState;

/// How many characters of a locked memory lists show (spec §1.2).
const LOCKED_PREVIEW: usize = 70;
/// How many conversations one read looks at when categories filter the list.
const SCAN_PAGE: i64 = 200;

/// The memory categories named in `names` (case-insensitive); 400 for an unknown one.
pub fn memory_categories(names: &[String]) -> ApiResult<Vec<MemoryCategory>> {
    let mut categories = Vec::new();
    for name in names
        .iter()
        .flat_map(|n| n.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        let category = MemoryCategory::parse(&name.to_ascii_lowercase()).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid category: {name}. Valid categories: {}",
                MemoryCategory::ALL.map(|c| c.as_str()).join(", ")
            ))
        })?;
        if !categories.contains(&category) {
            categories.push(category);
        }
    }
    Ok(categories)
}

/// A memory as lists show it: locked content cut to a preview (spec §1.2).
pub fn list_form(mut memory: MemoryView) -> MemoryView {
    if memory.is_locked && memory.content.chars().count() > LOCKED_PREVIEW {
        memory.content = memory
            .content
            .chars()
            .take(LOCKED_PREVIEW)
            .collect::<String>()
            + "...";
    }
    memory
}

/// Creates a memory for the key's user from `input`: validated as the app's memories are, the category
/// detected whatever the input says, manually added (spec §7.5), the key the actor. Answers the stored memory.
pub async fn create_memory(
    state: &AppState,
    key: &KeyHolder,
    input: MemoryInput,
) -> ApiResult<MemoryView> {
    let mut problems = Vec::new();
    let Some(mut memory) = input
        .validate("body", &mut problems)
        .filter(|_| problems.is_empty())
    else {
        return Err(ApiError::Validation(problems));
    };
    memory.category = detect_category(&memory.content);
    memory_routes::create_all(state, &key.uid, &key.metadata(), vec![(memory, true)])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("the created memory was not read back".into()))
}

/// A memory input with only content.
pub fn content_only(content: String) -> MemoryInput {
    MemoryInput {
        content,
        category: None,
        visibility: None,
        tags: Vec::new(),
    }
}

/// Inclusive bounds on a conversation's `created_at`; a bare end date covers its whole day.
#[derive(Debug, Clone, Copy, Default)]
pub struct DayRange {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl DayRange {
    /// Reads `start_date` and `end_date` (YYYY-MM-DD or ISO-8601; empty means unbounded); 400 otherwise.
    pub fn parse(start: Option<&str>, end: Option<&str>) -> ApiResult<DayRange> {
        fn one(
            name: &str,
            text: Option<&str>,
            end_of_day: bool,
        ) -> ApiResult<Option<DateTime<Utc>>> {
            let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
                return Ok(None);
            };
            if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                let midnight = day.and_hms_opt(0, 0, 0).map(|at| at.and_utc());
                return Ok(if end_of_day {
                    midnight.map(|at| at + Duration::days(1) - Duration::microseconds(1))
                } else {
                    midnight
                });
            }
            crate::time_input::parse(text).map(Some).ok_or_else(|| {
                ApiError::BadRequest(format!("Invalid {name} {text:?}: use YYYY-MM-DD"))
            })
        }
        let range = DayRange {
            start: one("start_date", start, false)?,
            end: one("end_date", end, true)?,
        };
        if let (Some(start), Some(end)) = (range.start, range.end) {
            if start > end {
                return Err(ApiError::BadRequest(
                    "start_date must not be after end_date".into(),
                ));
            }
        }
        Ok(range)
    }
}

/// The known conversation categories among `names` (csv allowed, case-insensitive); unknown names are
/// dropped, as the reference does.
pub fn conversation_categories(names: &[String]) -> Vec<String> {
    let mut categories = Vec::new();
    for name in names
        .iter()
        .flat_map(|n| n.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
    {
        if CATEGORIES.contains(&name.as_str()) && !categories.contains(&name) {
            categories.push(name);
        }
    }
    categories
}

/// A page of the user's completed, kept (not discarded), unlocked conversations, newest first, in list form,
/// optionally only some categories.
pub async fn completed_conversations(
    state: &AppState,
    uid: &str,
    range: DayRange,
    categories: &[String],
    limit: i64,
    offset: i64,
) -> ApiResult<Vec<ConversationView>> {
    let filter = ConversationFilter {
        statuses: vec![ConversationStatus::Completed],
        include_discarded: false,
        start: range.start,
        end: range.end,
        ..ConversationFilter::default()
    };
    let wanted = |view: &ConversationView| {
        // MCP lists drop locked conversations (spec §1.2).
        !view.is_locked && (categories.is_empty() || categories.contains(&view.structured.category))
    };
    // The category is not a column of the read model: walk the list and filter, in pages.
    let mut found = Vec::new();
    let mut skipped = 0;
    let mut from = 0;
    loop {
        let rows = conversations::list(&state.database, uid, &filter, SCAN_PAGE, from).await?;
        let done = (rows.len() as i64) < SCAN_PAGE;
        from += rows.len() as i64;
        for view in rows.into_iter().filter(|v| wanted(v)) {
            if skipped < offset {
                skipped += 1;
            } else if (found.len() as i64) < limit {
                found.push(view);
            }
        }
        if done || found.len() as i64 >= limit {
            return Ok(found);
        }
    }
}

/// `Speaker N`, or `User` for the account owner (spec §2.4; there are no people records yet).
fn speaker_name(segment: &TranscriptSegment) -> String {
    if segment.is_user {
        "User".to_string()
    } else {
        format!("Speaker {}", segment.speaker_id)
    }
}

/// The transcript in MCP's shape.
pub fn segments(view: &ConversationView) -> Vec<Value> {
    view.transcript_segments
        .iter()
        .flatten()
        .map(|segment| {
            json!({
                "id": segment.id,
                "text": segment.text,
                "speaker": segment.speaker,
                "speaker_id": segment.speaker_id,
                "speaker_name": speaker_name(segment),
                "is_user": segment.is_user,
                "start": segment.start,
                "end": segment.end,
            })
        })
        .collect()
}

fn as_json(view: &ConversationView) -> Value {
    serde_json::to_value(view).unwrap_or_default()
}

/// The REST list shape: `{id, started_at, finished_at, structured{title, overview, category}, language}`.
pub fn rest_summary(view: &ConversationView) -> Value {
    let full = as_json(view);
    json!({
        "id": view.id,
        "created_at": full["created_at"],
        "started_at": full["started_at"],
        "finished_at": full["finished_at"],
        "structured": {
            "title": view.structured.title,
            "overview": view.structured.overview,
            "category": view.structured.category,
        },
        "language": view.language,
    })
}

/// The REST detail shape: the list shape and the transcript.
pub fn rest_detail(view: &ConversationView) -> Value {
    let mut value = rest_summary(view);
    value["transcript_segments"] = json!(segments(view));
    value
}

/// The tool list shape: `{id, started_at, finished_at, structured, language}` with the whole structured
/// summary (action items and events emptied when locked).
pub fn tool_summary(view: &ConversationView) -> Value {
    let full = as_json(view);
    let mut structured = full["structured"].clone();
    if view.is_locked {
        structured["action_items"] = json!([]);
        structured["events"] = json!([]);
    }
    json!({
        "id": view.id,
        "created_at": full["created_at"],
        "started_at": full["started_at"],
        "finished_at": full["finished_at"],
        "structured": structured,
        "language": view.language,
    })
}

/// The tool detail shape: the list shape with the status, source and transcript.
pub fn tool_detail(view: &ConversationView) -> Value {
    let mut value = tool_summary(view);
    value["status"] = json!(view.status);
    value["source"] = json!(view.source);
    value["discarded"] = json!(view.discarded);
    value["transcript_segments"] = json!(segments(view));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_person_memories_are_about_the_user() {
        assert_eq!(detect_category("I like hiking"), MemoryCategory::System);
        assert_eq!(
            detect_category("User’s sister lives in Lyon"),
            MemoryCategory::System
        );
        assert_eq!(
            detect_category("My dog is called Rex"),
            MemoryCategory::System
        );
        assert_eq!(
            detect_category("Octopuses have three hearts"),
            MemoryCategory::Interesting
        );
        assert_eq!(
            detect_category("Improve sleep by avoiding screens (Dr. Lee)"),
            MemoryCategory::Interesting
        );
    }

    #[test]
    fn a_bare_end_date_covers_its_day() {
        let range = DayRange::parse(Some("2026-03-01"), Some("2026-03-01")).unwrap();
        assert_eq!(
            range.start.unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            range.end.unwrap().to_rfc3339(),
            "2026-03-01T23:59:59.999999+00:00"
        );
        assert!(DayRange::parse(Some("yesterday"), None).is_err());
        assert!(DayRange::parse(Some("2026-03-02"), Some("2026-03-01")).is_err());
    }
}

//! The lists that outside readers (the developer API, MCP) get: completed, kept (not discarded), unlocked
//! conversations, newest first, by day range and category.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use omi_domain::conversation::{ConversationStatus, CATEGORIES};
use omi_projections::conversations::{self, ConversationFilter, ConversationView};

use crate::app::Page;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many conversations one read looks at when categories filter the list.
const SCAN_PAGE: i64 = 200;

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

/// The category names among `names` (each may be a csv; any case) that the spec knows, unknown ones dropped,
/// as the reference's MCP does.
pub fn categories_known<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut categories = Vec::new();
    for name in split(names) {
        if CATEGORIES.contains(&name.as_str()) && !categories.contains(&name) {
            categories.push(name);
        }
    }
    categories
}

/// The category names of `names` (each may be a csv; any case); 400 naming an unknown one, as the developer
/// API does.
pub fn categories_strict<'a>(names: impl IntoIterator<Item = &'a str>) -> ApiResult<Vec<String>> {
    let mut categories = Vec::new();
    for name in split(names) {
        if !CATEGORIES.contains(&name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "Invalid category: {name}; known: {}",
                CATEGORIES.join(", ")
            )));
        }
        if !categories.contains(&name) {
            categories.push(name);
        }
    }
    Ok(categories)
}

fn split<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names
        .into_iter()
        .flat_map(|names| names.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect()
}

/// Which completed conversations a list shows.
#[derive(Debug, Default)]
pub struct Completed {
    pub range: DayRange,
    /// Empty: every category.
    pub categories: Vec<String>,
    /// Only the conversations in this folder.
    pub folder_id: Option<String>,
}

/// A page of the user's completed, kept, unlocked conversations, newest first. The read model has no category
/// column, so a category filter walks the list in batches and pages over the matches.
pub async fn completed(
    state: &AppState,
    uid: &str,
    query: &Completed,
    page: Page,
) -> ApiResult<Vec<ConversationView>> {
    let filter = ConversationFilter {
        statuses: vec![ConversationStatus::Completed],
        include_discarded: false,
        start: query.range.start,
        end: query.range.end,
        folder_id: query.folder_id.clone(),
        ..ConversationFilter::default()
    };
    let wanted = |view: &ConversationView| {
        !view.is_locked
            && (query.categories.is_empty() || query.categories.contains(&view.structured.category))
    };
    let mut found = Vec::new();
    let mut skipped = 0;
    let mut from = 0;
    loop {
        let rows = conversations::list(&state.database, uid, &filter, SCAN_PAGE, from).await?;
        let done = (rows.len() as i64) < SCAN_PAGE;
        from += rows.len() as i64;
        for view in rows.into_iter().filter(|view| wanted(view)) {
            if skipped < page.offset {
                skipped += 1;
            } else if (found.len() as i64) < page.limit {
                found.push(view);
            }
        }
        if done || found.len() as i64 >= page.limit {
            return Ok(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_end_date_covers_its_day() {
        let range = DayRange::parse(Some("2026-01-02"), Some("2026-01-02")).unwrap();
        assert_eq!(
            range.start.unwrap().to_rfc3339(),
            "2026-01-02T00:00:00+00:00"
        );
        assert_eq!(
            range.end.unwrap().to_rfc3339(),
            "2026-01-02T23:59:59.999999+00:00"
        );
        assert!(DayRange::parse(Some("2026-01-03"), Some("2026-01-02")).is_err());
        assert!(DayRange::parse(Some("tomorrow"), None).is_err());
    }

    #[test]
    fn unknown_categories_are_dropped_or_refused() {
        assert_eq!(categories_known(["Work,bogus", "work"]), ["work"]);
        assert_eq!(
            categories_strict(["Work, personal,work,"]).unwrap(),
            ["work", "personal"]
        );
        assert!(categories_strict(None).unwrap().is_empty());
        assert!(matches!(
            categories_strict(["work,bogus"]),
            Err(ApiError::BadRequest(message)) if message.contains("bogus")
        ));
    }
}

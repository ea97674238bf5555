//! Daily summaries (spec §2.12, §7.10) and their settings: what every door may ask — the settings, a summary
//! written now, the list, one summary, sharing, deleting, regenerating (once per 30 s), the public subset of a
//! shared one — and the schedule's work (`schedule`). Another user's summary answers 404 as if it did not exist.

pub mod schedule;
mod writing;

use chrono::NaiveDate;
use omi_domain::daily_summary::{
    summary_id, DailySummary, DailySummaryCommand, DayStats, Decision, Highlight, KnowledgeNugget,
    SummaryActionItem, SummaryVisibility, Trigger, REGENERATE_TOO_SOON,
};
use omi_domain::daily_summary_settings::{
    DailySummarySettings, DailySummarySettingsCommand, MAX_HOUR,
};
use omi_domain::user::local_time;
use omi_projections::daily_summaries::{self, DailySummaryView, SettingsView};
use omi_projections::users;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Caller, Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub use writing::{write_day, Written};

/// The app's list (spec §7.10: 30 by default, at most 100); the developer API and MCP page the same way.
pub const PAGE: PageRule = PageRule::new(30, 100);

/// A change of settings: absent fields are left alone.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct SettingsUpdate {
    /// Whether the daily summary is written.
    pub enabled: Option<bool>,
    /// The local hour (0-23) it is written at.
    pub hour: Option<i64>,
}

/// What writing a summary now answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Generated {
    /// `success`.
    pub status: String,
    pub message: String,
    pub summary_id: String,
    /// How many conversations the summary covers.
    pub conversations_count: usize,
}

/// The part of a shared summary anyone with its id may read (spec §7.10).
#[derive(Debug, Serialize, JsonSchema)]
pub struct SharedDailySummary {
    pub id: String,
    pub date: NaiveDate,
    pub headline: String,
    pub overview: String,
    pub day_emoji: String,
    pub stats: DayStats,
    pub highlights: Vec<Highlight>,
    pub action_items: Vec<SummaryActionItem>,
    pub decisions_made: Vec<Decision>,
    pub knowledge_nuggets: Vec<KnowledgeNugget>,
}

impl From<DailySummaryView> for SharedDailySummary {
    fn from(view: DailySummaryView) -> Self {
        Self {
            id: view.id,
            date: view.date,
            headline: view.headline,
            overview: view.overview,
            day_emoji: view.day_emoji,
            stats: view.stats,
            highlights: view.highlights,
            action_items: view.action_items,
            decisions_made: view.decisions_made,
            knowledge_nuggets: view.knowledge_nuggets,
        }
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("Daily summary not found".into())
}

/// The user's settings (the defaults until they change them).
pub async fn settings(state: &AppState, uid: &str) -> ApiResult<SettingsView> {
    Ok(daily_summaries::settings_of(&state.database, uid).await?)
}

/// Changes the user's settings; an hour outside 0-23 is 400.
pub async fn change_settings(
    state: &AppState,
    caller: &Caller,
    update: SettingsUpdate,
) -> ApiResult<SettingsView> {
    let hour = match update.hour {
        Some(hour) if !(0..=i64::from(MAX_HOUR)).contains(&hour) => {
            return Err(ApiError::BadRequest(format!(
                "hour must be between 0 and {MAX_HOUR}"
            )))
        }
        hour => hour.map(|hour| hour as u32),
    };
    let command = DailySummarySettingsCommand::ChangeDailySummarySettings {
        uid: caller.uid.clone(),
        enabled: update.enabled,
        hour,
        at: state.clock.now(),
    };
    state
        .execute::<DailySummarySettings>(&caller.uid, command, &caller.metadata)
        .await?;
    settings(state, &caller.uid).await
}

/// A `YYYY-MM-DD` date (a year of four digits, a day the month has), or 400. chrono's `%Y` alone would also
/// take signed years of any length (`+262142-12-31`, `-5000-01-01`), whose day has no end the clock can name.
pub fn parse_date(value: &str) -> ApiResult<NaiveDate> {
    let value = value.trim();
    let shaped = value.len() == 10
        && value.bytes().enumerate().all(|(at, byte)| match at {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ApiError::BadRequest("Invalid date format; use YYYY-MM-DD".into()))
}

/// Writes the summary of `date` (the user's local today, in their profile's time zone, when absent) now, again if it exists. 400 for a bad date or a day
/// without conversations. The push notification of the reference is not sent: there are no push tokens yet
/// (they come with notifications), so nothing is refused for lack of one.
pub async fn generate_now(
    state: &AppState,
    caller: &Caller,
    date: Option<&str>,
) -> ApiResult<Generated> {
    let date = match date {
        Some(value) => parse_date(value)?,
        None => {
            let profile = users::user_of(&state.database, &caller.uid).await?.profile;
            local_time(profile.time_zone.as_deref(), state.clock.now()).date()
        }
    };
    let written = write_day(&state.database, state.model.as_ref(), &caller.uid, date)
        .await?
        .ok_or_else(|| ApiError::BadRequest(format!("No conversations found for {date}")))?;
    let id = summary_id(&caller.uid, date);
    let command = DailySummaryCommand::GenerateDailySummary {
        uid: caller.uid.clone(),
        date,
        content: written.content,
        trigger: Trigger::OnDemand,
        at: state.clock.now(),
    };
    state
        .execute::<DailySummary>(&id, command, &caller.metadata)
        .await?;
    Ok(Generated {
        status: "success".into(),
        message: format!("Daily summary generated for {date}"),
        summary_id: id,
        conversations_count: written.conversations,
    })
}

/// A page of the user's summaries, newest day first.
pub async fn list(state: &AppState, uid: &str, page: Page) -> ApiResult<Vec<DailySummaryView>> {
    Ok(daily_summaries::list(&state.database, uid, page.limit, page.offset).await?)
}

/// The user's summary, or 404.
pub async fn read(state: &AppState, uid: &str, id: &str) -> ApiResult<DailySummaryView> {
    daily_summaries::get(&state.database, uid, id)
        .await?
        .ok_or_else(not_found)
}

/// A summary its owner shared, for anyone; 404 unless it is shared.
pub async fn read_shared(state: &AppState, id: &str) -> ApiResult<SharedDailySummary> {
    daily_summaries::shared(&state.database, id)
        .await?
        .map(SharedDailySummary::from)
        .ok_or_else(not_found)
}

/// Deletes the user's summary, or 404.
pub async fn delete(state: &AppState, caller: &Caller, id: &str) -> ApiResult<()> {
    read(state, &caller.uid, id).await?;
    let command = DailySummaryCommand::DeleteDailySummary {
        uid: caller.uid.clone(),
        at: state.clock.now(),
    };
    state
        .execute::<DailySummary>(id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// Shares the user's summary (`shared`) or makes it private (`private`); another value is 400.
pub async fn change_visibility(
    state: &AppState,
    caller: &Caller,
    id: &str,
    value: &str,
) -> ApiResult<DailySummaryView> {
    let visibility = SummaryVisibility::parse(value.trim()).ok_or_else(|| {
        ApiError::BadRequest("Invalid visibility value; use shared or private".into())
    })?;
    read(state, &caller.uid, id).await?;
    let command = DailySummaryCommand::ChangeDailySummaryVisibility {
        uid: caller.uid.clone(),
        visibility,
        at: state.clock.now(),
    };
    state
        .execute::<DailySummary>(id, command, &caller.metadata)
        .await?;
    read(state, &caller.uid, id).await
}

/// Writes the user's summary again from its day as it stands, at most once per 30 s (429 with the seconds
/// left); 404 when it is not theirs, 400 when its day has no conversation left.
pub async fn regenerate(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> ApiResult<DailySummaryView> {
    let current = read(state, &caller.uid, id).await?;
    let written_at = current.regenerated_at.unwrap_or(current.created_at);
    let left = DailySummary::cooldown_left(written_at, state.clock.now());
    if left > 0 {
        return Err(too_soon(left));
    }
    let written = write_day(
        &state.database,
        state.model.as_ref(),
        &caller.uid,
        current.date,
    )
    .await?
    .ok_or_else(|| ApiError::BadRequest(format!("No conversations found for {}", current.date)))?;
    let command = DailySummaryCommand::RegenerateDailySummary {
        uid: caller.uid.clone(),
        content: written.content,
        at: state.clock.now(),
    };
    match state
        .execute::<DailySummary>(id, command, &caller.metadata)
        .await
    {
        // Another request regenerated it between the check and the append.
        Err(ApiError::Conflict(message)) if message == REGENERATE_TOO_SOON => {
            return Err(too_soon(1))
        }
        other => other?,
    };
    read(state, &caller.uid, id).await
}

fn too_soon(seconds_left: i64) -> ApiError {
    ApiError::TooManyRequests(format!(
        "Daily summary was regenerated recently; try again in {seconds_left} s"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_four_digits_of_year_a_month_and_a_day_it_has() {
        assert_eq!(
            parse_date(" 2026-12-07 ").unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        for refused in [
            "2026-02-30",
            "+262142-12-31",
            "-5000-01-01",
            "262142-12-31",
            "2026-1-07",
            "2026-12-07T00:00:00Z",
            "",
        ] {
            assert!(parse_date(refused).is_err(), "{refused}");
        }
    }
}

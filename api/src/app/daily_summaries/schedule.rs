//! The daily schedule's work: which users' days are due now, and writing one of them. A day is due for a user
//! with a completed conversation that day whose summaries are enabled, once the hour they chose has come (UTC
//! until users have a time zone), until it is written. Writing is at most once per user and day: the summary's
//! stream id comes from both, and a scheduled write finds a stream that exists and records nothing — also when
//! another process or an earlier run of this one wrote it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use omi_commands::{Actor, CommandBus, Metadata};
use omi_domain::daily_summary::{summary_id, DailySummary, DailySummaryCommand, Trigger};
use omi_projections::conversations;
use omi_projections::daily_summaries::{self, SettingsView};
use omi_services::llm::LanguageModel;
use omi_store::Database;

use super::writing::write_day;
use crate::error::ApiResult;

/// The users whose summary of today (`now`'s UTC day) is due at `now`.
pub async fn due(database: &Database, now: DateTime<Utc>) -> ApiResult<Vec<(String, NaiveDate)>> {
    let date = now.date_naive();
    let settings: HashMap<String, SettingsView> = daily_summaries::changed_settings(database)
        .await?
        .into_iter()
        .collect();
    // Before the earliest hour anyone has, nobody is due: the day's conversations are not even looked up.
    let earliest = settings
        .values()
        .filter(|chosen| chosen.enabled)
        .map(|chosen| chosen.hour)
        .chain([SettingsView::default().hour])
        .min()
        .unwrap_or_default();
    if now.hour() < earliest {
        return Ok(Vec::new());
    }
    let (start, end) = omi_projections::statistics::day::bounds(date);
    let users =
        conversations::users_with_conversations_between(database, start, end.min(now)).await?;
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let written: HashSet<String> = daily_summaries::written_on(database, date)
        .await?
        .into_iter()
        .collect();
    Ok(users
        .into_iter()
        .filter(|uid| {
            let chosen = settings.get(uid).copied().unwrap_or_default();
            chosen.enabled && now.hour() >= chosen.hour && !written.contains(uid)
        })
        .map(|uid| (uid, date))
        .collect())
}

/// Writes `uid`'s summary of `date` unless it was written before; true when this call recorded it.
pub async fn generate(
    database: &Database,
    commands: &CommandBus,
    model: &dyn LanguageModel,
    uid: &str,
    date: NaiveDate,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let Some(written) = write_day(database, model, uid, date).await? else {
        return Ok(false);
    };
    let command = DailySummaryCommand::GenerateDailySummary {
        uid: uid.to_string(),
        date,
        content: written.content,
        trigger: Trigger::Scheduled,
        at: now,
    };
    let metadata = Metadata::new(uid, Actor::System, format!("daily-summary:{date}"));
    let appended = commands
        .execute::<DailySummary>(&summary_id(uid, date), command, &metadata)
        .await?;
    Ok(!appended.events.is_empty())
}

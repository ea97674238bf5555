//! The daily schedule's work: which users' days are due now, and writing one of them. A day is due for a user
//! with a completed conversation that day whose summaries are enabled, once the hour they chose has come on
//! their wall clock (in their profile's time zone, UTC without one), until it is written. The day is the user's
//! local date at that hour; its content counts the statistics' day of that date. Writing is at most once per
//! user and day: the summary's stream id comes from both, and a scheduled write finds a stream that exists and
//! records nothing — also when another process or an earlier run of this one wrote it.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use omi_commands::{Actor, CommandBus, Metadata};
use omi_domain::daily_summary::{summary_id, DailySummary, DailySummaryCommand, Trigger};
use omi_domain::user::local_time;
use omi_projections::daily_summaries::{self, SettingsView};
use omi_projections::{conversations, users};
use omi_services::llm::LanguageModel;
use omi_store::Database;

use super::writing::write_day;
use crate::error::ApiResult;

/// The users whose summary of their local today is due at `now`, each with that date.
pub async fn due(database: &Database, now: DateTime<Utc>) -> ApiResult<Vec<(String, NaiveDate)>> {
    let settings: HashMap<String, SettingsView> = daily_summaries::changed_settings(database)
        .await?
        .into_iter()
        .collect();
    let zones: HashMap<String, String> = users::time_zones(database).await?.into_iter().collect();
    let today = now.date_naive();
    // Without time zones every user is on UTC's date; with them, a user may be a day behind or ahead.
    let dates: Vec<NaiveDate> = if zones.is_empty() {
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
        vec![today]
    } else {
        [today.pred_opt(), Some(today), today.succ_opt()]
            .into_iter()
            .flatten()
            .collect()
    };
    let mut due = Vec::new();
    for date in dates {
        let (start, end) = omi_projections::statistics::day::bounds(date);
        if start > now {
            continue;
        }
        let users =
            conversations::users_with_conversations_between(database, start, end.min(now)).await?;
        if users.is_empty() {
            continue;
        }
        let written: HashSet<String> = daily_summaries::written_on(database, date)
            .await?
            .into_iter()
            .collect();
        for uid in users {
            let local = local_time(zones.get(&uid).map(String::as_str), now);
            let chosen = settings.get(&uid).copied().unwrap_or_default();
            if local.date() == date
                && chosen.enabled
                && local.hour() >= chosen.hour
                && !written.contains(&uid)
            {
                due.push((uid, date));
            }
        }
    }
    Ok(due)
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

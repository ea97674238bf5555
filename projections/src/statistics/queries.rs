//! Reads of the statistics read models: a day, or a range of days, of one user.

use chrono::{DateTime, NaiveDate};
use omi_store::Database;
use sqlx::Row;

use super::counts::{Contributions, DayStatistics, RangeStatistics};
use super::day::{bounds, day_number, day_of};
use super::tally::ConversationContribution;
use crate::runtime::ProjectionError;
use crate::time::micros;

/// The user's statistics of `date`.
pub async fn day(
    database: &Database,
    uid: &str,
    date: NaiveDate,
) -> Result<DayStatistics, ProjectionError> {
    let range = range(database, uid, date, date).await?;
    Ok(range.days.into_iter().next().unwrap_or(DayStatistics {
        date,
        statistics: Default::default(),
    }))
}

/// The user's statistics of the days `from..=to` (empty when `to` is before `from`).
pub async fn range(
    database: &Database,
    uid: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<RangeStatistics, ProjectionError> {
    let (first, last) = (day_number(from), day_number(to));
    let pool = database.pool();
    let mut contributions = Contributions::default();
    let rows = sqlx::query(
        "SELECT day, milliseconds, words, category, people, speakers FROM statistics_conversations
         WHERE uid = $1 AND day >= $2 AND day <= $3 AND counted = $4",
    )
    .bind(uid)
    .bind(first)
    .bind(last)
    .bind(true)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let people: String = row.try_get(4)?;
        contributions.conversations.push(ConversationContribution {
            day: row.try_get(0)?,
            counted: true,
            milliseconds: row.try_get(1)?,
            words: row.try_get(2)?,
            category: row.try_get(3)?,
            people: people
                .split('\n')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            speakers: row.try_get(5)?,
        });
    }
    // Action items and memories contribute through their own read models' rows (their times in microseconds),
    // read within the instants the days span.
    let (start, _) = bounds(from);
    let (_, end) = bounds(to);
    let (start, end) = (micros(&start), micros(&end));
    let rows = sqlx::query(
        "SELECT created_at, completed_at FROM action_items
         WHERE uid = $1 AND ((created_at >= $2 AND created_at < $3)
                             OR (completed_at >= $2 AND completed_at < $3))",
    )
    .bind(uid)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    for row in rows {
        let completed: Option<i64> = row.try_get(1)?;
        contributions
            .action_items
            .push((day_of_micros(row.try_get(0)?), completed.map(day_of_micros)));
    }
    let rows = sqlx::query(
        "SELECT created_at FROM memories WHERE uid = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(uid)
    .bind(start)
    .bind(end)
    .fetch_all(pool)
    .await?;
    for row in rows {
        contributions.memories.push(day_of_micros(row.try_get(0)?));
    }
    Ok(contributions.count(first, last))
}

/// The day of a time stored in microseconds (a value out of chrono's range, which no stored time is, counts on
/// the epoch's day).
fn day_of_micros(at: i64) -> i64 {
    DateTime::from_timestamp_micros(at).map_or(0, |at| day_of(&at))
}

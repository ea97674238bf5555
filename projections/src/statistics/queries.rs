//! Reads of the statistics read models: a day, or a range of days, of one user.

use chrono::NaiveDate;
use omi_store::Database;
use sqlx::Row;

use super::counts::{Contributions, DayStatistics, RangeStatistics};
use super::day::day_number;
use super::tally::ConversationContribution;
use crate::runtime::ProjectionError;

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
    let rows = sqlx::query(
        "SELECT created_day, completed_day FROM statistics_action_items
         WHERE uid = $1 AND ((created_day >= $2 AND created_day <= $3)
                             OR (completed_day >= $2 AND completed_day <= $3))",
    )
    .bind(uid)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    for row in rows {
        contributions
            .action_items
            .push((row.try_get(0)?, row.try_get(1)?));
    }
    let rows = sqlx::query(
        "SELECT day FROM statistics_memories WHERE uid = $1 AND day >= $2 AND day <= $3",
    )
    .bind(uid)
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?;
    for row in rows {
        contributions.memories.push(row.try_get(0)?);
    }
    Ok(contributions.count(first, last))
}

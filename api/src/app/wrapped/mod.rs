//! Wrapped, the yearly recap (spec §7.12): asking for generation, reading a wrapped, and computing one from the
//! log as it stood at an instant. Beyond the reference (2025 only), any year in which the user has data can be
//! generated; the written sections come from the configured language model (or the deterministic writer) when
//! the generation reaction runs, and from the deterministic writer for `?as_of=` reads, which never call a model.

mod phrases;
pub mod recap;

use chrono::{DateTime, Datelike, Utc};
use omi_domain::wrapped::{stream_id, Wrapped, WrappedCommand, WrappedStatus};
use omi_projections::wrapped::{self as read_model, WrappedView};
use omi_services::llm::Extractive;
use schemars::JsonSchema;
use serde::Serialize;

use super::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;
use recap::YearLog;

/// The earliest year a recap can be asked for.
const FIRST_YEAR: i32 = 2000;

/// What `POST /v1/wrapped/{year}/generate` answers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GenerateAnswer {
    /// `processing` once started or while running, `done` when already generated.
    pub status: WrappedStatus,
    pub message: String,
}

/// The year of the path: a number from 2000 to the current year, else 400.
pub fn year(raw: &str) -> ApiResult<i32> {
    let latest = now().year();
    match raw.trim().parse::<i32>() {
        Ok(year) if (FIRST_YEAR..=latest).contains(&year) => Ok(year),
        _ => Err(ApiError::BadRequest(format!(
            "Wrapped is available for the years {FIRST_YEAR} to {latest}"
        ))),
    }
}

fn no_data(year: i32) -> ApiError {
    ApiError::BadRequest(format!(
        "No conversations, action items or memories in {year}"
    ))
}

/// Whether the user has a conversation, an action item or a memory in `year` now (the statistics read models).
async fn has_data(state: &AppState, uid: &str, year: i32) -> ApiResult<bool> {
    let (Some(from), Some(to)) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Ok(false);
    };
    let statistics = omi_projections::statistics::range(&state.database, uid, from, to).await?;
    Ok(!statistics.days.is_empty())
}

/// 400 unless the user has a conversation, an action item or a memory in `year` (checked before a request is
/// counted against the daily limit, so a refused year costs none of it).
pub async fn ensure_data(state: &AppState, uid: &str, year: i32) -> ApiResult<()> {
    if has_data(state, uid, year).await? {
        Ok(())
    } else {
        Err(no_data(year))
    }
}

/// Asks for the user's wrapped of `year`: started when never generated or failed (or stuck, spec §7.12), else
/// what it is doing; 400 for a year without data.
pub async fn generate(state: &AppState, caller: &Caller, year: i32) -> ApiResult<GenerateAnswer> {
    ensure_data(state, &caller.uid, year).await?;
    let command = WrappedCommand::RequestWrapped {
        uid: caller.uid.clone(),
        year,
        as_of: now(),
    };
    let appended = state
        .execute::<Wrapped>(&stream_id(&caller.uid, year), command, &caller.metadata)
        .await?;
    if !appended.events.is_empty() {
        return Ok(GenerateAnswer {
            status: WrappedStatus::Processing,
            message: "Wrapped generation started".into(),
        });
    }
    // The aggregate appends nothing only when the recap is done or a run is alive. The read model may not show
    // yet the request a concurrent caller just appended (read-your-writes covers one's own writes only), so its
    // `not_generated` or an earlier `failed` means that run: processing.
    let view = read(state, &caller.uid, year).await?;
    let (status, message) = match view.status {
        WrappedStatus::Done => (WrappedStatus::Done, "Wrapped already generated"),
        _ => (
            WrappedStatus::Processing,
            "Wrapped generation already in progress",
        ),
    };
    Ok(GenerateAnswer {
        status,
        message: message.into(),
    })
}

/// The user's wrapped of `year` as the read model shows it (`not_generated` when never asked for, 400 when the
/// year has no data either).
pub async fn read(state: &AppState, uid: &str, year: i32) -> ApiResult<WrappedView> {
    match read_model::get(&state.database, uid, year).await? {
        Some(view) => Ok(view),
        None if has_data(state, uid, year).await? => Ok(WrappedView::not_generated(year)),
        None => Err(no_data(year)),
    }
}

/// The user's wrapped of `year` computed from the log as it stood at `as_of` (400 when the year had no data
/// then). The written sections are the deterministic writer's. No event is recorded before the Unix epoch or
/// after now, so the instant is read within those bounds, which every store can compare with (PostgreSQL's
/// timestamps end at 4713 BC, chrono's reach 262143 BC).
pub async fn as_of(
    state: &AppState,
    uid: &str,
    year: i32,
    as_of: DateTime<Utc>,
) -> ApiResult<WrappedView> {
    let as_of = as_of.clamp(DateTime::UNIX_EPOCH, now());
    let log = YearLog::read(&state.database, uid, year, as_of)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if !log.has_data {
        return Err(no_data(year));
    }
    let (counted, review) = log.count();
    let result = counted.with(Extractive.write_wrapped_sync(&review));
    Ok(WrappedView {
        status: WrappedStatus::Done,
        result: Some(result),
        ..WrappedView::not_generated(year)
    })
}

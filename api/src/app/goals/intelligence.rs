//! Goals with a language model (spec §7.14): a suggested goal from the user's memories and conversations,
//! advice on a goal (or on the current one), and progress read from a text — recorded as progress on the
//! current goal when it gives a new value. The model is the configured one: the offline rules by default.

use omi_domain::conversation::ConversationStatus;
use omi_domain::goal::GoalType;
use omi_projections::conversations::{self, ConversationFilter};
use omi_projections::goals::{self as goal_reads, GoalView};
use omi_projections::memories;
use omi_services::llm::{GoalContext, GoalInput, LlmError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{current, read, record_progress};
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How many of the newest memories and conversations a suggestion or advice reads.
const CONTEXT_ITEMS: i64 = 100;
/// How many of the latest progress values advice reads.
const RECENT_PROGRESS: usize = 5;
/// The advice given when the user has no active goal.
pub const NO_GOAL_ADVICE: &str = "Set a goal to get personalized advice!";
/// The longest text progress is read from, in characters.
pub const MAX_TEXT: usize = 100_000;

/// A suggested goal (`GoalSuggestionResponse`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct GoalSuggestionView {
    pub suggested_title: String,
    pub suggested_type: GoalType,
    pub suggested_target: f64,
    pub suggested_min: f64,
    pub suggested_max: f64,
    pub reasoning: String,
}

/// Advice (`AdviceResponse`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct AdviceView {
    pub advice: String,
}

/// A text to read progress from.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ProgressText {
    /// At most 100,000 characters.
    pub text: String,
}

/// What reading progress from a text did: `{updated: true, goal_id, previous_value, new_value, reasoning}` or
/// `{updated: false, reason}`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ProgressExtraction {
    Updated {
        updated: bool,
        goal_id: String,
        goal_title: String,
        previous_value: f64,
        new_value: f64,
        reasoning: String,
    },
    NotUpdated {
        updated: bool,
        reason: String,
    },
}

impl ProgressExtraction {
    fn not_updated(reason: &str) -> Self {
        ProgressExtraction::NotUpdated {
            updated: false,
            reason: reason.to_string(),
        }
    }
}

fn unavailable(error: LlmError) -> ApiError {
    ApiError::Unavailable(format!("The language model could not answer: {error}"))
}

/// What the user's newest memories (unlocked) and completed, kept conversations say.
async fn context(state: &AppState, uid: &str) -> ApiResult<GoalContext> {
    let memories = memories::list(&state.database, uid, &[], CONTEXT_ITEMS, 0)
        .await?
        .into_iter()
        .filter(|memory| !memory.is_locked)
        .map(|memory| memory.content)
        .collect();
    let filter = ConversationFilter {
        statuses: vec![ConversationStatus::Completed],
        include_discarded: false,
        ..ConversationFilter::default()
    };
    let conversations = conversations::list(&state.database, uid, &filter, CONTEXT_ITEMS, 0)
        .await?
        .into_iter()
        .map(|c| format!("{}. {}", c.structured.title, c.structured.overview))
        .collect();
    Ok(GoalContext {
        memories,
        conversations,
    })
}

/// The goal as the model reads it, with its latest progress values.
async fn model_input(state: &AppState, uid: &str, goal: &GoalView) -> ApiResult<GoalInput> {
    let history = goal_reads::progress_since(
        &state.database,
        uid,
        &goal.id,
        chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    )
    .await?
    .unwrap_or_default();
    let recent = history.len().saturating_sub(RECENT_PROGRESS);
    Ok(GoalInput {
        title: goal.title.clone(),
        goal_type: goal.goal_type,
        target_value: goal.target_value,
        current_value: goal.current_value,
        min_value: goal.min_value,
        max_value: goal.max_value,
        unit: goal.unit.clone(),
        recent_progress: history[recent..].iter().map(|entry| entry.value).collect(),
    })
}

/// A goal suggested from the user's memories and conversations.
pub async fn suggest(state: &AppState, uid: &str) -> ApiResult<GoalSuggestionView> {
    let context = context(state, uid).await?;
    let suggestion = state
        .model
        .suggest_goal(&context)
        .await
        .map_err(unavailable)?;
    Ok(GoalSuggestionView {
        suggested_title: suggestion.title,
        suggested_type: suggestion.goal_type,
        suggested_target: suggestion.target,
        suggested_min: suggestion.min,
        suggested_max: suggestion.max,
        reasoning: suggestion.reasoning,
    })
}

/// Advice on the user's goal `id` (404 when it is not theirs), or on their current goal when `id` is `None`
/// ([`NO_GOAL_ADVICE`] when they have none).
pub async fn advice(state: &AppState, uid: &str, id: Option<&str>) -> ApiResult<AdviceView> {
    let goal = match id {
        Some(id) => read(state, uid, id).await?,
        None => match current(state, uid).await? {
            Some(goal) => goal,
            None => {
                return Ok(AdviceView {
                    advice: NO_GOAL_ADVICE.to_string(),
                })
            }
        },
    };
    let input = model_input(state, uid, &goal).await?;
    let context = context(state, uid).await?;
    let advice = state
        .model
        .advise_on_goal(&input, &context)
        .await
        .map_err(unavailable)?;
    Ok(AdviceView { advice })
}

/// Reads progress on the user's current goal from `text` and records it when it is a new value.
pub async fn extract_progress(
    state: &AppState,
    caller: &Caller,
    input: ProgressText,
) -> ApiResult<ProgressExtraction> {
    if input.text.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            "body.text",
            format!("text must be at most {MAX_TEXT} characters"),
        ));
    }
    let Some(goal) = current(state, &caller.uid).await? else {
        return Ok(ProgressExtraction::not_updated("No active goal"));
    };
    if input.text.trim().is_empty() {
        return Ok(ProgressExtraction::not_updated("No progress found in text"));
    }
    let goal_input = model_input(state, &caller.uid, &goal).await?;
    let reading = state
        .model
        .extract_goal_progress(&goal_input, &input.text)
        .await
        .map_err(unavailable)?;
    let Some(reading) = reading else {
        return Ok(ProgressExtraction::not_updated("No progress found in text"));
    };
    if reading.value == goal.current_value {
        return Ok(ProgressExtraction::not_updated(
            "The text gives the goal's current value again",
        ));
    }
    let updated = record_progress(state, caller, &goal.id, reading.value, "body.text").await?;
    Ok(ProgressExtraction::Updated {
        updated: true,
        goal_id: updated.id,
        goal_title: updated.title,
        previous_value: goal.current_value,
        new_value: updated.current_value,
        reasoning: reading.reasoning,
    })
}

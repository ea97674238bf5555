//! Ratings of conversation summaries (`/v1/users/analytics/memory_summary`, where "memory" is the reference's
//! old name for a conversation): 1, 0 or -1 per conversation of the user's own.

use omi_domain::user::UserCommand;
use schemars::JsonSchema;
use serde::Serialize;

use super::{execute, settings};
use crate::app::{conversations, Caller};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `{has_rating, rating}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SummaryRating {
    pub has_rating: bool,
    /// 1, 0 or -1; null without a rating.
    pub rating: Option<i8>,
}

/// The user's rating of the conversation's summary; 404 for another user's or an unknown conversation.
pub async fn summary_rating(
    state: &AppState,
    uid: &str,
    conversation_id: &str,
) -> ApiResult<SummaryRating> {
    conversations::read(state, uid, conversation_id).await?;
    let rating = settings(state, uid)
        .await?
        .summary_ratings
        .get(conversation_id)
        .copied();
    Ok(SummaryRating {
        has_rating: rating.is_some(),
        rating,
    })
}

/// Rates the conversation's summary: `value` 1, 0 or -1 (422 otherwise); 404 for another user's or an unknown
/// conversation.
pub async fn rate_summary(
    state: &AppState,
    caller: &Caller,
    conversation_id: &str,
    value: i64,
) -> ApiResult<SummaryRating> {
    if !(-1..=1).contains(&value) {
        return Err(ApiError::invalid("query.value", "value must be 1, 0 or -1"));
    }
    conversations::read(state, &caller.uid, conversation_id).await?;
    let command = UserCommand::RateConversationSummary {
        uid: caller.uid.clone(),
        conversation_id: conversation_id.to_string(),
        rating: value as i8,
        at: state.clock.now(),
    };
    execute(state, caller, command).await?;
    summary_rating(state, &caller.uid, conversation_id).await
}

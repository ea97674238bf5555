//! Reviews of apps (spec §7.1): a user reviews an app they may see but do not own, edits their review, and the
//! owner answers it. Each review is its reviewer's stream, so the reply is recorded there too, by the app.

use omi_commands::{Actor, Metadata};
use omi_domain::app::{per_user_stream_id, AppReview, AppReviewCommand};
use omi_projections::apps::{self as read, ReviewRecord};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{owned, visible, Status};
use crate::app::validation::{check_length, Problems};
use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// The longest review or reply.
pub const MAX_REVIEW: usize = 5_000;
/// The longest username.
const MAX_USERNAME: usize = 100;

/// A review as sent (`{score, review?, username?}`); the score is clamped to 0..5.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReviewInput {
    pub score: f64,
    #[serde(default)]
    pub review: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// The owner's answer to a review.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReplyInput {
    pub reviewer_uid: String,
    pub response: String,
}

fn check(input: &ReviewInput) -> ApiResult<()> {
    let mut problems = Problems::new();
    if !input.score.is_finite() {
        problems.add("body.score", "score must be a number");
    }
    check_length(
        &mut problems,
        "body.review",
        "review",
        &input.review,
        MAX_REVIEW,
    );
    if let Some(username) = &input.username {
        check_length(
            &mut problems,
            "body.username",
            "username",
            username,
            MAX_USERNAME,
        );
    }
    problems.finish()
}

/// Reviews `app_id` (or rewrites the caller's review of it): 403 for the owner's own app.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    input: ReviewInput,
) -> ApiResult<Status> {
    check(&input)?;
    let listed = visible(state, &caller.uid, app_id).await?;
    if listed.app.uid == caller.uid {
        return Err(ApiError::Forbidden("You cannot review your own app".into()));
    }
    if listed.app.private {
        return Err(ApiError::Forbidden(
            "You cannot review a private app".into(),
        ));
    }
    let command = AppReviewCommand::SubmitReview {
        app_id: app_id.to_string(),
        uid: caller.uid.clone(),
        score: input.score,
        review: input.review.trim().to_string(),
        username: input.username,
        at: now(),
    };
    let stream = per_user_stream_id(app_id, &caller.uid);
    state
        .execute::<AppReview>(&stream, command, &caller.metadata)
        .await?;
    Ok(Status::ok())
}

/// Rewrites the caller's review of `app_id`: 404 when there is none.
pub async fn update(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    input: ReviewInput,
) -> ApiResult<Status> {
    check(&input)?;
    super::found(state, app_id).await?;
    let command = AppReviewCommand::UpdateReview {
        score: input.score,
        review: input.review.trim().to_string(),
        at: now(),
    };
    let stream = per_user_stream_id(app_id, &caller.uid);
    state
        .execute::<AppReview>(&stream, command, &caller.metadata)
        .await?;
    Ok(Status::ok())
}

/// The owner answers a review of their app: 403 for anyone else, 422 when empty, 404 when there is no such
/// review.
pub async fn reply(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    input: ReplyInput,
) -> ApiResult<Status> {
    let mut problems = Problems::new();
    if input.response.trim().is_empty() {
        problems.add("body.response", "response cannot be empty");
    }
    check_length(
        &mut problems,
        "body.response",
        "response",
        &input.response,
        MAX_REVIEW,
    );
    problems.finish()?;
    owned(state, &caller.uid, app_id).await?;
    if read::review(&state.database, app_id, &input.reviewer_uid)
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("Review not found".into()));
    }
    let command = AppReviewCommand::ReplyToReview {
        response: input.response.trim().to_string(),
        at: now(),
    };
    // The review is the reviewer's data: the reply is recorded under them, by the app.
    let metadata = Metadata::new(
        input.reviewer_uid.clone(),
        Actor::App(app_id.to_string()),
        caller.metadata.correlation_id.clone(),
    );
    let stream = per_user_stream_id(app_id, &input.reviewer_uid);
    state
        .execute::<AppReview>(&stream, command, &metadata)
        .await?;
    Ok(Status::ok())
}

/// The reviews of `app_id` that say something, newest first.
pub async fn with_text(state: &AppState, app_id: &str) -> ApiResult<Vec<ReviewRecord>> {
    Ok(read::reviews(&state.database, app_id)
        .await?
        .into_iter()
        .filter(|review| !review.review.trim().is_empty())
        .collect())
}

/// The reviews of a public, approved app with text, for anyone (404 for other apps, as if they did not exist).
pub async fn public(state: &AppState, app_id: &str) -> ApiResult<Vec<ReviewRecord>> {
    let listed = super::found(state, app_id).await?;
    if !listed.app.approved || listed.app.private {
        return Err(ApiError::NotFound("App not found".into()));
    }
    with_text(state, app_id).await
}

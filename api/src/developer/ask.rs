//! `/v1/dev/user/ask` (spec §7.4, newer): a question answered from the user's conversations, with the
//! conversations the answer cites, under the scope `conversations:read`.

use aide::axum::routing::post_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::chat::{self, Asked};
use crate::error::{ApiError, ApiResult};
use crate::extract::Body;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/v1/dev/user/ask",
        post_with(ask, |op| {
            op.summary("Ask a question of your conversations; the answer cites its sources")
        }),
    )
}

/// A question.
#[derive(Debug, Deserialize, JsonSchema)]
struct Question {
    /// 1 to 10,000 characters.
    question: String,
}

async fn ask(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<Question>, ApiError>,
) -> ApiResult<Json<Asked>> {
    key.require(Scope::ConversationsRead)?;
    let Body(input) = body?;
    Ok(Json(
        chat::ask(&state, &key.caller(), &input.question).await?,
    ))
}

//! Wrapped, the yearly recap (spec §7.12): its state, and asking for it to be generated.

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_projections::wrapped::WrappedView;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::wrapped::{self, GenerateAnswer};
use crate::error::{ApiError, ApiResult};
use crate::extract::{CurrentUser, Params, Path};
use crate::limited::{Limited, Refused};
use crate::policies::{self, WRAPPED_GENERATE};
use crate::state::AppState;
use crate::time_input::InputTime;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/wrapped/{year}",
            get_with(get_wrapped, |op| {
                op.summary("The yearly recap: status, progress, result or error (?as_of= computes it as of then)")
            }),
        )
        .api_route(
            "/v1/wrapped/{year}/generate",
            post_with(generate, |op| {
                op.summary("Generate the yearly recap (2 requests a day)")
            }),
        )
        .with_path_items(|item| item.tag("wrapped"))
}

#[derive(Deserialize, JsonSchema)]
struct AsOfParams {
    /// An RFC 3339 instant: the recap computed from the log as it stood then.
    as_of: Option<InputTime>,
}

async fn get_wrapped(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
    Params(params): Params<AsOfParams>,
) -> ApiResult<Json<WrappedView>> {
    let year = wrapped::year(&year)?;
    let view = match params.as_of {
        Some(InputTime(at)) => wrapped::as_of(&state, &user.uid, year, at).await?,
        None => wrapped::read(&state, &user.uid, year).await?,
    };
    Ok(Json(view))
}

async fn generate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(year): Path<String>,
) -> Result<Limited<GenerateAnswer>, Refused> {
    let year = wrapped::year(&year).map_err(|e| Refused(e, None))?;
    wrapped::ensure_data(&state, &user.uid, year)
        .await
        .map_err(|e| Refused(e, None))?;
    let decision = policies::count(&state.database, WRAPPED_GENERATE, &user.uid)
        .await
        .map_err(|e| Refused(ApiError::Internal(e.to_string()), None))?;
    if !decision.allowed {
        return Err(Refused(policies::refusal(WRAPPED_GENERATE), Some(decision)));
    }
    match wrapped::generate(&state, &user.caller(), year).await {
        Ok(answer) => Ok(Limited(decision, Json(answer))),
        Err(error) => Err(Refused(error, Some(decision))),
    }
}

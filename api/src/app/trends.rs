//! Trends (spec §7.11): what every door may read of the trends read model. Public: trends count conversations
//! of every user and name no one.

use omi_projections::trends::{self, Trend};

use crate::error::ApiResult;
use crate::state::AppState;

/// Every trend with its topics, most contributing conversations first.
pub async fn list(state: &AppState) -> ApiResult<Vec<Trend>> {
    Ok(trends::trends(&state.database).await?)
}

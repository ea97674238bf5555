//! `/v1/dev/user/folders` (spec §7.4, newer): the user's folders with their conversation counts, read only (an
//! empty list until the user has folders), with the scope `conversations:read`.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use omi_projections::folders::FolderView;

use crate::app::folders;
use crate::error::ApiResult;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/v1/dev/user/folders",
        get_with(list, |op| {
            op.summary("List folders with their conversation counts (read only)")
        }),
    )
}

async fn list(State(state): State<AppState>, key: KeyHolder) -> ApiResult<Json<Vec<FolderView>>> {
    key.require(Scope::ConversationsRead)?;
    Ok(Json(folders::existing(&state, &key.uid).await?))
}

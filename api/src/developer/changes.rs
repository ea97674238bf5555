//! `/v1/dev/user/changes`: the key's user's change feed, pages and Server-Sent Events, with the scope
//! `changes:read` (the same events, cursors and limits as `/v1/changes`).

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::changes::{self, ChangesPage};
use crate::change_stream::{ChangeStream, LastEventId};
use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/changes",
            get_with(page, |op| {
                op.summary("The user's events in commit order, after a cursor (changes:read)")
            }),
        )
        .api_route(
            "/v1/dev/user/changes/stream",
            get_with(stream, |op| {
                op.summary("The user's events as Server-Sent Events, live (changes:read)")
            }),
        )
}

#[derive(Deserialize, JsonSchema)]
struct PageQuery {
    /// The `cursor` of the previous page (or an event's `position`); absent: the start of the log.
    after: Option<String>,
    /// Events per page: 100 by default, at most 1000.
    limit: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
struct StreamQuery {
    /// A cursor to start after when there is no `Last-Event-ID`; absent: the start of the log.
    after: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<PageQuery>, ApiError>,
) -> ApiResult<Json<ChangesPage>> {
    key.require(Scope::ChangesRead)?;
    let Params(query) = query?;
    let page = changes::page(
        &state.database,
        &key.uid,
        query.after.as_deref(),
        query.limit,
    )
    .await?;
    Ok(Json(page))
}

async fn stream(
    State(state): State<AppState>,
    key: KeyHolder,
    last: Result<LastEventId, ApiError>,
    query: Result<Params<StreamQuery>, ApiError>,
) -> ApiResult<ChangeStream> {
    key.require(Scope::ChangesRead)?;
    let (LastEventId(last), Params(query)) = (last?, query?);
    let after = changes::resume_from(last.as_deref(), query.after.as_deref())?;
    ChangeStream::open(&state, &key.uid, after)
}

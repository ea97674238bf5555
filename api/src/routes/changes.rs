//! The change feed (`/v1/changes`): the caller's own events in commit order, as pages with a cursor or as
//! Server-Sent Events, for jobs outside the server that follow the log.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::changes::{self, ChangesPage};
use crate::change_stream::{ChangeStream, LastEventId};
use crate::error::ApiResult;
use crate::extract::{CurrentUser, Params};
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/changes",
            get_with(page, |op| {
                op.summary("Your events in commit order, after a cursor (limit up to 1000)")
            }),
        )
        .api_route(
            "/v1/changes/stream",
            get_with(stream, |op| {
                op.summary("Your events as Server-Sent Events, live; resumes from Last-Event-ID")
            }),
        )
        .with_path_items(|item| item.tag("changes"))
}

/// Where to start and how many.
#[derive(Deserialize, JsonSchema)]
struct PageQuery {
    /// The `cursor` of the previous page (or an event's `position`); absent: the start of the log.
    after: Option<String>,
    /// Events per page: 100 by default, at most 1000.
    limit: Option<i64>,
}

/// Where a stream starts.
#[derive(Deserialize, JsonSchema)]
struct StreamQuery {
    /// A cursor to start after when there is no `Last-Event-ID`; absent: the start of the log.
    after: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Params(query): Params<PageQuery>,
) -> ApiResult<Json<ChangesPage>> {
    let page = changes::page(
        &state.database,
        &user.uid,
        query.after.as_deref(),
        query.limit,
    )
    .await?;
    Ok(Json(page))
}

async fn stream(
    State(state): State<AppState>,
    user: CurrentUser,
    LastEventId(last): LastEventId,
    Params(query): Params<StreamQuery>,
) -> ApiResult<ChangeStream> {
    let after = changes::resume_from(last.as_deref(), query.after.as_deref())?;
    ChangeStream::open(&state, &user.uid, after)
}

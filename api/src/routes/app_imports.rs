//! The app import API (spec §7.2, `routers/integration.py`), authenticated by the app's `sk_` key: reading
//! the memories of a user who enabled the app. Every endpoint makes the checks of
//! [`crate::app::apps::import_access`] first, in the reference's order.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationInput;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::Json;
use omi_domain::app::ActionType;
use omi_projections::memories::MemoryView;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::apps::import_access::authorize;
use crate::app::{memories, PageRule};
use crate::error::{error_response, ApiError, ApiResult};
use crate::extract::{Params, Path};
use crate::openapi::{ensure_response, ensure_security};
use crate::state::AppState;

/// Memories of the import API: 100 by default, at most 1,000.
const MEMORIES_PAGE: PageRule = PageRule::new(100, 1_000);

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v2/integrations/{app_id}/memories",
            get_with(read_memories, |op| {
                op.summary("The memories of a user who enabled the app (needs read_memories)")
            }),
        )
        .with_path_items(|item| item.tag("integrations"))
}

/// The Authorization header as sent; the checks read it.
struct AppKeyHeader(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for AppKeyHeader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(AppKeyHeader(
            parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .map(String::from),
        ))
    }
}

/// The `appKey` security requirement, 401 without a key, 403 for a key of another app or an app the user has
/// not enabled or that lacks the capability, 404 for an unknown app.
impl OperationInput for AppKeyHeader {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        ensure_security(operation, "appKey");
        ensure_response(operation, Some(401), || {
            error_response(ctx, "No sk_ key in the Authorization header")
        });
        ensure_response(operation, Some(403), || {
            error_response(
                ctx,
                "Not a key of this app, or the app is not enabled by the user or lacks the capability",
            )
        });
    }
}

/// `?uid=&limit=&offset=`.
#[derive(Debug, Deserialize, JsonSchema)]
struct MemoriesQuery {
    /// The user whose memories are read; they must have the app enabled.
    uid: String,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// `{"memories": [...]}`.
#[derive(Debug, Serialize, JsonSchema)]
struct MemoriesAnswer {
    memories: Vec<MemoryView>,
}

async fn read_memories(
    State(state): State<AppState>,
    key: AppKeyHeader,
    Path(app_id): Path<String>,
    Params(query): Params<MemoriesQuery>,
) -> ApiResult<Json<MemoriesAnswer>> {
    let page = MEMORIES_PAGE.page(query.limit, query.offset)?;
    authorize(
        &state,
        key.0.as_deref(),
        &app_id,
        &query.uid,
        Some(ActionType::ReadMemories),
    )
    .await?;
    let memories = memories::list(&state, &query.uid, &[], page).await?;
    Ok(Json(MemoriesAnswer { memories }))
}

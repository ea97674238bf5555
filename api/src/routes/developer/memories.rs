//! `/v1/dev/user/memories`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use omi_domain::api_key::Scope;
use omi_domain::memory::MemoryCategory;
use omi_projections::memories;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::extract::Params;
use crate::key_auth::KeyHolder;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/dev/user/memories", get(list))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    categories: Option<String>,
}

fn default_limit() -> i64 {
    25
}

/// The developer API's memory shape (spec §7.4).
fn shape(memory: &memories::MemoryView) -> Value {
    json!({
        "id": memory.id,
        "content": memory.content,
        "category": memory.category,
        "visibility": memory.visibility,
        "tags": memory.tags,
        "created_at": omi_projections::time::format(&memory.created_at),
        "updated_at": omi_projections::time::format(&memory.updated_at),
        "manually_added": memory.manually_added,
        "scoring": memory.scoring,
        "reviewed": memory.reviewed,
        "user_review": memory.user_review,
        "edited": memory.edited,
    })
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    Params(query): Params<ListQuery>,
) -> ApiResult<Json<Vec<Value>>> {
    key.require(Scope::MemoriesRead)?;
    if !(1..=1000).contains(&query.limit) || query.offset < 0 {
        return Err(ApiError::invalid(
            "query.limit",
            "limit must be between 1 and 1000 and offset not negative",
        ));
    }
    let mut categories = Vec::new();
    for name in query
        .categories
        .iter()
        .flat_map(|c| c.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        categories.push(
            MemoryCategory::parse(name)
                .ok_or_else(|| ApiError::BadRequest(format!("Invalid category: {name}")))?,
        );
    }
    let found = memories::list(
        &state.database,
        &key.uid,
        &categories,
        query.limit,
        query.offset,
    )
    .await?;
    Ok(Json(found.iter().map(shape).collect()))
}

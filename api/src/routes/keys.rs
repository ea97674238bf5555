//! Key management (user auth): developer keys under `/v1/dev/keys` and MCP keys under `/v1/mcp/keys`
//! (spec §1.3, §7.4, §7.5). The raw key is in the creation answer only.

use aide::axum::routing::{delete_with, get_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use omi_domain::api_key::{ApiKey, ApiKeyCommand, KeyFamily, Scope, READ_ONLY_SCOPES};
use omi_projections::api_keys::{self, ApiKeyView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, CurrentUser, Path};
use crate::key_material;
use crate::state::AppState;
use crate::time_input::now;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/keys",
            get_with(list_developer, |op| op.summary("List developer keys"))
                .post_with(create_developer, |op| {
                    op.summary("Create a developer key (shown once)")
                }),
        )
        .api_route(
            "/v1/dev/keys/{key_id}",
            delete_with(revoke_developer, |op| op.summary("Revoke a developer key")),
        )
        .api_route(
            "/v1/mcp/keys",
            get_with(list_mcp, |op| op.summary("List MCP keys")).post_with(create_mcp, |op| {
                op.summary("Create an MCP key (shown once)")
            }),
        )
        .api_route(
            "/v1/mcp/keys/{key_id}",
            delete_with(revoke_mcp, |op| op.summary("Revoke an MCP key")),
        )
        .with_path_items(|item| item.tag("keys"))
}

/// A key to create: its name and, for a developer key, its scopes (read-only when none; MCP keys get every
/// scope).
#[derive(Deserialize, JsonSchema)]
struct NewKeyBody {
    name: String,
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

async fn list_developer(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    Ok(Json(
        api_keys::list(&state.database, &user.uid, KeyFamily::Developer).await?,
    ))
}

async fn list_mcp(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<ApiKeyView>>> {
    Ok(Json(
        api_keys::list(&state.database, &user.uid, KeyFamily::Mcp).await?,
    ))
}

/// A created key: the key as listed, and the raw key, shown this once.
#[derive(Serialize, JsonSchema)]
struct CreatedKey {
    #[serde(flatten)]
    view: ApiKeyView,
    key: String,
}

async fn create_developer(
    state: State<AppState>,
    user: CurrentUser,
    body: Body<NewKeyBody>,
) -> ApiResult<Json<CreatedKey>> {
    create(state, user, body, KeyFamily::Developer).await
}

async fn create_mcp(
    state: State<AppState>,
    user: CurrentUser,
    body: Body<NewKeyBody>,
) -> ApiResult<Json<CreatedKey>> {
    create(state, user, body, KeyFamily::Mcp).await
}

/// The scopes asked for: read-only when none; 400 naming the available ones for an unknown scope.
fn scopes_of(family: KeyFamily, asked: Option<Vec<String>>) -> ApiResult<Vec<Scope>> {
    if family == KeyFamily::Mcp {
        // MCP keys act for the user on everything the MCP tools offer.
        return Ok(Scope::ALL.to_vec());
    }
    let asked = asked.unwrap_or_default();
    if asked.is_empty() {
        return Ok(READ_ONLY_SCOPES.to_vec());
    }
    let mut scopes = Vec::new();
    for name in &asked {
        match Scope::parse(name) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => {
                let available: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                return Err(ApiError::BadRequest(format!(
                    "Invalid scopes. Available: {available:?}"
                )));
            }
        }
    }
    scopes.sort();
    Ok(scopes)
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(body): Body<NewKeyBody>,
    family: KeyFamily,
) -> ApiResult<Json<CreatedKey>> {
    if body.name.trim().is_empty() {
        return Err(ApiError::invalid("body.name", "Key name cannot be empty"));
    }
    let scopes = scopes_of(family, body.scopes)?;
    let key = key_material::generate(family).map_err(|e| ApiError::Internal(e.to_string()))?;
    let id = Uuid::new_v4().to_string();
    let command = ApiKeyCommand::CreateApiKey {
        uid: user.uid.clone(),
        family,
        name: body.name,
        scopes,
        hashed_key: key.hashed,
        display_prefix: key.display_prefix,
        at: now(),
    };
    state
        .create::<ApiKey>(&id, command, &user.metadata())
        .await?;
    let view = api_keys::list(&state.database, &user.uid, family)
        .await?
        .into_iter()
        .find(|k| k.id == id)
        .ok_or_else(|| ApiError::Internal("created key not found in the read model".into()))?;
    Ok(Json(CreatedKey { view, key: key.raw }))
}

async fn revoke_developer(
    state: State<AppState>,
    user: CurrentUser,
    key_id: Path<String>,
) -> ApiResult<NoContent> {
    revoke(state, user, key_id, KeyFamily::Developer).await
}

async fn revoke_mcp(
    state: State<AppState>,
    user: CurrentUser,
    key_id: Path<String>,
) -> ApiResult<NoContent> {
    revoke(state, user, key_id, KeyFamily::Mcp).await
}

/// Revokes one of the user's live keys of the family: 204. Anything else is 404 as everywhere in the API: a
/// key of another user or of the other family, an id that names no key, and a key revoked already (it is gone
/// from the list, so a second revocation finds nothing).
async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(key_id): Path<String>,
    family: KeyFamily,
) -> ApiResult<NoContent> {
    let live = api_keys::list(&state.database, &user.uid, family).await?;
    if !live.iter().any(|key| key.id == key_id) {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    let command = ApiKeyCommand::RevokeApiKey {
        uid: user.uid.clone(),
        at: now(),
    };
    state
        .execute::<ApiKey>(&key_id, command, &user.metadata())
        .await?;
    Ok(NoContent)
}

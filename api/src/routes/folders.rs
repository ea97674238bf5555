//! Folders (spec §7.13, the `folders` router): the user's folders with their conversation counts, creating,
//! changing, reordering and deleting folders, a folder's conversations, and moving conversations into a folder
//! one at a time or in bulk. The rules are the application layer's (`app::folders`).

use aide::axum::routing::{get_with, patch_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::response::NoContent;
use axum::Json;
use omi_projections::conversations::ConversationView;
use omi_projections::folders::FolderView;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::app::folders::{
    self, BulkMove, FolderUpdate, Moved, NewFolder, Reorder, CONVERSATIONS_PAGE,
};
use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser, Params, Path};
use crate::replies::Status;
use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/folders",
            get_with(list, |op| {
                op.summary("List folders by order (creates the system folders on first use)")
            })
            .post_with(create, |op| {
                op.summary("Create a folder (400 when 50 custom folders exist)")
            }),
        )
        .api_route(
            "/v1/folders/reorder",
            post_with(reorder, |op| {
                op.summary("Reorder folders (order = place in folder_ids; unknown ids 404)")
            }),
        )
        .api_route(
            "/v1/folders/{id}",
            get_with(get_one, |op| op.summary("Get a folder"))
                .patch_with(update, |op| op.summary("Change a folder"))
                .delete_with(delete_one, |op| {
                    op.summary(
                        "Delete a custom folder; its conversations move to ?move_to_folder_id= or the default folder",
                    )
                }),
        )
        .api_route(
            "/v1/folders/{id}/conversations",
            get_with(conversations, |op| {
                op.summary("A folder's conversations, newest first")
            }),
        )
        .api_route(
            "/v1/folders/{id}/conversations/bulk-move",
            post_with(bulk_move, |op| {
                op.summary("Move conversations into a folder (ids that are not yours are skipped)")
            }),
        )
        .api_route(
            "/v1/conversations/{id}/folder",
            patch_with(move_conversation, |op| {
                op.summary("Move a conversation into a folder (null takes it out)")
            }),
        )
        .with_path_items(|item| item.tag("folders"))
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
) -> ApiResult<Json<Vec<FolderView>>> {
    Ok(Json(folders::list(&state, &user.caller()).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(new): Body<NewFolder>,
) -> ApiResult<Json<FolderView>> {
    Ok(Json(folders::create(&state, &user.caller(), new).await?))
}

async fn get_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<FolderView>> {
    Ok(Json(folders::get(&state, &user.uid, &id).await?))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(update): Body<FolderUpdate>,
) -> ApiResult<Json<FolderView>> {
    Ok(Json(
        folders::update(&state, &user.caller(), &id, update).await?,
    ))
}

/// Where a deleted folder's conversations go.
#[derive(Deserialize, JsonSchema)]
struct DeleteQuery {
    /// Another of your folders; the default folder (`Other`) when absent.
    move_to_folder_id: Option<String>,
}

async fn delete_one(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<DeleteQuery>,
) -> ApiResult<NoContent> {
    folders::delete(&state, &user.caller(), &id, query.move_to_folder_id).await?;
    Ok(NoContent)
}

async fn reorder(
    State(state): State<AppState>,
    user: CurrentUser,
    Body(reorder): Body<Reorder>,
) -> ApiResult<Json<Status>> {
    folders::reorder(&state, &user.caller(), reorder).await?;
    Ok(Json(Status::ok()))
}

/// A page of a folder's conversations.
#[derive(Deserialize, JsonSchema)]
struct ConversationsQuery {
    /// 1-1000; 100 when absent.
    limit: Option<i64>,
    offset: Option<i64>,
    /// Whether discarded conversations are listed too (false when absent).
    #[serde(default)]
    include_discarded: bool,
}

async fn conversations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Params(query): Params<ConversationsQuery>,
) -> ApiResult<Json<Vec<ConversationView>>> {
    let page = CONVERSATIONS_PAGE.page(query.limit, query.offset)?;
    Ok(Json(
        folders::conversations_in(&state, &user.uid, &id, page, query.include_discarded).await?,
    ))
}

async fn bulk_move(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(request): Body<BulkMove>,
) -> ApiResult<Json<Moved>> {
    Ok(Json(
        folders::bulk_move(&state, &user.caller(), &id, request).await?,
    ))
}

/// The folder to move to; `null` or absent takes the conversation out of its folder.
#[derive(Deserialize, JsonSchema)]
struct FolderBody {
    #[serde(default)]
    folder_id: Option<String>,
}

async fn move_conversation(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Body(body): Body<FolderBody>,
) -> ApiResult<Json<Status>> {
    folders::move_conversation(&state, &user.caller(), &id, body.folder_id).await?;
    Ok(Json(Status::ok()))
}

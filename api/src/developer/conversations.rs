//! `/v1/dev/user/conversations`: list, read, import (from text or segments), patch and delete the user's
//! conversations (spec §7.4), through the application layer's conversations.
//!
//! Lists show only `completed`, non-discarded, unlocked conversations. Imports answer once processing finished
//! (the reference runs its pipeline synchronously): the request waits for the processing reaction with the
//! app's bound ([`PROCESSING_TIMEOUT`](crate::app::conversations::PROCESSING_TIMEOUT)) and
//! answers the status it reached — still `processing` if the bound ran out.

use std::collections::HashMap;

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::State;
use axum::Json;
use omi_domain::api_key::Scope;
use omi_domain::conversation::{ConversationSource, Geolocation, TranscriptSegment};
use omi_projections::conversations::{self, ConversationView, StructuredView};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::conversations::shapes::{speaker_name, ConversationHead};
use crate::app::conversations::{
    self as app, Completed, DayRange, Imported, SegmentsImportInput, TextImportInput,
    DEVELOPER_MAX_TITLE,
};
use crate::app::{folders, history, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::replies::Success;
use crate::state::AppState;
use crate::time_input::{now, InputTime};

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/v1/dev/user/conversations",
            get_with(list, |op| {
                op.summary("List completed conversations (dates, categories, include_transcript)")
            })
            .post_with(import_text, |op| {
                op.summary("Import a conversation from text; answers once processed")
            }),
        )
        .api_route(
            "/v1/dev/user/conversations/from-segments",
            post_with(import_segments, |op| {
                op.summary("Import a conversation from transcript segments; answers once processed")
            }),
        )
        .api_route(
            "/v1/dev/user/conversations/{id}",
            get_with(get_one, |op| {
                op.summary("Get a conversation (include_transcript)")
            })
            .patch_with(update, |op| {
                op.summary("Rename or (un)discard a conversation")
            })
            .delete_with(delete_one, |op| op.summary("Delete a conversation")),
        )
}

/// The developer API's list.
const PAGE: PageRule = PageRule::new(25, 1_000);

/// The developer API's conversation shape (spec §7.4).
#[derive(Serialize, JsonSchema)]
pub(super) struct DeveloperConversation {
    #[serde(flatten)]
    head: ConversationHead,
    structured: StructuredView,
    language: String,
    source: ConversationSource,
    geolocation: Option<Geolocation>,
    folder_id: Option<String>,
    /// The name of the folder `folder_id` names, when it is one of the user's folders.
    folder_name: Option<String>,
    /// Only when the transcript was asked for (`include_transcript=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript_segments: Option<Vec<DeveloperSegment>>,
}

/// A transcript segment as the developer API shows it.
#[derive(Serialize, JsonSchema)]
struct DeveloperSegment {
    id: String,
    text: String,
    speaker_id: u32,
    /// "User" for the user, else "Speaker <id>".
    speaker_name: String,
    /// Seconds from the start of the conversation.
    start: f64,
    end: f64,
}

impl From<&TranscriptSegment> for DeveloperSegment {
    fn from(segment: &TranscriptSegment) -> Self {
        Self {
            id: segment.id.clone(),
            text: segment.text.clone(),
            speaker_id: segment.speaker_id,
            speaker_name: speaker_name(segment),
            start: segment.start,
            end: segment.end,
        }
    }
}

/// The user's folder names by folder id.
pub(super) type FolderNames = HashMap<String, String>;

pub(super) async fn folder_names(state: &AppState, uid: &str) -> ApiResult<FolderNames> {
    Ok(folders::existing(state, uid)
        .await?
        .into_iter()
        .map(|folder| (folder.id, folder.name))
        .collect())
}

/// The developer API's shape of `view`; `segments` only when the transcript was asked for.
pub(super) fn shape(
    view: &ConversationView,
    segments: Option<&[TranscriptSegment]>,
    names: &FolderNames,
) -> DeveloperConversation {
    DeveloperConversation {
        head: view.into(),
        structured: view.structured.clone(),
        language: view.language.clone(),
        source: view.source,
        geolocation: view.geolocation.clone(),
        folder_id: view.folder_id.clone(),
        folder_name: view
            .folder_id
            .as_ref()
            .and_then(|id| names.get(id))
            .cloned(),
        transcript_segments: segments
            .map(|segments| segments.iter().map(DeveloperSegment::from).collect()),
    }
}

/// The shape of a single conversation, with its transcript when asked for.
fn shape_one(
    view: &ConversationView,
    include_transcript: bool,
    names: &FolderNames,
) -> DeveloperConversation {
    let segments = include_transcript.then(|| view.transcript_segments.as_deref().unwrap_or(&[]));
    shape(view, segments, names)
}

#[derive(Deserialize, JsonSchema)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    /// The earliest time (ISO-8601, or a date).
    start_date: Option<InputTime>,
    /// The latest time (ISO-8601, or a date).
    end_date: Option<InputTime>,
    /// Comma-separated category names; 400 for an unknown one.
    categories: Option<String>,
    /// Only the conversations in this folder.
    folder_id: Option<String>,
    #[serde(default)]
    include_transcript: bool,
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<DeveloperConversation>>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let page = PAGE.page(query.limit, query.offset)?;
    let completed = Completed {
        range: DayRange {
            start: query.start_date.map(|t| t.0),
            end: query.end_date.map(|t| t.0),
        },
        categories: app::categories_strict(query.categories.as_deref())?,
        folder_id: query.folder_id.filter(|id| !id.is_empty()),
    };
    let page = app::completed(&state, &key.uid, &completed, page).await?;
    let names = folder_names(&state, &key.uid).await?;
    if !query.include_transcript {
        return Ok(Json(page.iter().map(|c| shape(c, None, &names)).collect()));
    }
    // List rows carry no segments: read the full documents of this page.
    let ids: Vec<String> = page.iter().map(|c| c.id.clone()).collect();
    let full: HashMap<String, ConversationView> =
        conversations::get_many(&state.database, &key.uid, &ids)
            .await?
            .into_iter()
            .map(|c| (c.id.clone(), c))
            .collect();
    Ok(Json(
        page.iter()
            .map(|c| {
                let segments = full
                    .get(&c.id)
                    .and_then(|f| f.transcript_segments.as_deref())
                    .unwrap_or(&[]);
                shape(c, Some(segments), &names)
            })
            .collect(),
    ))
}

#[derive(Deserialize, JsonSchema)]
struct OneQuery {
    #[serde(default)]
    include_transcript: bool,
    /// The conversation as it stood at this instant (RFC 3339; the future reads as now), folded from the log.
    as_of: Option<InputTime>,
}

async fn get_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    query: Result<Params<OneQuery>, ApiError>,
) -> ApiResult<Json<DeveloperConversation>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let view = app::read_unlocked_at(&state, &key.uid, &id, history::instant(query.as_of)).await?;
    let names = folder_names(&state, &key.uid).await?;
    Ok(Json(shape_one(&view, query.include_transcript, &names)))
}

async fn import_text(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<TextImportInput>, ApiError>,
) -> ApiResult<Json<Imported>> {
    key.require(Scope::ConversationsWrite)?;
    let Body(input) = body?;
    let import = input.into_import(&key.uid, ConversationSource::ExternalIntegration, now())?;
    Ok(Json(
        app::import_processed(&state, &key.caller(), import).await?,
    ))
}

async fn import_segments(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<SegmentsImportInput>, ApiError>,
) -> ApiResult<Json<Imported>> {
    key.require(Scope::ConversationsWrite)?;
    let Body(input) = body?;
    let import = input.into_import(&key.uid, ConversationSource::ExternalIntegration, now())?;
    Ok(Json(
        app::import_processed(&state, &key.caller(), import).await?,
    ))
}

#[derive(Deserialize, JsonSchema)]
struct ConversationUpdate {
    title: Option<String>,
    discarded: Option<bool>,
}

/// Renames and/or (un)discards; both are checked before either is written.
async fn update(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    body: Result<Body<ConversationUpdate>, ApiError>,
) -> ApiResult<Json<DeveloperConversation>> {
    key.require(Scope::ConversationsWrite)?;
    let Body(body) = body?;
    let view = app::update(
        &state,
        &key.caller(),
        &id,
        body.title,
        body.discarded,
        DEVELOPER_MAX_TITLE,
    )
    .await?;
    let names = folder_names(&state, &key.uid).await?;
    Ok(Json(shape_one(&view, false, &names)))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Success>> {
    key.require(Scope::ConversationsWrite)?;
    app::delete(&state, &key.caller(), &id).await?;
    Ok(Json(Success::yes()))
}

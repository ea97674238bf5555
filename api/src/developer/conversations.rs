//! `/v1/dev/user/conversations`: list, read, import (from text or segments), patch and delete the user's
//! conversations (spec §7.4), through the application layer's conversations.
//!
//! Lists show only `completed`, non-discarded, unlocked conversations. Imports answer once processing finished
//! (the reference runs its pipeline synchronously): the request waits for the processing reaction with the
//! app's bound ([`PROCESSING_TIMEOUT`](crate::app::conversations::PROCESSING_TIMEOUT)) and
//! answers the status it reached — still `processing` if the bound ran out.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use omi_domain::api_key::Scope;
use omi_domain::conversation::{ConversationSource, TranscriptSegment};
use omi_projections::conversations::{self, ConversationView};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::conversations::{
    self as app, Completed, DayRange, Imported, SegmentsImportInput, TextImportInput,
    DEVELOPER_MAX_TITLE,
};
use crate::app::PageRule;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::replies::Success;
use crate::state::AppState;
use crate::time_input::{now, InputTime};

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/dev/user/conversations", get(list).post(import_text))
        .route(
            "/v1/dev/user/conversations/from-segments",
            post(import_segments),
        )
        .route(
            "/v1/dev/user/conversations/{id}",
            get(get_one).patch(update).delete(delete_one),
        )
}

/// The developer API's list.
const PAGE: PageRule = PageRule::new(25, 1_000);

/// How the developer API names a segment's speaker: "User" for the user (their display name is not known
/// yet), else "Speaker <id>" (there are no people records yet).
fn speaker_name(segment: &TranscriptSegment) -> String {
    if segment.is_user {
        "User".to_string()
    } else {
        format!("Speaker {}", segment.speaker_id)
    }
}

/// The developer API's conversation shape (spec §7.4); `segments` only when the transcript was asked for.
fn shape(view: &ConversationView, segments: Option<&[TranscriptSegment]>) -> Value {
    let time =
        |at: &Option<chrono::DateTime<chrono::Utc>>| at.as_ref().map(omi_projections::time::format);
    let mut body = json!({
        "id": view.id,
        "created_at": omi_projections::time::format(&view.created_at),
        "started_at": time(&view.started_at),
        "finished_at": time(&view.finished_at),
        "structured": {
            "title": view.structured.title,
            "overview": view.structured.overview,
            "emoji": view.structured.emoji,
            "category": view.structured.category,
            "action_items": view.structured.action_items,
            "events": view.structured.events,
        },
        "language": view.language,
        "source": view.source,
        "geolocation": view.geolocation,
        "folder_id": view.folder_id,
    });
    if let (Some(segments), Value::Object(fields)) = (segments, &mut body) {
        let segments: Vec<Value> = segments
            .iter()
            .map(|segment| {
                json!({
                    "id": segment.id,
                    "text": segment.text,
                    "speaker_id": segment.speaker_id,
                    "speaker_name": speaker_name(segment),
                    "start": segment.start,
                    "end": segment.end,
                })
            })
            .collect();
        fields.insert("transcript_segments".into(), json!(segments));
    }
    body
}

/// The shape of a single conversation, with its transcript when asked for.
fn shape_one(view: &ConversationView, include_transcript: bool) -> Value {
    let segments = include_transcript.then(|| view.transcript_segments.as_deref().unwrap_or(&[]));
    shape(view, segments)
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    categories: Option<String>,
    #[serde(default)]
    include_transcript: bool,
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<Value>>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let page = PAGE.page(query.limit, query.offset)?;
    let completed = Completed {
        range: DayRange {
            start: query.start_date.map(|t| t.0),
            end: query.end_date.map(|t| t.0),
        },
        categories: app::categories_strict(query.categories.as_deref())?,
    };
    let page = app::completed(&state, &key.uid, &completed, page).await?;
    if !query.include_transcript {
        return Ok(Json(page.iter().map(|c| shape(c, None)).collect()));
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
                shape(c, Some(segments))
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
struct OneQuery {
    #[serde(default)]
    include_transcript: bool,
}

async fn get_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    query: Result<Params<OneQuery>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let view = app::read_unlocked(&state, &key.uid, &id).await?;
    Ok(Json(shape_one(&view, query.include_transcript)))
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

#[derive(Deserialize)]
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
) -> ApiResult<Json<Value>> {
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
    Ok(Json(shape_one(&view, false)))
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

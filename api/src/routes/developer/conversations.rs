//! `/v1/dev/user/conversations`: list, read, import (from text or segments), patch and delete the user's
//! conversations (spec §7.4), through the imports, commands and read model of the app's conversation routes.
//!
//! Lists show only `completed`, non-discarded, unlocked conversations. Imports answer once processing finished
//! (the reference runs its pipeline synchronously): the request waits for the processing reaction with the
//! app's bound ([`PROCESSING_TIMEOUT`](crate::routes::conversations::lifecycle::PROCESSING_TIMEOUT)) and
//! answers the status it reached — still `processing` if the bound ran out.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use omi_domain::api_key::Scope;
use omi_domain::conversation::{
    Conversation, ConversationCommand, ConversationSource, ConversationStatus, TranscriptSegment,
    CATEGORIES,
};
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{check_length, check_page, success};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Params, Path};
use crate::key_auth::KeyHolder;
use crate::routes::conversations::imports::{Import, SegmentsImportInput, TextImportInput};
use crate::routes::conversations::lifecycle::wait_for_processing;
use crate::routes::conversations::read;
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

/// The longest title, in characters.
const MAX_TITLE: usize = 500;
/// How many rows a category-filtered list reads at a time while it looks for matches.
const SCAN_BATCH: i64 = 200;

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
    #[serde(default = "default_limit")]
    limit: i64,
    #[serde(default)]
    offset: i64,
    start_date: Option<InputTime>,
    end_date: Option<InputTime>,
    categories: Option<String>,
    #[serde(default)]
    include_transcript: bool,
}

fn default_limit() -> i64 {
    25
}

/// The categories of the `categories` csv; 400 naming an unknown one.
fn categories(csv: Option<&str>) -> ApiResult<Vec<String>> {
    let mut categories = Vec::new();
    for name in csv
        .into_iter()
        .flat_map(|c| c.split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let name = name.to_ascii_lowercase();
        if !CATEGORIES.contains(&name.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "Invalid category: {name}; known: {}",
                CATEGORIES.join(", ")
            )));
        }
        if !categories.contains(&name) {
            categories.push(name);
        }
    }
    Ok(categories)
}

/// A page of the user's listable conversations (completed, not discarded, not locked), newest first. The
/// read model has no category column, so a category filter walks the list in batches and pages over the
/// matches.
async fn listable(
    state: &AppState,
    uid: &str,
    query: &ListQuery,
    categories: &[String],
) -> ApiResult<Vec<ConversationView>> {
    let filter = ConversationFilter {
        statuses: vec![ConversationStatus::Completed],
        include_discarded: false,
        start: query.start_date.map(|t| t.0),
        end: query.end_date.map(|t| t.0),
        folder_id: None,
        starred: None,
    };
    if categories.is_empty() {
        // Nothing locks conversations yet, so leaving locked ones out keeps pages full.
        let page =
            conversations::list(&state.database, uid, &filter, query.limit, query.offset).await?;
        return Ok(page.into_iter().filter(|c| !c.is_locked).collect());
    }
    let mut found = Vec::new();
    let mut skipped = 0;
    let mut from = 0;
    loop {
        let batch = conversations::list(&state.database, uid, &filter, SCAN_BATCH, from).await?;
        let rows = batch.len() as i64;
        for conversation in batch {
            if conversation.is_locked || !categories.contains(&conversation.structured.category) {
                continue;
            }
            if skipped < query.offset {
                skipped += 1;
                continue;
            }
            found.push(conversation);
            if found.len() as i64 == query.limit {
                return Ok(found);
            }
        }
        if rows < SCAN_BATCH {
            return Ok(found);
        }
        from += SCAN_BATCH;
    }
}

async fn list(
    State(state): State<AppState>,
    key: KeyHolder,
    query: Result<Params<ListQuery>, ApiError>,
) -> ApiResult<Json<Vec<Value>>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    check_page(query.limit, query.offset)?;
    let categories = categories(query.categories.as_deref())?;
    let page = listable(&state, &key.uid, &query, &categories).await?;
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

/// The user's unlocked conversation, or 404.
async fn readable(state: &AppState, uid: &str, id: &str) -> ApiResult<ConversationView> {
    let view = read(state, uid, id).await?;
    if view.is_locked {
        return Err(ApiError::NotFound("Conversation not found".into()));
    }
    Ok(view)
}

async fn get_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
    query: Result<Params<OneQuery>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ConversationsRead)?;
    let Params(query) = query?;
    let view = readable(&state, &key.uid, &id).await?;
    Ok(Json(shape_one(&view, query.include_transcript)))
}

/// Runs an import as the key, waits for processing (bounded), and answers `{id, status, discarded}`.
async fn run_import(state: &AppState, key: &KeyHolder, import: Import) -> ApiResult<Json<Value>> {
    state
        .create::<Conversation>(&import.id, import.command, &key.metadata())
        .await?;
    let view = wait_for_processing(state, &key.uid, &import.id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Conversation not found".into()))?;
    Ok(Json(json!({
        "id": view.id,
        "status": view.status,
        "discarded": view.discarded,
    })))
}

async fn import_text(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<TextImportInput>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ConversationsWrite)?;
    let Body(input) = body?;
    let import = input.into_import(&key.uid, ConversationSource::ExternalIntegration, now())?;
    run_import(&state, &key, import).await
}

async fn import_segments(
    State(state): State<AppState>,
    key: KeyHolder,
    body: Result<Body<SegmentsImportInput>, ApiError>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ConversationsWrite)?;
    let Body(input) = body?;
    let import = input.into_import(&key.uid, ConversationSource::ExternalIntegration, now())?;
    run_import(&state, &key, import).await
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
    if body.title.is_none() && body.discarded.is_none() {
        return Err(ApiError::invalid(
            "body",
            "at least one of title, discarded is required",
        ));
    }
    if let Some(title) = &body.title {
        check_length("body.title", "title", title, MAX_TITLE)?;
    }
    readable(&state, &key.uid, &id).await?;
    let metadata = key.metadata();
    if let Some(title) = body.title {
        let command = ConversationCommand::EditTitle {
            uid: key.uid.clone(),
            title,
            at: now(),
        };
        state
            .execute::<Conversation>(&id, command, &metadata)
            .await?;
    }
    if let Some(discarded) = body.discarded {
        let command = ConversationCommand::SetDiscarded {
            uid: key.uid.clone(),
            discarded,
            at: now(),
        };
        state
            .execute::<Conversation>(&id, command, &metadata)
            .await?;
    }
    Ok(Json(shape_one(
        &readable(&state, &key.uid, &id).await?,
        false,
    )))
}

async fn delete_one(
    State(state): State<AppState>,
    key: KeyHolder,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    key.require(Scope::ConversationsWrite)?;
    let command = ConversationCommand::Delete {
        uid: key.uid.clone(),
        at: now(),
    };
    state
        .execute::<Conversation>(&id, command, &key.metadata())
        .await?;
    Ok(success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_categories_are_refused_and_known_ones_kept_once() {
        assert_eq!(
            categories(Some("Work, personal,work,")).unwrap(),
            vec!["work", "personal"]
        );
        assert!(matches!(
            categories(Some("work,gardening")),
            Err(ApiError::BadRequest(message)) if message.starts_with("Invalid category: gardening")
        ));
        assert!(categories(None).unwrap().is_empty());
    }
}

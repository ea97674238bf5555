//! `GET /v1/users/export`: everything of the caller, streamed as it is read (page by page from the read models or
//! the log, never gathered whole in memory).
//!
//! - The JSON document of the reference, `{profile, conversations, memories, people, action_items,
//!   chat_messages}`: every conversation with its transcript (discarded ones too), every memory and action item
//!   in full (locked content is not cut to a preview: it is the user's own), newest first as the lists show them;
//!   the profile (`GET /v1/users/profile`) and the people (`GET /v1/users/people`) as those routes answer them.
//!   `chat_messages` holds every message of every chat thread, cleared sessions too, oldest first.
//! - `format=events`: the caller's whole event log in commit order as NDJSON, one event a line in the form of
//!   `omi-server events` ([`crate::app::changes::write_line`]); `omi-server import` loads it into another server.

use axum::body::Body;
use omi_projections::action_items::{self, ActionItemFilter, ActionItemView};
use omi_projections::chat;
use omi_projections::conversations::{self, ConversationFilter, ConversationView};
use omi_projections::memories::{self, MemoryView};
use omi_projections::people::PersonView;
use omi_store::{read_user_log, Database, LogPosition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::streamed::{streamed, Chunks, Gone};
use crate::app::changes::write_line;
use crate::app::people;
use crate::app::users::profile::{self, ProfileView};
use crate::state::AppState;

/// Entities or events read at once.
const PAGE: i64 = 200;

/// What an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The JSON document `{profile, conversations, memories, people, action_items, chat_messages}`.
    #[default]
    Json,
    /// The event log as NDJSON, one event a line (what `omi-server import` loads).
    Events,
}

impl ExportFormat {
    /// The attachment's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Json => "omi-export.json",
            ExportFormat::Events => "omi-events.ndjson",
        }
    }

    /// The attachment's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Json => "application/json",
            ExportFormat::Events => "application/x-ndjson",
        }
    }
}

/// The JSON export, as its schema (the body is written piece by piece in this shape).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportDocument {
    pub profile: ProfileView,
    /// Every conversation with its transcript, discarded ones included; newest first.
    pub conversations: Vec<ConversationView>,
    /// Every memory, in full; highest scored first.
    pub memories: Vec<MemoryView>,
    /// The people the user speaks with, oldest first.
    pub people: Vec<PersonView>,
    /// Every action item; newest first.
    pub action_items: Vec<ActionItemView>,
    /// Every chat message of every thread (cleared sessions too), oldest first.
    pub chat_messages: Vec<chat::ChatMessageView>,
}

/// The body of `uid`'s export in `format`.
pub fn body(state: AppState, uid: String, format: ExportFormat) -> Body {
    streamed(move |chunks| async move {
        let written = match format {
            ExportFormat::Json => document(&state, &uid, &chunks).await,
            ExportFormat::Events => events(&state.database, &uid, &chunks).await,
        };
        match written {
            Ok(()) | Err(Stop::Gone) => {}
            Err(Stop::Failed(error)) => chunks.fail(error).await,
        }
    })
}

/// Why writing stopped early.
enum Stop {
    Gone,
    Failed(String),
}

impl From<Gone> for Stop {
    fn from(_: Gone) -> Self {
        Stop::Gone
    }
}

fn failed(error: impl std::fmt::Display) -> Stop {
    Stop::Failed(error.to_string())
}

async fn events(database: &Database, uid: &str, chunks: &Chunks) -> Result<(), Stop> {
    let mut after = LogPosition::START;
    loop {
        let events = read_user_log(database, uid, after, PAGE)
            .await
            .map_err(failed)?;
        let mut chunk = Vec::new();
        for event in &events {
            write_line(&mut chunk, event).map_err(failed)?;
        }
        chunks.send(chunk).await?;
        match events.last() {
            Some(last) if events.len() as i64 == PAGE => after = last.position,
            _ => return Ok(()),
        }
    }
}

async fn document(state: &AppState, uid: &str, chunks: &Chunks) -> Result<(), Stop> {
    let database = &state.database;
    let profile = profile::profile(state, uid).await.map_err(failed)?;
    let mut head = br#"{"profile":"#.to_vec();
    serde_json::to_writer(&mut head, &profile).map_err(failed)?;
    head.extend_from_slice(br#","conversations":["#);
    chunks.send(head).await?;

    let mut list = List::default();
    let everything = ConversationFilter::default();
    let mut offset = 0;
    loop {
        let page = conversations::list(database, uid, &everything, PAGE, offset)
            .await
            .map_err(failed)?;
        let ids: Vec<String> = page.iter().map(|c| c.id.clone()).collect();
        let mut full = conversations::get_many(database, uid, &ids)
            .await
            .map_err(failed)?;
        full.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        chunks.send(list.items(&full).map_err(failed)?).await?;
        if (page.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }

    chunks.send(br#"],"memories":["#.to_vec()).await?;
    let mut list = List::default();
    let mut offset = 0;
    loop {
        let page = memories::list(database, uid, &[], PAGE, offset)
            .await
            .map_err(failed)?;
        chunks.send(list.items(&page).map_err(failed)?).await?;
        if (page.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }

    let mut people_part = br#"],"people":["#.to_vec();
    let people = people::list(state, uid).await.map_err(failed)?;
    people_part.extend(List::default().items(&people).map_err(failed)?);
    people_part.extend_from_slice(br#"],"action_items":["#);
    chunks.send(people_part).await?;
    let mut list = List::default();
    let all = ActionItemFilter::default();
    let mut offset = 0;
    loop {
        let page = action_items::list(database, uid, &all, PAGE, offset)
            .await
            .map_err(failed)?;
        chunks
            .send(list.items(&page.items).map_err(failed)?)
            .await?;
        if !page.has_more {
            break;
        }
        offset += PAGE;
    }
    chunks.send(br#"],"chat_messages":["#.to_vec()).await?;
    let mut list = List::default();
    let mut offset = 0;
    loop {
        let page = chat::of_user(database, uid, PAGE, offset)
            .await
            .map_err(failed)?;
        chunks.send(list.items(&page).map_err(failed)?).await?;
        if (page.len() as i64) < PAGE {
            break;
        }
        offset += PAGE;
    }
    chunks.send(b"]}".to_vec()).await?;
    Ok(())
}

/// The items of one JSON array written in pieces: a comma before every item but the first.
#[derive(Default)]
struct List {
    started: bool,
}

impl List {
    fn items<T: Serialize>(&mut self, items: &[T]) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::new();
        for item in items {
            if self.started {
                out.push(b',');
            }
            self.started = true;
            serde_json::to_writer(&mut out, item)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_written_in_pieces_is_one_json_array() {
        let mut list = List::default();
        let mut out = b"[".to_vec();
        out.extend(list.items(&[1]).unwrap());
        out.extend(list.items::<i32>(&[]).unwrap());
        out.extend(list.items(&[2, 3]).unwrap());
        out.push(b']');
        assert_eq!(out, b"[1,2,3]");
    }
}

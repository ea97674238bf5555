//! `POST /v1/conversations/search` and the doors that share it: the request, its checks, the paged answer.

use omi_projections::conversations::{self, ConversationView};
use omi_projections::search::{SearchFilter, Terms};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ranking;
use super::snippets::match_snippets;
use crate::app::conversations::DayRange;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The most conversations one page holds.
pub const MAX_PER_PAGE: i64 = 100;

/// `SearchRequest` (spec §6.1).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct SearchRequest {
    /// The words to look for in titles, overviews and transcripts; empty lists newest first.
    #[serde(default)]
    pub query: String,
    /// 1-based.
    #[serde(default = "first_page")]
    pub page: i64,
    /// 1 to 100.
    #[serde(default = "ten")]
    pub per_page: i64,
    #[serde(default = "yes")]
    pub include_discarded: bool,
    /// Created at or after (YYYY-MM-DD or ISO-8601).
    #[serde(default)]
    pub start_date: Option<String>,
    /// Created at or before (YYYY-MM-DD covers the whole day, or ISO-8601).
    #[serde(default)]
    pub end_date: Option<String>,
    /// Only conversations in which this speaker talks: `user` or one of the user's people.
    #[serde(default)]
    pub speaker_id: Option<String>,
}

fn first_page() -> i64 {
    1
}
fn ten() -> i64 {
    10
}
fn yes() -> bool {
    true
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: String::new(),
            page: 1,
            per_page: 10,
            include_discarded: true,
            start_date: None,
            end_date: None,
            speaker_id: None,
        }
    }
}

/// A page of search results (spec §6.1): `items` best first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SearchPage<T> {
    pub items: Vec<T>,
    pub total_pages: u64,
    pub current_page: i64,
    pub per_page: i64,
}

impl<T> SearchPage<T> {
    /// The same page with each item reshaped for a door.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> SearchPage<U> {
        SearchPage {
            items: self.items.into_iter().map(f).collect(),
            total_pages: self.total_pages,
            current_page: self.current_page,
            per_page: self.per_page,
        }
    }
}

/// A conversation a search found, with the passages where the query's words occur (none for a conversation
/// found by meaning alone, or listed without words).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MatchedConversation {
    #[serde(flatten)]
    pub conversation: ConversationView,
    /// Up to 3 passages of the transcript (or the overview) holding the query's words, in transcript order.
    pub match_snippets: Vec<String>,
}

/// Searches the user's completed conversations: 422 for a page or page size out of range, 400 for bad dates,
/// 404 for a speaker that is not `user` nor one of the user's people.
pub async fn search_conversations(
    state: &AppState,
    uid: &str,
    request: &SearchRequest,
) -> ApiResult<SearchPage<MatchedConversation>> {
    if request.page < 1 {
        return Err(ApiError::invalid("page", "must be at least 1"));
    }
    if !(1..=MAX_PER_PAGE).contains(&request.per_page) {
        return Err(ApiError::invalid(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    let range = DayRange::parse(request.start_date.as_deref(), request.end_date.as_deref())?;
    let speaker = match request.speaker_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("user") => Some("user".to_string()),
        Some(person) => {
            crate::app::people::check_person(state, uid, person).await?;
            Some(person.to_string())
        }
    };
    let filter = SearchFilter {
        include_discarded: request.include_discarded,
        start: range.start,
        end: range.end,
        speaker,
        newest_matches: None,
    };
    let offset = (request.page - 1).saturating_mul(request.per_page);
    let terms = Terms::of(&request.query);
    let found = ranking::ranked(
        state,
        uid,
        &request.query,
        &terms,
        &filter,
        request.per_page,
        offset,
    )
    .await?;
    let ids: Vec<String> = found.hits.iter().map(|hit| hit.id.clone()).collect();
    let mut views = conversations::get_many(&state.database, uid, &ids).await?;
    // In the order of the hits; one deleted since the search (between the two reads) is left out.
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        if let Some(at) = views.iter().position(|view| &view.id == id) {
            let conversation = views.swap_remove(at);
            items.push(MatchedConversation {
                match_snippets: match_snippets(&conversation, &terms),
                conversation,
            });
        }
    }
    let per_page = request.per_page as u64;
    Ok(SearchPage {
        items,
        total_pages: found.total.div_ceil(per_page),
        current_page: request.page,
        per_page: request.per_page,
    })
}

//! What an answer may draw on: the user's conversations and memories that search finds for the question (see
//! [`crate::app::search`]), and their newest action items. Locked and deleted conversations are left out.

use omi_projections::{conversations, memories};
use omi_services::chat::{ChatContext, RetrievedActionItem, RetrievedConversation};

use crate::app::action_items::{self, ListQuery};
use crate::app::search::{conversation_hits, memory_hits};
use crate::app::Page;
use crate::error::ApiResult;
use crate::state::AppState;

/// The most conversations an answer is given (numbered from 1).
pub const CONVERSATIONS: usize = 5;
/// The most memories an answer is given.
const MEMORIES: usize = 5;
/// The most action items an answer is given (the newest).
const ACTION_ITEMS: i64 = 50;

/// The context for `question`, best matches first. The three reads run at once: an answer starts after the
/// slowest, not after their sum.
pub async fn retrieve(state: &AppState, uid: &str, question: &str) -> ApiResult<ChatContext> {
    let (conversations, memories, action_items) = tokio::try_join!(
        found_conversations(state, uid, question, CONVERSATIONS),
        found_memories(state, uid, question, MEMORIES),
        newest_action_items(state, uid, None, ACTION_ITEMS),
    )?;
    Ok(ChatContext {
        conversations,
        memories,
        action_items,
    })
}

/// Up to `limit` of the user's conversations search finds for `query`, best first.
pub async fn found_conversations(
    state: &AppState,
    uid: &str,
    query: &str,
    limit: usize,
) -> ApiResult<Vec<RetrievedConversation>> {
    let hits = conversation_hits(state, uid, query, limit).await?;
    let ids: Vec<String> = hits.iter().map(|hit| hit.id.clone()).collect();
    let found = conversations::get_many(&state.database, uid, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|c| &c.id == id))
        .filter(|c| !c.deleted && !c.is_locked)
        .map(|c| RetrievedConversation {
            id: c.id.clone(),
            title: c.structured.title.clone(),
            overview: c.structured.overview.clone(),
            created_at: c.created_at,
            sentences: c
                .transcript_segments
                .iter()
                .flatten()
                .flat_map(|segment| sentences(&segment.text))
                .collect(),
        })
        .collect())
}

/// The contents of up to `limit` of the user's memories search finds for `query`, best first.
pub async fn found_memories(
    state: &AppState,
    uid: &str,
    query: &str,
    limit: usize,
) -> ApiResult<Vec<String>> {
    let hits = memory_hits(state, uid, query, limit).await?;
    let mut contents = Vec::with_capacity(hits.len());
    for hit in hits {
        if let Some(memory) = memories::get(&state.database, uid, &hit.id).await? {
            contents.push(memory.content);
        }
    }
    Ok(contents)
}

/// The user's newest action items (only done or only open ones when `completed` says so).
pub async fn newest_action_items(
    state: &AppState,
    uid: &str,
    completed: Option<bool>,
    limit: i64,
) -> ApiResult<Vec<RetrievedActionItem>> {
    let query = ListQuery {
        completed,
        ..ListQuery::default()
    };
    let page = action_items::list(state, uid, query, Page { limit, offset: 0 }).await?;
    Ok(page
        .items
        .into_iter()
        .map(|item| RetrievedActionItem {
            description: item.description,
            completed: item.completed,
            due_at: item.due_at,
        })
        .collect())
}

/// `text` split after each `.`, `?` or `!` that ends a sentence.
fn sentences(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let ends = matches!(c, '.' | '?' | '!')
            && chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if ends {
            let end = at + c.len_utf8();
            found.push(text[start..end].trim().to_string());
            start = end;
        }
    }
    found.push(text[start..].trim().to_string());
    found.retain(|sentence| !sentence.is_empty());
    found
}

#[cfg(test)]
mod tests {
    use super::sentences;

    #[test]
    fn sentences_end_at_stops_followed_by_a_space() {
        assert_eq!(
            sentences("Send 3.5 slides. Really? Yes! and more"),
            vec!["Send 3.5 slides.", "Really?", "Yes!", "and more"]
        );
    }
}

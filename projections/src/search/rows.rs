//! The rows of the search index, derived from a conversation or a memory as its read model holds it.

use omi_domain::conversation::ConversationStatus;

use super::lexemes::{conversation_lexemes, memory_lexemes, Lexemes};
use crate::conversations::ConversationView;
use crate::memories::MemoryView;
use crate::runtime::CopyRows;
use crate::sql::AnyQuery;
use crate::time::micros;

/// The most transcript text indexed per conversation, in bytes (cut at a character boundary): PostgreSQL
/// refuses a `tsvector` over 1 MB, and a few hours of speech fit well within it.
pub(crate) const MAX_TRANSCRIPT_BYTES: usize = 200_000;

/// The searchable text of one completed conversation and what search filters it by.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConversationText {
    pub id: String,
    pub uid: String,
    /// Unix microseconds.
    pub created_at: i64,
    pub discarded: bool,
    pub category: String,
    /// ` user <person id> … `: who speaks, each name between spaces.
    pub speakers: String,
    pub title: String,
    pub overview: String,
    pub transcript: String,
}

/// The columns of `search_conversations`: on SQLite all but the last, `words`, which PostgreSQL's rows alone hold
/// (FTS5 keeps its own index of the text columns).
pub(crate) const CONVERSATION_COLUMNS: &[&str] = &[
    "id",
    "uid",
    "created_at",
    "discarded",
    "category",
    "speakers",
    "title",
    "overview",
    "transcript",
    "words",
];

impl ConversationText {
    /// The row of a conversation owned by `uid`; `None` when it is not (or no longer) searchable: only completed
    /// conversations are, as in the reference, whose index receives a conversation once it is processed.
    pub(crate) fn of(uid: &str, view: &ConversationView) -> Option<ConversationText> {
        if view.status != ConversationStatus::Completed || view.deleted {
            return None;
        }
        let segments = view.transcript_segments.as_deref().unwrap_or_default();
        let mut transcript = String::new();
        let mut speakers = String::from(" ");
        for segment in segments {
            if transcript.len() < MAX_TRANSCRIPT_BYTES {
                if !transcript.is_empty() {
                    transcript.push('\n');
                }
                transcript.push_str(&segment.text);
            }
            let speaker = if segment.is_user {
                Some("user")
            } else {
                segment.person_id.as_deref()
            };
            if let Some(speaker) = speaker {
                let delimited = format!(" {speaker} ");
                if !speakers.contains(&delimited) {
                    speakers.push_str(speaker);
                    speakers.push(' ');
                }
            }
        }
        cut(&mut transcript, MAX_TRANSCRIPT_BYTES);
        Some(ConversationText {
            id: view.id.clone(),
            uid: uid.to_string(),
            created_at: micros(&view.created_at),
            discarded: view.discarded,
            category: view.structured.category.clone(),
            speakers,
            title: view.structured.title.clone(),
            overview: view.structured.overview.clone(),
            transcript,
        })
    }

    /// The lexemes PostgreSQL indexes.
    pub(crate) fn lexemes(&self) -> Lexemes {
        conversation_lexemes(&self.title, &self.overview, &self.transcript)
    }

    /// Binds the row's values; on PostgreSQL (`words`) its lexemes too, as a `tsvector` literal.
    pub(crate) fn bind<'q>(&self, query: AnyQuery<'q>, words: bool) -> AnyQuery<'q> {
        let query = query
            .bind(self.id.clone())
            .bind(self.uid.clone())
            .bind(self.created_at)
            .bind(self.discarded)
            .bind(self.category.clone())
            .bind(self.speakers.clone())
            .bind(self.title.clone())
            .bind(self.overview.clone())
            .bind(self.transcript.clone());
        if words {
            query.bind(self.lexemes().literal())
        } else {
            query
        }
    }

    pub(crate) fn copy(&self, row: &mut CopyRows) {
        row.row(CONVERSATION_COLUMNS.len())
            .text(&self.id)
            .text(&self.uid)
            .bigint(self.created_at)
            .boolean(self.discarded)
            .text(&self.category)
            .text(&self.speakers)
            .text(&self.title)
            .text(&self.overview)
            .text(&self.transcript)
            .bytes(&self.lexemes().binary());
    }
}

/// The searchable text of one memory, borrowed from its view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MemoryText<'a> {
    pub id: &'a str,
    pub uid: &'a str,
    /// Unix microseconds.
    pub created_at: i64,
    pub category: &'a str,
    pub content: &'a str,
}

/// The columns of `search_memories`: on SQLite all but the last, `words` (as for conversations).
pub(crate) const MEMORY_COLUMNS: &[&str] =
    &["id", "uid", "created_at", "category", "content", "words"];

impl<'a> MemoryText<'a> {
    pub(crate) fn of(view: &'a MemoryView) -> MemoryText<'a> {
        MemoryText {
            id: &view.id,
            uid: &view.uid,
            created_at: micros(&view.created_at),
            category: view.category.as_str(),
            content: &view.content,
        }
    }

    /// The lexemes PostgreSQL indexes.
    pub(crate) fn lexemes(&self) -> Lexemes {
        memory_lexemes(self.content)
    }

    /// Binds the row's values; on PostgreSQL (`words`) its lexemes too, as a `tsvector` literal.
    pub(crate) fn bind<'q>(&self, query: AnyQuery<'q>, words: bool) -> AnyQuery<'q> {
        let query = query
            .bind(self.id.to_string())
            .bind(self.uid.to_string())
            .bind(self.created_at)
            .bind(self.category.to_string())
            .bind(self.content.to_string());
        if words {
            query.bind(self.lexemes().literal())
        } else {
            query
        }
    }

    pub(crate) fn copy(&self, row: &mut CopyRows) {
        row.row(MEMORY_COLUMNS.len())
            .text(self.id)
            .text(self.uid)
            .bigint(self.created_at)
            .text(self.category)
            .text(self.content)
            .bytes(&self.lexemes().binary());
    }
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn cut(text: &mut String, max: usize) {
    if text.len() <= max {
        return;
    }
    let mut at = max;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn cuts_at_a_character_boundary() {
        let mut text = "aé日".to_string();
        cut(&mut text, 4);
        assert_eq!(text, "aé");
        let mut short = "abc".to_string();
        cut(&mut short, 10);
        assert_eq!(short, "abc");
    }
}

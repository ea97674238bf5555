//! What the developer API's and MCP's conversation shapes have in common: the head (id and times) and the way
//! they name a segment's speaker.

use chrono::{DateTime, Utc};
use omi_domain::conversation::TranscriptSegment;
use omi_projections::conversations::ConversationView;
use schemars::JsonSchema;
use serde::Serialize;

/// A conversation's id and times, flattened into the developer API's and MCP's shapes.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationHead {
    pub id: String,
    #[serde(with = "omi_projections::time::iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "omi_projections::time::iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "omi_projections::time::iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<&ConversationView> for ConversationHead {
    fn from(view: &ConversationView) -> Self {
        Self {
            id: view.id.clone(),
            created_at: view.created_at,
            started_at: view.started_at,
            finished_at: view.finished_at,
        }
    }
}

/// `User` for the account owner, else `Speaker N` (spec §2.4; there are no people records yet, nor the user's
/// display name).
pub fn speaker_name(segment: &TranscriptSegment) -> String {
    if segment.is_user {
        "User".to_string()
    } else {
        format!("Speaker {}", segment.speaker_id)
    }
}

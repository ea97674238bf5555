//! Decisions on merging a conversation into another: a completed conversation is marked as being merged,
//! and ends once the merge is done.

use super::{conflict, owned, Decision};
use crate::conversation::state::State;
use crate::conversation::{ConversationEvent as E, ConversationStatus};
use crate::Timestamp;

/// Marks a completed conversation as being merged into `into`.
pub(crate) fn begin(state: Option<&State>, uid: String, into: String, at: Timestamp) -> Decision {
    let current = owned(state, &uid)?;
    if current.status != ConversationStatus::Completed {
        return Err(conflict("Only completed conversations can be merged"));
    }
    Ok(vec![E::MergeStarted { into, at }])
}

/// Ends a conversation whose merge into `into` has begun.
pub(crate) fn finish(state: Option<&State>, uid: String, into: String, at: Timestamp) -> Decision {
    let current = owned(state, &uid)?;
    if current.status != ConversationStatus::Merging {
        return Err(conflict("Conversation is not being merged"));
    }
    Ok(vec![E::ConversationMerged { into, at }])
}

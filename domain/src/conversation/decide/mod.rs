//! The decisions of the conversation aggregate, one file per concern. `Conversation::decide` (aggregate.rs)
//! sends each command to its decision; a decision reads the conversation's state and returns the events the
//! command records, or why it is refused. It changes nothing: the events do, in `State::apply`.

pub(super) mod edits;
pub(super) mod embedded;
pub(super) mod lifecycle;
pub(super) mod merge;
pub(super) mod processing;

use super::state::State;
use super::ConversationEvent;
use crate::DomainError;

/// The events a command records (none when it would change nothing), or why it is refused.
pub(crate) type Decision = Result<Vec<ConversationEvent>, DomainError>;

/// The conversation of user `uid`. One that never existed, is gone (deleted or merged) or belongs to another
/// user is not found alike, so a user learns nothing of other users' conversations.
fn owned<'a>(state: Option<&'a State>, uid: &str) -> Result<&'a State, DomainError> {
    match state {
        Some(state) if state.uid == uid => Ok(state),
        _ => Err(DomainError::NotFound("Conversation")),
    }
}

fn conflict(message: &str) -> DomainError {
    DomainError::Conflict(message.to_string())
}

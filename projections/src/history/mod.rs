//! Every version of a memory, an action item or a conversation, kept after deletion (who changed what, when,
//! through which door: "what did this memory say last March"), and each of them as it stood at any instant.
//! An entity's own stream in the event log holds every version, so both are read from there and folded on
//! request with the `evolve` of the entity's read model; no read model keeps a second copy.
//!
//! [`stream`] folds any entity's stream; one small module per entity kind says which events and which fold.

mod action_item;
mod conversation;
mod memory;
mod stream;

pub use action_item::{
    action_item_as_of, action_item_history, ActionItemHistory, ActionItemVersion,
};
pub use conversation::{
    conversation_as_of, conversation_history, ConversationHistory, ConversationVersion,
};
pub use memory::{memory_as_of, memory_history, MemoryHistory, MemoryVersion};

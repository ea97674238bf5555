//! The application layer: one module per aggregate that owns what every front door shares — the input types and
//! their validation (each limit of the spec checked here, once, with the same 422 body on every door), the
//! commands sent to the aggregate, the reads of its read models, and paging.
//!
//! The doors (`routes` for the app, `developer` for `/v1/dev`, `mcp`, `listen`, `reactions`) authenticate the
//! caller, parse the request, call a function here and shape the answer; a door never imports another door.
//! Rules of the domain itself (a memory's category when none is given, what an edit records) live in `domain`.

pub mod action_items;
pub mod apps;
pub mod changes;
pub mod chat;
pub mod conversations;
pub mod daily_summaries;
pub mod folders;
pub mod goals;
pub mod history;
pub mod integrations;
pub mod leaving;
pub mod memories;
pub mod notifications;
mod paging;
pub mod people;
pub mod search;
pub mod trends;
pub mod users;
mod validation;
pub mod webhooks;
pub mod wrapped;

use omi_commands::Metadata;

pub use paging::{Page, PageQuery, PageRule};

/// Who asks: the user whose data is read or written, and the metadata the events record (the actor is the
/// user, a developer key or an MCP key).
#[derive(Debug, Clone)]
pub struct Caller {
    pub uid: String,
    pub metadata: Metadata,
}

impl Caller {
    /// The caller acting for `uid` with `metadata`.
    pub fn new(uid: &str, metadata: Metadata) -> Self {
        Self {
            uid: uid.to_string(),
            metadata,
        }
    }
}

//! The read side of omi-server. The projector runtime reads the event log in commit order and keeps every read
//! model (and its checkpoint) up to date in one transaction per batch; each read model lives in its own module
//! with the queries the API runs against it. Every model can be dropped and rebuilt by replaying the log.

pub mod action_items;
pub mod api_keys;
pub mod apps;
pub mod chat;
pub mod conversations;
pub mod daily_summaries;
pub mod devices;
mod documents;
pub mod folders;
pub mod goals;
pub mod history;
pub mod integrations;
mod json;
pub mod memories;
pub mod notifications;
pub mod people;
mod runtime;
pub mod search;
mod sql;
pub mod statistics;
pub mod time;
pub mod trends;
pub mod users;
pub mod webhooks;
pub mod wrapped;

pub use runtime::{
    rebuild, registered, registry, retry_parked, skip_parked_event, InMemoryRebuild, Projection,
    ProjectionError, Projector, RecordedEvent, RetryReport, StoredEvent,
};

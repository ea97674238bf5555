//! What one command hands to the event log to write (its events, all on one stream) and why a write can fail:
//! the appender queues appends and the batch writer writes them, both in these terms.

use cqrs_es::persist::SerializedEvent;

/// One command's events, all on one stream, in sequence order.
pub(crate) struct Append {
    pub aggregate_type: &'static str,
    pub events: Vec<SerializedEvent>,
}

impl Append {
    /// The stream it appends to: (aggregate type, aggregate id).
    pub(crate) fn stream(&self) -> (&str, &str) {
        let id = self.events.first().map_or("", |e| e.aggregate_id.as_str());
        (self.aggregate_type, id)
    }
}

/// Why an append was not written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// Another writer appended to the stream first (its expected sequence is taken).
    #[error("the stream was appended to concurrently")]
    Conflict,
    /// The store refused or failed.
    #[error("{0}")]
    Store(String),
}

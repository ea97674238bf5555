//! Why a stored event does not decode under its aggregate's contract.

/// A stored event its contract refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// The `event_type` column names no event type of the aggregate.
    #[error("{aggregate_type} stores no event type `{event_type}`")]
    UnknownEventType {
        aggregate_type: String,
        event_type: String,
    },
    /// The version is not the current one and no chain of upcasters leads from it to the current one.
    #[error(
        "no upcaster reads version {version} of {event_type} (the current version is {current})"
    )]
    UnknownVersion {
        event_type: String,
        version: String,
        current: String,
    },
    /// The payload is not `{"<event_type>": …}`.
    #[error("the event_type column says `{event_type}` but the payload holds {found}")]
    Mismatch { event_type: String, found: String },
    /// The payload does not have the shape of its stored name and version.
    #[error("{event_type} {version}: {reason}")]
    Payload {
        event_type: String,
        version: String,
        reason: String,
    },
}

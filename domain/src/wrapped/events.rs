//! What happened to a wrapped.
//!
//! Each event is stored under the name its `#[serde(rename)]` and the contract at the end of this file both
//! spell out, so renaming a variant changes nothing stored. Changing a stored name or a payload's shape breaks
//! the logs already written unless it comes with a new version and an upcaster (see [`crate::contract`]); the
//! stored form of every event is pinned by a fixture (`domain/tests/event_contracts.rs`).

use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Wrapped, WrappedResult};
use crate::contract::stored_events;
use crate::Timestamp;

/// An event on a wrapped's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WrappedEvent {
    /// Generation run `run` was asked for; it reads the log as it stood at `as_of`.
    #[serde(rename = "WrappedRequested")]
    WrappedRequested {
        uid: String,
        year: i32,
        run: u32,
        as_of: Timestamp,
    },
    /// Run `run` reached `step`, `pct` (0 to 1) of the way.
    #[serde(rename = "WrappedProgressed")]
    WrappedProgressed {
        run: u32,
        step: String,
        pct: f64,
        at: Timestamp,
    },
    /// Run `run` produced the recap.
    #[serde(rename = "WrappedCompleted")]
    WrappedCompleted {
        run: u32,
        result: Box<WrappedResult>,
        at: Timestamp,
    },
    /// Run `run` failed with `error`.
    #[serde(rename = "WrappedFailed")]
    WrappedFailed {
        run: u32,
        error: String,
        at: Timestamp,
    },
}

stored_events! {
    events: WrappedEvent,
    aggregate_type: Wrapped::TYPE,
    stored: {
        WrappedRequested => ("WrappedRequested", "1.0"),
        WrappedProgressed => ("WrappedProgressed", "1.0"),
        WrappedCompleted => ("WrappedCompleted", "1.0"),
        WrappedFailed => ("WrappedFailed", "1.0"),
    }
}

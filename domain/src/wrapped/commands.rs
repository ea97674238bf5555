//! What can be asked of a wrapped stream.

use serde::{Deserialize, Serialize};

use super::WrappedResult;
use crate::Timestamp;

/// A command to one user's wrapped of one year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WrappedCommand {
    /// Asks for generation; the result is computed from the log as it stands at `as_of` (the request's instant).
    RequestWrapped {
        uid: String,
        year: i32,
        as_of: Timestamp,
    },
    /// Run `run` reached `step` (`pct` of the way, 0 to 1).
    RecordProgress {
        run: u32,
        step: String,
        pct: f64,
        at: Timestamp,
    },
    /// Run `run` produced its result.
    CompleteWrapped {
        run: u32,
        result: Box<WrappedResult>,
        at: Timestamp,
    },
    /// Run `run` failed.
    FailWrapped {
        run: u32,
        error: String,
        at: Timestamp,
    },
}

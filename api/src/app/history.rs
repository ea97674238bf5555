//! Time travel, shared by every entity with a history: the instant `?as_of=` names, read with the time input
//! parsing of every other date parameter (422 when malformed), and never later than now.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::time_input::{now, InputTime};

/// `?as_of=`: answer with the entity as it stood at that instant (an RFC 3339 date-time; an instant in the
/// future reads as now), folded from its stream in the log; 404 when it did not exist yet or was deleted.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AsOfQuery {
    /// The instant to read the entity at (RFC 3339; the future reads as now); now when absent.
    pub as_of: Option<InputTime>,
}

impl AsOfQuery {
    /// The instant asked for, if any, no later than now.
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        instant(self.as_of)
    }
}

/// The instant an `as_of` parameter asks for, if any, no later than now.
pub fn instant(as_of: Option<InputTime>) -> Option<DateTime<Utc>> {
    as_of.map(|InputTime(at)| at.min(now()))
}

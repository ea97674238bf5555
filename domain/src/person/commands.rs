//! What can be asked of a person.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// A command to one person's stream (see [`super::person_id`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PersonCommand {
    /// Creates the person, unless the stream holds one of that name already (then nothing happens). Refused
    /// with a conflict when the stream's person has another name (renamed since): the caller tries the next
    /// slot.
    CreatePerson {
        uid: String,
        name: String,
        at: Timestamp,
    },
    /// Gives the person another name (2 to 40 characters).
    RenamePerson {
        uid: String,
        name: String,
        at: Timestamp,
    },
    /// Deletes the person.
    DeletePerson { uid: String, at: Timestamp },
}

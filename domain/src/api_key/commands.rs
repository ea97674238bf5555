//! What can be asked of a key.

use serde::{Deserialize, Serialize};

use super::{KeyFamily, Scope};
use crate::Timestamp;

/// A command to one key; the stream id is the key id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ApiKeyCommand {
    /// Issues a key whose raw secret the caller generated and will show once.
    CreateApiKey {
        uid: String,
        family: KeyFamily,
        name: String,
        scopes: Vec<Scope>,
        /// SHA-256 hex of the secret (the part after the prefix).
        hashed_key: String,
        /// `omi_dev_abcd...wxyz`: enough to recognize the key, not to use it.
        display_prefix: String,
        at: Timestamp,
    },
    /// Notes that the key was used; recorded at most once a minute.
    RecordUse { at: Timestamp },
    /// Revokes the key.
    RevokeApiKey { uid: String, at: Timestamp },
}

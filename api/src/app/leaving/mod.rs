//! A user's right to take their data and to leave (spec §7.10): the export of everything they have (the JSON
//! document of the reference, or their whole event log as NDJSON, which `omi-server import` loads elsewhere), and
//! the erasure of their account.

pub mod deletion;
pub mod export;
mod streamed;

//! The database of omi-server: one handle over the embedded SQLite file or a PostgreSQL server, the schema
//! migrations, positions in the event log, and the wake-up signal that tells readers of the log that it grew.

mod database;
mod migrate;
mod position;

pub use database::{Backend, Database, StoreError};
pub use position::LogPosition;

/// The PostgreSQL channel on which every append to the event log is announced (by a trigger).
pub const EVENTS_CHANNEL: &str = "omi_events";

//! The write side of omi-server: the event log on PostgreSQL (postgres-es) or SQLite, the metadata every event
//! carries, and the command bus that loads an aggregate, lets it decide and appends what it decided.

mod aggregate_cache;
mod bus;
mod event_log;
mod metadata;
pub mod metrics;
pub mod reactions;
pub mod schedules;

pub use bus::{Appended, CommandBus, CommandError};
pub use event_log::EventLog;
pub use metadata::{Actor, Metadata};

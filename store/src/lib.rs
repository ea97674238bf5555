//! The database of omi-server: one handle over the embedded SQLite file or a PostgreSQL server, the schema
//! migrations, and the event log as its consumers read it: in commit order, decoded, with checkpoints and the
//! wake-up signal that tells readers the log grew.

pub mod audio_spool;
mod checkpoint;
pub mod counters;
mod database;
pub mod erasure;
mod event;
mod feed;
pub mod import;
pub mod leases;
mod log_scan;
mod migrate;
mod news;
mod parked;
mod position;
mod reader;
mod user_log;

pub use checkpoint::{load_checkpoint, save_checkpoint, save_checkpoints};
pub use database::{Backend, Database, StoreError, WriteTx, WriterTurn};
pub use event::{EventMetadata, RecordedEvent, StoredEvent, StoredForm};
pub use feed::{read_log, read_user_log, LoggedEvent};
pub use log_scan::{Envelope, LogScan, StreamSlice};
pub use news::LogNews;
pub use parked::{
    list_parked, list_parked_on, park, parked_counts, release_parked, skip_parked,
    update_parked_error, ParkedEvent, ParkedStatus,
};
pub use position::LogPosition;
pub use reader::{
    committed_head, count_after, head_position, log_size, log_watermark, read_after, read_after_of,
    read_after_on, read_batch, read_stream, Batch, ParkedMark, ReadError, Window,
};
/// The database driver's error, for callers that do not depend on the driver.
pub use sqlx::Error as SqlError;
pub use user_log::read_user_until;

/// The PostgreSQL channel on which every append to the event log is announced (by a trigger).
pub const EVENTS_CHANNEL: &str = "omi_events";

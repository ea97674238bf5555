//! The projector runtime: reading the log in commit order, checkpoints, catch-up, live tail, rebuild, and the
//! registry of read models they all run.

mod copy_rows;
mod parking;
mod projection;
mod projector;
mod rebuild;
mod registry;
mod retry;
mod staged_table;

pub(crate) use copy_rows::{CopyRows, CopySink};
pub use omi_store::{RecordedEvent, StoredEvent};
pub(crate) use projection::Rebuild;
pub use projection::{ApplyFuture, InMemoryRebuild, Projection, ProjectionError};
pub use projector::Projector;
pub use rebuild::rebuild;
pub use registry::{registered, registry};
pub use retry::{retry_parked, skip_parked_event, RetryReport};

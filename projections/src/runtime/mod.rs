//! The projector runtime: reading the log in commit order, checkpoints, catch-up, live tail, rebuild.

mod copy_rows;
mod parking;
mod projection;
mod projector;
mod rebuild;
mod retry;
mod staged_table;

pub(crate) use copy_rows::{CopyRows, CopySink};
pub use omi_store::{RecordedEvent, StoredEvent};
pub use projection::{all_projections, ApplyFuture, Projection, ProjectionError};
pub use projector::Projector;
pub use rebuild::rebuild;
pub(crate) use rebuild::Rebuild;
pub use retry::{retry_parked, skip_parked_event, RetryReport};

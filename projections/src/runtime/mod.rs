//! The projector runtime: reading the log in commit order, checkpoints, catch-up, live tail, rebuild.

mod checkpoint;
mod event;
mod projection;
mod projector;
mod reader;
mod rebuild;

pub use event::{RecordedEvent, StoredEvent};
pub use projection::{all_projections, ApplyFuture, Projection, ProjectionError};
pub use projector::Projector;
pub use rebuild::rebuild;

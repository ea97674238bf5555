//! The projector runtime: reading the log in commit order, checkpoints, catch-up, live tail, rebuild.

mod projection;
mod projector;
mod rebuild;

pub use omi_store::{RecordedEvent, StoredEvent};
pub use projection::{all_projections, ApplyFuture, Projection, ProjectionError};
pub use projector::Projector;
pub use rebuild::rebuild;

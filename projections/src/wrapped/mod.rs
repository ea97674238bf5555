//! Each user's wrapped of each year as `GET /v1/wrapped/{year}` shows it (spec §7.12): status, the progress of a
//! running generation, the result or the failure. One row per wrapped stream.

mod projection;
mod queries;
mod view;

pub use projection::WrappedProjection;
pub use queries::get;
pub use view::{WrappedProgress, WrappedView};

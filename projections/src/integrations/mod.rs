//! The user's connections to outside accounts (spec §7.3): one row per integration key ever connected, with
//! whether it is connected now and, for Apple Health, the last synced metrics. The tokens stay in the log.

mod projection;
mod queries;
mod view;

pub use projection::IntegrationsProjection;
pub use queries::get;
pub use view::{HealthData, IntegrationView};

//! The devices each user receives pushes on (spec §7.8): one row per device that holds a push token; a device
//! whose token was dropped has no row. Read by the push sender, never shown to clients (tokens are secrets of
//! the device).

mod projection;
mod queries;
mod view;

pub use projection::DevicesProjection;
pub use queries::of_user;
pub use view::DeviceView;

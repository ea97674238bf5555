//! The notifications each user was sent (spec §7.8): one row per notification with how its push went, newest
//! first. Every notification is here whether or not a push service is configured, so none is lost.

mod projection;
mod queries;
mod view;

pub use projection::NotificationsProjection;
pub use queries::{get, list};
pub use view::{NotificationView, PushState};

//! Notifications to a user (spec §7.8): each one is recorded first, so nothing sent to a user is lost, then
//! pushed to the user's devices where a push service is configured, and the outcome per device recorded. One
//! stream per notification.

mod aggregate;
mod commands;
mod events;
mod values;

pub use aggregate::Notification;
pub use commands::NotificationCommand;
pub use events::NotificationEvent;
pub use values::{checked_content, NotificationSource, PushOutcome, PushStatus};

/// The most characters of a notification's title.
pub const MAX_TITLE_CHARS: usize = 500;
/// The most characters of a notification's body.
pub const MAX_BODY_CHARS: usize = 4000;
/// The most bytes of a notification's data, keys and values together (the push service's own limit is 4 KB).
pub const MAX_DATA_BYTES: usize = 4096;

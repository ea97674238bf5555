//! Notifications and the devices they are pushed to (spec §7.8): a device registers its push token (and the
//! time zone it is in, which becomes the profile's); every notification is recorded first and readable by its
//! user, then pushed where a push service is configured (the `notification_push` reaction). Operators send one
//! with the admin secret; apps and the server's own features send theirs through [`send`].

mod devices;
mod sending;

pub use devices::{register_token, TokenInput};
pub use sending::{list, send, AdminNotification, NotificationContent, LIST};

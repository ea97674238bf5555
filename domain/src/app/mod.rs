//! Apps (spec §2.7, §7.1): the app aggregate an owner creates, edits, shows or hides, gives a logo and `sk_`
//! keys and deletes, and an admin approves or rejects; and two per-user aggregates beside it, each on a stream
//! `<app_id>/<uid>` owned by that user: the installation (enabled, disabled) and the review (submitted, updated,
//! replied to by the owner). Keeping installations and reviews out of the app's stream lets erasing a user
//! remove their streams whole, whoever owns the app.

mod aggregate;
mod commands;
mod events;
mod installation;
mod review;
mod values;

pub use aggregate::App;
pub use commands::{AppCommand, AppInstallationCommand, AppReviewCommand};
pub use events::{AppEvent, AppInstallationEvent, AppReviewEvent};
pub use installation::AppInstallation;
pub use review::AppReview;
pub use values::{
    category_title, is_app_id, new_app_id, per_user_stream_id, Action, ActionType, AppDefinition,
    AuthStep, Capability, ChatTool, ExternalIntegration, NotificationScope, ProactiveNotification,
    TriggerEvent, CATEGORIES, MONTHLY_RECURRING,
};

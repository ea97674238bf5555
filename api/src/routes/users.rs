//! The user's profile, settings, consents and plan (spec §7.10, the `users` router), split by concern; the
//! people, daily summaries and keys of the same router have modules of their own.

mod plans;
mod profile;
mod settings;

use aide::axum::ApiRouter;

use crate::state::AppState;

/// The routes of this module.
pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .merge(profile::router())
        .merge(settings::router())
        .merge(plans::router())
        .with_path_items(|item| item.tag("users"))
}

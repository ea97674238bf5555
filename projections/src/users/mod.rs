//! Each user's profile and settings (spec §7.10) as the user aggregate folds them: one row per user who changed
//! anything (a user without a row has the defaults of [`omi_domain::user::User`]), with the time zone as a
//! column for the daily-summary schedule.

mod projection;
mod queries;

pub use projection::UsersProjection;
pub use queries::{time_zones, user_of};

//! Reads of the `users` table.

use omi_domain::user::User;
use omi_store::Database;

use crate::runtime::ProjectionError;

/// The user's settings (the defaults when they never changed anything).
pub async fn user_of(database: &Database, uid: &str) -> Result<User, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM users WHERE uid = $1")
        .bind(uid)
        .fetch_optional(database.pool())
        .await?;
    match row {
        Some((doc,)) => Ok(serde_json::from_str(&doc)?),
        None => Ok(User::default()),
    }
}

/// Every user who chose a time zone, with its IANA name.
pub async fn time_zones(database: &Database) -> Result<Vec<(String, String)>, ProjectionError> {
    Ok(
        sqlx::query_as("SELECT uid, time_zone FROM users WHERE time_zone IS NOT NULL")
            .fetch_all(database.pool())
            .await?,
    )
}

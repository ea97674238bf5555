//! Reads of the `devices` table.

use omi_store::Database;

use super::DeviceView;
use crate::runtime::ProjectionError;

/// The user's devices that hold a push token, oldest registration first.
pub async fn of_user(database: &Database, uid: &str) -> Result<Vec<DeviceView>, ProjectionError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT doc FROM devices WHERE uid = $1 ORDER BY registered_at, id")
            .bind(uid)
            .fetch_all(database.pool())
            .await?;
    rows.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .collect()
}

//! Reads of the `integrations` table.

use omi_store::Database;

use super::IntegrationView;
use crate::runtime::ProjectionError;

/// The user's integration `app_key`, if it was ever connected.
pub async fn get(
    database: &Database,
    uid: &str,
    app_key: &str,
) -> Result<Option<IntegrationView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM integrations WHERE uid = $1 AND app_key = $2")
            .bind(uid)
            .bind(app_key)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .transpose()
}

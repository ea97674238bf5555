//! Reads of the wrapped read model.

use omi_domain::wrapped::stream_id;
use omi_store::Database;

use super::WrappedView;
use crate::runtime::ProjectionError;

/// `uid`'s wrapped of `year`; `None` when it was never asked for.
pub async fn get(
    database: &Database,
    uid: &str,
    year: i32,
) -> Result<Option<WrappedView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM wrapped WHERE id = $1 AND uid = $2")
            .bind(stream_id(uid, year))
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    Ok(row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?)
}

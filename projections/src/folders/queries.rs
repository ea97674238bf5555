//! Reads of users' folders, with the conversation counts and ids they take from the conversations read model.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use omi_domain::folder::{Folder, Folders};
use omi_store::Database;
use schemars::JsonSchema;
use serde::Serialize;

use crate::runtime::ProjectionError;

/// A folder as the API shows it (spec §2.9).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FolderView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// `#RRGGBB`.
    pub color: String,
    pub icon: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Folders are listed by it, ascending.
    pub order: i64,
    /// The fallback folder (`Other`).
    pub is_default: bool,
    /// Created automatically; cannot be deleted.
    pub is_system: bool,
    /// The conversation category a system folder stands for.
    pub category_mapping: Option<String>,
    /// The folder's conversations that are not discarded.
    pub conversation_count: i64,
}

impl FolderView {
    fn new(folder: &Folder, conversation_count: i64) -> Self {
        Self {
            id: folder.id.clone(),
            name: folder.name.clone(),
            description: folder.description.clone(),
            color: folder.color.clone(),
            icon: folder.icon.clone(),
            created_at: folder.created_at,
            updated_at: folder.updated_at,
            order: folder.order,
            is_default: folder.is_default,
            is_system: folder.is_system,
            category_mapping: folder.category_mapping.clone(),
            conversation_count,
        }
    }
}

/// The user's folders by `order` (then name and id, should two share an order), each with its count of
/// conversations that are not discarded; `None` when the user has no folders yet.
pub async fn folders_of(
    database: &Database,
    uid: &str,
) -> Result<Option<Vec<FolderView>>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM folders WHERE uid = $1")
        .bind(uid)
        .fetch_optional(database.pool())
        .await?;
    let Some((doc,)) = row else {
        return Ok(None);
    };
    let folders: Folders = serde_json::from_str(&doc)?;
    let counts: HashMap<String, i64> = sqlx::query_as(
        "SELECT folder_id, COUNT(*) FROM conversations
         WHERE uid = $1 AND folder_id IS NOT NULL AND discarded = $2 GROUP BY folder_id",
    )
    .bind(uid)
    .bind(false)
    .fetch_all(database.pool())
    .await?
    .into_iter()
    .collect();
    let mut views: Vec<FolderView> = folders
        .all()
        .iter()
        .map(|folder| FolderView::new(folder, counts.get(&folder.id).copied().unwrap_or(0)))
        .collect();
    views.sort_by(|a, b| (a.order, &a.name, &a.id).cmp(&(b.order, &b.name, &b.id)));
    Ok(Some(views))
}

/// The ids of the user's conversations in `folder_id`, discarded ones included.
pub async fn conversation_ids_in(
    database: &Database,
    uid: &str,
    folder_id: &str,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM conversations WHERE uid = $1 AND folder_id = $2")
            .bind(uid)
            .bind(folder_id)
            .fetch_all(database.pool())
            .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

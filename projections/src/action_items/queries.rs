//! Reads of the action-item list.

use chrono::{DateTime, Utc};
use omi_store::Database;
use sqlx::Row;

use super::ActionItemView;
use crate::runtime::ProjectionError;
use crate::time::micros;

/// Which items a list shows. Date ranges are inclusive.
#[derive(Debug, Clone, Default)]
pub struct ActionItemFilter {
    pub completed: Option<bool>,
    pub conversation_id: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
}

/// A page of items and whether more follow.
#[derive(Debug, Clone)]
pub struct ActionItemPage {
    pub items: Vec<ActionItemView>,
    pub has_more: bool,
}

enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A page of the user's items, newest first.
pub async fn list(
    database: &Database,
    uid: &str,
    filter: &ActionItemFilter,
    limit: i64,
    offset: i64,
) -> Result<ActionItemPage, ProjectionError> {
    let mut binds = vec![Bind::Text(uid.to_string())];
    let mut conditions = vec!["uid = $1".to_string()];
    let mut add = |condition: &str, bind: Bind| {
        binds.push(bind);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if let Some(completed) = filter.completed {
        add("completed = ?", Bind::Bool(completed));
    }
    if let Some(conversation_id) = &filter.conversation_id {
        add("conversation_id = ?", Bind::Text(conversation_id.clone()));
    }
    if let Some(at) = &filter.created_from {
        add("created_at >= ?", Bind::Int(micros(at)));
    }
    if let Some(at) = &filter.created_to {
        add("created_at <= ?", Bind::Int(micros(at)));
    }
    if let Some(at) = &filter.due_from {
        add("due_at >= ?", Bind::Int(micros(at)));
    }
    if let Some(at) = &filter.due_to {
        add("due_at <= ?", Bind::Int(micros(at)));
    }
    let sql = format!(
        "SELECT doc FROM action_items WHERE {} ORDER BY created_at DESC, id LIMIT ${} OFFSET ${}",
        conditions.join(" AND "),
        binds.len() + 1,
        binds.len() + 2,
    );
    binds.push(Bind::Int(limit + 1));
    binds.push(Bind::Int(offset));
    let mut query = sqlx::query(&sql);
    for bind in binds {
        query = match bind {
            Bind::Text(value) => query.bind(value),
            Bind::Int(value) => query.bind(value),
            Bind::Bool(value) => query.bind(value),
        };
    }
    let rows = query.fetch_all(database.pool()).await?;
    let mut items = rows
        .iter()
        .map(|row| Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?))
        .collect::<Result<Vec<ActionItemView>, ProjectionError>>()?;
    let has_more = items.len() as i64 > limit;
    items.truncate(limit.max(0) as usize);
    Ok(ActionItemPage { items, has_more })
}

/// One item of the user; `None` when it does not exist, was deleted, or is another user's.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ActionItemView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM action_items WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    Ok(row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?)
}

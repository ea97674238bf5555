//! Reads of the conversations read model. Every read is one statement.

use chrono::{DateTime, Utc};
use omi_domain::conversation::ConversationStatus;
use omi_store::Database;
use sqlx::Row;

use super::ConversationView;
use crate::runtime::ProjectionError;
use crate::sql::in_list;
use crate::time::micros;

/// Which conversations a list shows. Dates are inclusive bounds on `created_at`.
#[derive(Debug, Clone)]
pub struct ConversationFilter {
    /// Only these statuses; empty means every status.
    pub statuses: Vec<ConversationStatus>,
    /// Whether discarded conversations are listed too.
    pub include_discarded: bool,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub folder_id: Option<String>,
    pub starred: Option<bool>,
}

impl Default for ConversationFilter {
    /// Everything: every status, discarded included.
    fn default() -> Self {
        ConversationFilter {
            statuses: Vec::new(),
            include_discarded: true,
            start: None,
            end: None,
            folder_id: None,
            starred: None,
        }
    }
}

/// Where processing of a conversation stands: the status, the last run asked for and the last run that
/// finished (completed or failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingState {
    pub status: ConversationStatus,
    pub requested_run: i64,
    pub finished_run: i64,
}

impl ProcessingState {
    /// True while a processing run is asked for and has not finished (a reprocess keeps the status
    /// `completed` meanwhile, so the status alone does not tell).
    pub fn is_pending(&self) -> bool {
        self.status == ConversationStatus::Processing || self.finished_run < self.requested_run
    }
}

enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

fn bind_all<'q>(mut query: crate::sql::AnyQuery<'q>, binds: Vec<Bind>) -> crate::sql::AnyQuery<'q> {
    for bind in binds {
        query = match bind {
            Bind::Text(value) => query.bind(value),
            Bind::Int(value) => query.bind(value),
            Bind::Bool(value) => query.bind(value),
        };
    }
    query
}

fn views(rows: &[sqlx::any::AnyRow]) -> Result<Vec<ConversationView>, ProjectionError> {
    rows.iter()
        .map(|row| Ok(serde_json::from_str(&row.try_get::<String, _>(0)?)?))
        .collect()
}

/// A page of the user's conversations, newest first (`created_at` descending, then id), in list form (without
/// `transcript_segments`). One statement that walks the `(uid, created_at DESC, id)` index; the filters are
/// extra predicates.
pub async fn list(
    database: &Database,
    uid: &str,
    filter: &ConversationFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ConversationView>, ProjectionError> {
    list_documents(database, uid, filter, limit, offset)
        .await?
        .iter()
        .map(|doc| Ok(serde_json::from_str(doc)?))
        .collect()
}

/// The page of [`list`] as the stored JSON documents, for answers that pass them through unparsed.
pub async fn list_documents(
    database: &Database,
    uid: &str,
    filter: &ConversationFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<String>, ProjectionError> {
    let mut binds = vec![Bind::Text(uid.to_string())];
    let mut conditions = vec!["uid = $1".to_string()];
    if !filter.statuses.is_empty() {
        conditions.push(format!(
            "status IN ({})",
            in_list(binds.len() + 1, filter.statuses.len())
        ));
        binds.extend(
            filter
                .statuses
                .iter()
                .map(|s| Bind::Text(s.as_str().to_string())),
        );
    }
    let mut add = |condition: &str, bind: Bind| {
        binds.push(bind);
        conditions.push(condition.replace('?', &format!("${}", binds.len())));
    };
    if !filter.include_discarded {
        add("discarded = ?", Bind::Bool(false));
    }
    if let Some(at) = &filter.start {
        add("created_at >= ?", Bind::Int(micros(at)));
    }
    if let Some(at) = &filter.end {
        add("created_at <= ?", Bind::Int(micros(at)));
    }
    if let Some(folder_id) = &filter.folder_id {
        add("folder_id = ?", Bind::Text(folder_id.clone()));
    }
    if let Some(starred) = filter.starred {
        add("starred = ?", Bind::Bool(starred));
    }
    let sql = format!(
        "SELECT list_doc FROM conversations WHERE {} ORDER BY created_at DESC, id LIMIT ${} OFFSET ${}",
        conditions.join(" AND "),
        binds.len() + 1,
        binds.len() + 2,
    );
    binds.push(Bind::Int(limit.max(0)));
    binds.push(Bind::Int(offset.max(0)));
    let rows = bind_all(sqlx::query(&sql), binds)
        .fetch_all(database.pool())
        .await?;
    rows.iter()
        .map(|row| Ok(row.try_get::<String, _>(0)?))
        .collect()
}

/// One conversation of the user, with its segments; `None` when it does not exist, was deleted or merged, or
/// is another user's.
pub async fn get(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ConversationView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM conversations WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    Ok(row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?)
}

/// The user's conversations among `ids` (with segments), in no particular order; ids that are missing or
/// another user's are simply absent.
pub async fn get_many(
    database: &Database,
    uid: &str,
    ids: &[String],
) -> Result<Vec<ConversationView>, ProjectionError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT doc FROM conversations WHERE uid = $1 AND id IN ({})",
        in_list(2, ids.len())
    );
    let mut query = sqlx::query(&sql).bind(uid);
    for id in ids {
        query = query.bind(id.as_str());
    }
    views(&query.fetch_all(database.pool()).await?)
}

/// The user's `in_progress` conversation (the newest, should there ever be more than one).
pub async fn in_progress(
    database: &Database,
    uid: &str,
) -> Result<Option<ConversationView>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT doc FROM conversations WHERE uid = $1 AND status = 'in_progress'
         ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(uid)
    .fetch_optional(database.pool())
    .await?;
    Ok(row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?)
}

/// The id of the user's newest completed conversation (the `last_memory` of a listen session).
pub async fn last_completed_id(
    database: &Database,
    uid: &str,
) -> Result<Option<String>, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM conversations WHERE uid = $1 AND status = 'completed'
         ORDER BY created_at DESC, id LIMIT 1",
    )
    .bind(uid)
    .fetch_optional(database.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Where processing of the user's conversation stands; `None` when it is gone (deleted, merged) or not the
/// user's. Cheap: reads only indexed columns, for polling.
pub async fn processing_state(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<ProcessingState>, ProjectionError> {
    let row: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT status, requested_run, finished_run FROM conversations WHERE id = $1 AND uid = $2",
    )
    .bind(id)
    .bind(uid)
    .fetch_optional(database.pool())
    .await?;
    Ok(row.and_then(|(status, requested_run, finished_run)| {
        ConversationStatus::parse(&status).map(|status| ProcessingState {
            status,
            requested_run,
            finished_run,
        })
    }))
}

/// A conversation of any user that its owner made `shared` or `public`, with segments and without its
/// geolocation (for the unauthenticated shared read).
pub async fn shared(
    database: &Database,
    id: &str,
) -> Result<Option<ConversationView>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM conversations WHERE id = $1 AND visibility <> 'private'")
            .bind(id)
            .fetch_optional(database.pool())
            .await?;
    let view: Option<ConversationView> =
        row.map(|(doc,)| serde_json::from_str(&doc)).transpose()?;
    Ok(view.map(|mut view| {
        view.geolocation = None;
        view
    }))
}

/// A page of the conversations of all users marked `shared` or `public`, newest first, in list form and
/// without geolocation.
pub async fn public(
    database: &Database,
    limit: i64,
    offset: i64,
) -> Result<Vec<ConversationView>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT list_doc FROM conversations WHERE visibility <> 'private'
         ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
    )
    .bind(limit.max(0))
    .bind(offset.max(0))
    .fetch_all(database.pool())
    .await?;
    Ok(views(&rows)?
        .into_iter()
        .map(|mut view| {
            view.geolocation = None;
            view
        })
        .collect())
}

/// `(uid, id)` of `in_progress` conversations of any user that got nothing since `silent_since` (their last
/// segments, or their creation when they have none): what live sessions left behind.
pub async fn stale_in_progress(
    database: &Database,
    silent_since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, String)>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT uid, id FROM conversations
         WHERE status = 'in_progress' AND COALESCE(finished_at, created_at) < $1
         ORDER BY created_at, id LIMIT $2",
    )
    .bind(micros(&silent_since))
    .bind(limit)
    .fetch_all(database.pool())
    .await?;
    Ok(rows)
}

/// The user's completed, kept conversations created in `[start, end)`, oldest first, with their segments: the
/// material of a daily summary.
pub async fn created_between(
    database: &Database,
    uid: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<ConversationView>, ProjectionError> {
    let rows = sqlx::query(
        "SELECT doc FROM conversations
         WHERE uid = $1 AND status = $2 AND discarded = $3 AND created_at >= $4 AND created_at < $5
         ORDER BY created_at, id",
    )
    .bind(uid)
    .bind(ConversationStatus::Completed.as_str())
    .bind(false)
    .bind(micros(&start))
    .bind(micros(&end))
    .fetch_all(database.pool())
    .await?;
    views(&rows)
}

/// The users with a completed, kept conversation created in `[start, end)`.
pub async fn users_with_conversations_between(
    database: &Database,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT DISTINCT uid FROM conversations
         WHERE status = $1 AND discarded = $2 AND created_at >= $3 AND created_at < $4
         ORDER BY uid",
    )
    .bind(ConversationStatus::Completed.as_str())
    .bind(false)
    .bind(micros(&start))
    .bind(micros(&end))
    .fetch_all(database.pool())
    .await?;
    Ok(rows.into_iter().map(|(uid,)| uid).collect())
}

//! Reads of apps, installations, reviews and logos.

use std::collections::{HashMap, HashSet};

use omi_store::Database;

use super::view::{AppRecord, InstallationRecord, ReviewRecord};
use super::Logo;
use crate::runtime::ProjectionError;
use crate::sql::{in_list, ROWS_PER_STATEMENT};

/// An app's installs and ratings, counted from the installations and reviews of users that still exist.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AppStats {
    /// Users (other than the owner) who enabled the app while it was public, and have it enabled.
    pub installs: i64,
    pub rating_count: i64,
    rating_sum_millis: i64,
}

impl AppStats {
    /// The average score (0..5), `None` before the first review.
    pub fn rating_avg(&self) -> Option<f64> {
        (self.rating_count > 0)
            .then(|| self.rating_sum_millis as f64 / 1000.0 / self.rating_count as f64)
    }
}

/// An app with its stats.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedApp {
    pub app: AppRecord,
    pub stats: AppStats,
}

/// Which apps a list reads.
#[derive(Debug, Clone, Copy)]
pub enum AppsFilter<'a> {
    /// Approved and not private: the public catalog.
    Public,
    /// What a user may see: the public catalog, their own apps, and apps they have enabled.
    AvailableTo(&'a str),
    /// Public apps waiting for approval (the admin list).
    PublicUnapproved,
    /// Exactly one app, whoever may see it.
    Id(&'a str),
}

const WITH_STATS: &str = "SELECT a.doc,
        (SELECT COUNT(*) FROM app_installations i WHERE i.app_id = a.id AND i.counts_install = TRUE),
        (SELECT COUNT(*) FROM app_reviews r WHERE r.app_id = a.id),
        (SELECT CAST(COALESCE(SUM(r.score_millis), 0) AS BIGINT) FROM app_reviews r WHERE r.app_id = a.id)
    FROM apps a";

/// The apps `filter` selects, with their stats, oldest first.
pub async fn apps_where(
    database: &Database,
    filter: AppsFilter<'_>,
) -> Result<Vec<ListedApp>, ProjectionError> {
    let (condition, bound) = match filter {
        AppsFilter::Public => ("a.approved = TRUE AND a.private = FALSE", None),
        AppsFilter::AvailableTo(uid) => (
            "(a.approved = TRUE AND a.private = FALSE) OR a.uid = $1
             OR a.id IN (SELECT app_id FROM app_installations WHERE uid = $1)",
            Some(uid),
        ),
        AppsFilter::PublicUnapproved => ("a.approved = FALSE AND a.private = FALSE", None),
        AppsFilter::Id(id) => ("a.id = $1", Some(id)),
    };
    let sql = format!("{WITH_STATS} WHERE {condition} ORDER BY a.created_at, a.id");
    let mut query = sqlx::query_as::<_, (String, i64, i64, i64)>(&sql);
    if let Some(value) = bound {
        query = query.bind(value);
    }
    query
        .fetch_all(database.pool())
        .await?
        .into_iter()
        .map(|(doc, installs, rating_count, rating_sum_millis)| {
            Ok(ListedApp {
                app: serde_json::from_str(&doc)?,
                stats: AppStats {
                    installs,
                    rating_count,
                    rating_sum_millis,
                },
            })
        })
        .collect()
}

/// The live app `id` with its stats, whoever may see it.
pub async fn app(database: &Database, id: &str) -> Result<Option<ListedApp>, ProjectionError> {
    Ok(apps_where(database, AppsFilter::Id(id)).await?.pop())
}

/// The ids of the apps `uid` has enabled, in the order they enabled them.
pub async fn enabled_app_ids(
    database: &Database,
    uid: &str,
) -> Result<Vec<String>, ProjectionError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT app_id, doc FROM app_installations WHERE uid = $1")
            .bind(uid)
            .fetch_all(database.pool())
            .await?;
    let mut enabled = rows
        .into_iter()
        .map(|(app_id, doc)| {
            Ok((
                serde_json::from_str::<InstallationRecord>(&doc)?.enabled_at,
                app_id,
            ))
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    enabled.sort();
    Ok(enabled.into_iter().map(|(_, app_id)| app_id).collect())
}

/// The live apps `uid` has enabled, in the order they enabled them, in one statement (a user may have enabled
/// many apps, and every conversation of theirs reads them).
pub async fn enabled_apps(
    database: &Database,
    uid: &str,
) -> Result<Vec<AppRecord>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.doc, a.doc FROM app_installations i JOIN apps a ON a.id = i.app_id WHERE i.uid = $1",
    )
    .bind(uid)
    .fetch_all(database.pool())
    .await?;
    let mut enabled = rows
        .into_iter()
        .map(|(installation, app)| {
            let installation: InstallationRecord = serde_json::from_str(&installation)?;
            let app: AppRecord = serde_json::from_str(&app)?;
            Ok((installation.enabled_at, app.id.clone(), app))
        })
        .collect::<Result<Vec<_>, ProjectionError>>()?;
    enabled.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    Ok(enabled.into_iter().map(|(_, _, app)| app).collect())
}

/// `uid`'s installation of `app_id`, if enabled.
pub async fn installation(
    database: &Database,
    app_id: &str,
    uid: &str,
) -> Result<Option<InstallationRecord>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM app_installations WHERE app_id = $1 AND uid = $2")
            .bind(app_id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| serde_json::from_str(&doc))
        .transpose()
        .map_err(Into::into)
}

/// `uid`'s review of `app_id`, if any.
pub async fn review(
    database: &Database,
    app_id: &str,
    uid: &str,
) -> Result<Option<ReviewRecord>, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM app_reviews WHERE app_id = $1 AND uid = $2")
            .bind(app_id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    row.map(|(doc,)| serde_json::from_str(&doc))
        .transpose()
        .map_err(Into::into)
}

/// The reviews of `app_id`, newest first.
pub async fn reviews(
    database: &Database,
    app_id: &str,
) -> Result<Vec<ReviewRecord>, ProjectionError> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT doc FROM app_reviews WHERE app_id = $1 ORDER BY rated_at DESC, id")
            .bind(app_id)
            .fetch_all(database.pool())
            .await?;
    rows.into_iter()
        .map(|(doc,)| serde_json::from_str(&doc).map_err(Into::into))
        .collect()
}

/// The logo stored under `logo_id`, if it is still an app's current logo.
pub async fn logo(database: &Database, logo_id: &str) -> Result<Option<Logo>, ProjectionError> {
    if logo_id.is_empty() {
        return Ok(None);
    }
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM app_logos WHERE logo_id = $1")
        .bind(logo_id)
        .fetch_optional(database.pool())
        .await?;
    row.map(|(doc,)| serde_json::from_str(&doc))
        .transpose()
        .map_err(Into::into)
}

/// The live apps among `ids`, by id, without their stats (the delivery worker's check of many apps at once).
pub async fn records(
    database: &Database,
    ids: &[&str],
) -> Result<HashMap<String, AppRecord>, ProjectionError> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT id, doc FROM apps WHERE id IN ({})",
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (id, doc) in query.fetch_all(database.pool()).await? {
            found.insert(id, serde_json::from_str(&doc)?);
        }
    }
    Ok(found)
}

/// Which of `app_ids` `uid` has enabled.
pub async fn installed_among(
    database: &Database,
    uid: &str,
    app_ids: &[&str],
) -> Result<HashSet<String>, ProjectionError> {
    let mut found = HashSet::with_capacity(app_ids.len());
    for chunk in app_ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT app_id FROM app_installations WHERE uid = $1 AND app_id IN ({})",
            in_list(2, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(uid);
        for id in chunk {
            query = query.bind(*id);
        }
        found.extend(query.fetch_all(database.pool()).await?);
    }
    Ok(found)
}

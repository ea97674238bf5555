//! The `daily_summary_settings` read model: the settings of every user who changed them (a user without a row
//! has the defaults).

use omi_domain::daily_summary_settings::{DailySummarySettings, DailySummarySettingsEvent};
use omi_store::Database;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::documents::{document_projection, Document, Owned};
use crate::runtime::{CopyRows, ProjectionError, RecordedEvent, StoredEvent};
use crate::sql::AnyQuery;

/// A user's settings as the API shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SettingsView {
    /// Whether the daily summary is written.
    pub enabled: bool,
    /// The local hour (0-23) it is written at.
    pub hour: u32,
}

impl Default for SettingsView {
    fn default() -> Self {
        let defaults = DailySummarySettings::default();
        Self {
            enabled: defaults.enabled,
            hour: defaults.hour,
        }
    }
}

document_projection! {
    /// The projection behind [`settings_of`] and [`changed_settings`].
    DailySummarySettingsProjection {
        name: "daily_summary_settings",
        reads: ["DailySummarySettings"],
        table: "daily_summary_settings",
        select: select,
        evolve: evolve,
    }
}

impl Document for SettingsView {
    const TABLE: &'static str = "daily_summary_settings";
    const COLUMNS: &'static [&'static str] = &["enabled", "hour"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query.bind(self.enabled).bind(i64::from(self.hour))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.boolean(self.enabled).bigint(i64::from(self.hour));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&DailySummarySettingsEvent> {
    match &recorded.event {
        StoredEvent::DailySummarySettings(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    _current: Option<Owned<SettingsView>>,
    event: &DailySummarySettingsEvent,
) -> Option<Owned<SettingsView>> {
    let DailySummarySettingsEvent::DailySummarySettingsChanged {
        uid, enabled, hour, ..
    } = event;
    Some(Owned {
        uid: uid.clone(),
        doc: SettingsView {
            enabled: *enabled,
            hour: *hour,
        },
    })
}

/// The user's settings (the defaults when they never changed them).
pub async fn settings_of(database: &Database, uid: &str) -> Result<SettingsView, ProjectionError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM daily_summary_settings WHERE uid = $1")
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    match row {
        Some((doc,)) => Ok(serde_json::from_str(&doc)?),
        None => Ok(SettingsView::default()),
    }
}

/// The settings of every user who changed them, by user.
pub async fn changed_settings(
    database: &Database,
) -> Result<Vec<(String, SettingsView)>, ProjectionError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT uid, doc FROM daily_summary_settings")
        .fetch_all(database.pool())
        .await?;
    rows.into_iter()
        .map(|(uid, doc)| Ok((uid, serde_json::from_str(&doc)?)))
        .collect()
}

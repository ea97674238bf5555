//! The `developer_webhooks` read model: one row per user who set any developer webhook, holding the URL,
//! secret and toggle of each type.

use std::collections::BTreeMap;

use omi_domain::developer_webhook::{DeveloperWebhook, DeveloperWebhooksEvent, WebhookType};
use omi_store::Database;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::AnyQuery;

/// A user's developer webhooks by type; a type without an entry has no URL, secret or toggle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeveloperWebhooksRow {
    pub endpoints: BTreeMap<WebhookType, DeveloperWebhook>,
}

impl DeveloperWebhooksRow {
    /// The endpoint of `wtype` (empty when never set).
    pub fn endpoint(&self, wtype: WebhookType) -> DeveloperWebhook {
        self.endpoints.get(&wtype).cloned().unwrap_or_default()
    }
}

/// The projection behind [`developer_webhooks`].
pub struct DeveloperWebhooksProjection;

impl Projection for DeveloperWebhooksProjection {
    fn name(&self) -> &'static str {
        "developer_webhooks"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["DeveloperWebhooks"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["developer_webhooks"]
    }

    fn apply<'a>(
        &'a self,
        conn: &'a mut AnyConnection,
        events: &'a [RecordedEvent],
    ) -> ApplyFuture<'a> {
        Box::pin(async move { fold_into(conn, &changes_of(events, select), evolve).await })
    }

    fn in_memory(&self) -> InMemoryRebuild {
        InMemoryRebuild::new(DocumentRebuild::new(select, evolve))
    }
}

impl Document for DeveloperWebhooksRow {
    const TABLE: &'static str = "developer_webhooks";
    const COLUMNS: &'static [&'static str] = &[];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
    }

    fn copy_columns(&self, _row: &mut CopyRows) {}
}

fn select(recorded: &RecordedEvent) -> Option<&DeveloperWebhooksEvent> {
    match &recorded.event {
        StoredEvent::DeveloperWebhooks(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    _id: &str,
    current: Option<Owned<DeveloperWebhooksRow>>,
    event: &DeveloperWebhooksEvent,
) -> Option<Owned<DeveloperWebhooksRow>> {
    use DeveloperWebhooksEvent as E;
    let (uid, wtype) = match event {
        E::DeveloperWebhookUrlSet { uid, wtype, .. }
        | E::DeveloperWebhookSecretIssued { uid, wtype, .. }
        | E::DeveloperWebhookEnabled { uid, wtype, .. }
        | E::DeveloperWebhookDisabled { uid, wtype, .. } => (uid, *wtype),
    };
    let mut row = current.unwrap_or_else(|| Owned {
        uid: uid.clone(),
        doc: DeveloperWebhooksRow::default(),
    });
    let endpoint = row.doc.endpoints.entry(wtype).or_default();
    match event {
        E::DeveloperWebhookUrlSet { url, .. } => endpoint.url = url.clone(),
        E::DeveloperWebhookSecretIssued { secret, .. } => endpoint.secret = Some(secret.clone()),
        E::DeveloperWebhookEnabled { .. } => endpoint.toggled = Some(true),
        E::DeveloperWebhookDisabled { .. } => endpoint.toggled = Some(false),
    }
    Some(row)
}

/// The user's developer webhooks (empty when none was ever set).
pub async fn developer_webhooks(
    database: &Database,
    uid: &str,
) -> Result<DeveloperWebhooksRow, ProjectionError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT doc FROM developer_webhooks WHERE id = $1")
        .bind(uid)
        .fetch_optional(database.pool())
        .await?;
    match row {
        Some((doc,)) => Ok(serde_json::from_str(&doc)?),
        None => Ok(DeveloperWebhooksRow::default()),
    }
}

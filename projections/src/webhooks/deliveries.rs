//! The `webhook_deliveries` read model: one row per delivery with its attempts, state and next attempt. The
//! owner reads it as the delivery log; the delivery worker reads the pending rows that are due.

use chrono::{DateTime, Utc};
use omi_domain::webhook_delivery::{
    Delivery, DeliveryState, Endpoint, EndpointKind, WebhookDeliveryEvent,
};
use omi_store::Database;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::documents::{changes_of, fold_into, Document, DocumentRebuild, Owned};
use crate::runtime::{
    ApplyFuture, CopyRows, InMemoryRebuild, Projection, ProjectionError, RecordedEvent, StoredEvent,
};
use crate::sql::{in_list, AnyQuery, ROWS_PER_STATEMENT};
use crate::time::{iso, iso_option, micros};

/// One attempt as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AttemptView {
    /// 1 for the first attempt.
    pub attempt: u32,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `null` when it did not answer.
    pub status_code: Option<u16>,
    /// Why the attempt failed without an answer (refused address, timeout, connection error).
    pub error: Option<String>,
    pub duration_ms: u64,
    /// What the receiver said (`{"message": …}` with more than 5 characters), kept with the attempt.
    pub message: Option<String>,
    /// When the next attempt is due after this failed one.
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery as the owner sees it (without its body and secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryView {
    /// The idempotency key, sent as the `webhook-id` header.
    pub id: String,
    pub endpoint: Endpoint,
    pub url: String,
    pub payload_kind: String,
    pub causing_event: String,
    pub state: DeliveryState,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due (pending deliveries only).
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Why retrying stopped (abandoned deliveries only).
    pub abandoned_reason: Option<String>,
    pub attempts: Vec<AttemptView>,
}

/// The stored row: the view plus what sending needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    #[serde(flatten)]
    pub view: DeliveryView,
    pub secret: String,
    pub content_type: String,
    pub body: String,
    /// When the last successful attempt was made.
    #[serde(with = "iso_option", default)]
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the delivery last became pending (scheduled, or redelivery asked for): retrying stops some time
    /// after it.
    #[serde(with = "iso")]
    pub pending_since: DateTime<Utc>,
}

/// The projection behind [`list_deliveries`], [`delivery`] and [`due`].
pub struct WebhookDeliveriesProjection;

impl Projection for WebhookDeliveriesProjection {
    fn name(&self) -> &'static str {
        "webhook_deliveries"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &["WebhookDelivery"]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["webhook_deliveries"]
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

impl DeliveryRow {
    fn endpoint_key(&self) -> String {
        endpoint_key(&self.view.endpoint)
    }

    /// When the worker should look at it: the next attempt while pending, else never.
    fn due_at(&self) -> i64 {
        match (self.view.state, self.view.next_attempt_at) {
            (DeliveryState::Pending, Some(at)) => micros(&at),
            _ => i64::MAX,
        }
    }
}

fn endpoint_key(endpoint: &Endpoint) -> String {
    format!("{}:{}", endpoint.kind.as_str(), endpoint.id)
}

impl Document for DeliveryRow {
    const TABLE: &'static str = "webhook_deliveries";
    const COLUMNS: &'static [&'static str] =
        &["endpoint", "state", "due_at", "created_at", "delivered_at"];

    fn bind_columns<'q>(&self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.endpoint_key())
            .bind(self.view.state.as_str())
            .bind(self.due_at())
            .bind(micros(&self.view.created_at))
            .bind(self.delivered_at.as_ref().map_or(0, micros))
    }

    fn copy_columns(&self, row: &mut CopyRows) {
        row.text(&self.endpoint_key())
            .text(self.view.state.as_str())
            .bigint(self.due_at())
            .bigint(micros(&self.view.created_at))
            .bigint(self.delivered_at.as_ref().map_or(0, micros));
    }
}

fn select(recorded: &RecordedEvent) -> Option<&WebhookDeliveryEvent> {
    match &recorded.event {
        StoredEvent::WebhookDelivery(event) => Some(event),
        _ => None,
    }
}

fn evolve(
    id: &str,
    current: Option<Owned<DeliveryRow>>,
    event: &WebhookDeliveryEvent,
) -> Option<Owned<DeliveryRow>> {
    use WebhookDeliveryEvent as E;
    if let E::DeliveryScheduled {
        delivery,
        scheduled_at,
    } = event
    {
        return Some(scheduled(id, delivery, *scheduled_at));
    }
    let mut row = current?;
    let doc = &mut row.doc;
    match event {
        E::DeliveryScheduled { .. } => {}
        E::DeliveryAttemptFailed {
            attempt,
            status_code,
            error,
            duration_ms,
            attempted_at,
            next_attempt_at,
        } => {
            doc.view.attempts.push(AttemptView {
                attempt: *attempt,
                attempted_at: *attempted_at,
                status_code: *status_code,
                error: error.clone(),
                duration_ms: *duration_ms,
                message: None,
                next_attempt_at: Some(*next_attempt_at),
            });
            doc.view.next_attempt_at = Some(*next_attempt_at);
        }
        E::DeliveryDelivered {
            attempt,
            status_code,
            message,
            duration_ms,
            attempted_at,
        } => {
            doc.view.attempts.push(AttemptView {
                attempt: *attempt,
                attempted_at: *attempted_at,
                status_code: Some(*status_code),
                error: None,
                duration_ms: *duration_ms,
                message: message.clone(),
                next_attempt_at: None,
            });
            doc.view.state = DeliveryState::Delivered;
            doc.view.next_attempt_at = None;
            doc.delivered_at = Some(*attempted_at);
        }
        E::DeliveryAbandoned { reason, .. } => {
            doc.view.state = DeliveryState::Abandoned;
            doc.view.next_attempt_at = None;
            doc.view.abandoned_reason = Some(reason.clone());
        }
        E::DeliveryRedeliveryRequested { requested_at } => {
            doc.view.state = DeliveryState::Pending;
            doc.view.next_attempt_at = Some(*requested_at);
            doc.view.abandoned_reason = None;
            doc.pending_since = *requested_at;
        }
    }
    Some(row)
}

fn scheduled(id: &str, delivery: &Delivery, at: DateTime<Utc>) -> Owned<DeliveryRow> {
    Owned {
        uid: delivery.uid.clone(),
        doc: DeliveryRow {
            view: DeliveryView {
                id: id.to_string(),
                endpoint: delivery.endpoint.clone(),
                url: delivery.url.clone(),
                payload_kind: delivery.payload_kind.clone(),
                causing_event: delivery.causing_event.clone(),
                state: DeliveryState::Pending,
                created_at: at,
                next_attempt_at: Some(at),
                abandoned_reason: None,
                attempts: vec![],
            },
            secret: delivery.secret.clone(),
            content_type: delivery.content_type.clone(),
            body: delivery.body.clone(),
            delivered_at: None,
            pending_since: at,
        },
    }
}

fn rows(docs: Vec<(String,)>) -> Result<Vec<DeliveryRow>, ProjectionError> {
    docs.into_iter()
        .map(|(doc,)| Ok(serde_json::from_str(&doc)?))
        .collect()
}

/// The deliveries to the user's developer webhooks, newest first (those to apps are the apps' owners' to read).
pub async fn list_deliveries(
    database: &Database,
    uid: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeliveryView>, ProjectionError> {
    let docs: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM webhook_deliveries WHERE uid = $1 AND endpoint LIKE 'developer:%'
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(uid)
    .bind(limit)
    .bind(offset)
    .fetch_all(database.pool())
    .await?;
    Ok(rows(docs)?.into_iter().map(|row| row.view).collect())
}

/// One delivery of the user; `None` when it does not exist or is another user's.
pub async fn delivery(
    database: &Database,
    uid: &str,
    id: &str,
) -> Result<Option<DeliveryRow>, ProjectionError> {
    let doc: Option<(String,)> =
        sqlx::query_as("SELECT doc FROM webhook_deliveries WHERE id = $1 AND uid = $2")
            .bind(id)
            .bind(uid)
            .fetch_optional(database.pool())
            .await?;
    Ok(rows(doc.into_iter().collect())?.pop())
}

/// The deliveries among `ids`, with their owners (the worker's fresh read of a batch it claimed).
pub async fn deliveries_by_id(
    database: &Database,
    ids: &[&str],
) -> Result<Vec<(String, DeliveryRow)>, ProjectionError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "SELECT uid, doc FROM webhook_deliveries WHERE id IN ({})",
            in_list(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for (uid, doc) in query.fetch_all(database.pool()).await? {
            found.push((uid, serde_json::from_str(&doc)?));
        }
    }
    Ok(found)
}

/// The deliveries that go to one receiver: to one app's webhook (for all its users), or to one user's developer
/// webhook of one type. The worker caps the attempts in flight per lane, so a slow receiver holds only its own.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lane {
    /// The user, for a developer webhook (each user has their own URL); none for an app.
    pub uid: Option<String>,
    /// The endpoint's key (the `endpoint` column).
    pub endpoint: String,
}

impl Lane {
    /// The lane of the delivery `row` of user `uid`.
    pub fn of(uid: &str, row: &DeliveryRow) -> Lane {
        Lane {
            uid: (row.view.endpoint.kind == EndpointKind::Developer).then(|| uid.to_string()),
            endpoint: row.endpoint_key(),
        }
    }
}

/// Up to `limit` pending deliveries whose next attempt is due at `now`, with their owners, most overdue first;
/// none of the lanes `skipped` and none a worker holds a claim on (in `webhook_delivery_leases`, the worker's
/// table of the store) that lasts past `now`.
pub async fn due(
    database: &Database,
    now: DateTime<Utc>,
    limit: i64,
    skipped: &[Lane],
) -> Result<Vec<(String, DeliveryRow)>, ProjectionError> {
    let mut sql = String::from(
        "SELECT d.uid, d.doc FROM webhook_deliveries d WHERE d.state = 'pending' AND d.due_at <= $1
         AND NOT EXISTS (SELECT 1 FROM webhook_delivery_leases l
                         WHERE l.delivery_id = d.id AND l.expires_at >= $1)",
    );
    let mut next = 3;
    for lane in skipped {
        if lane.uid.is_some() {
            sql.push_str(&format!(
                " AND NOT (d.uid = ${next} AND d.endpoint = ${})",
                next + 1
            ));
            next += 2;
        } else {
            sql.push_str(&format!(" AND d.endpoint <> ${next}"));
            next += 1;
        }
    }
    sql.push_str(" ORDER BY d.due_at LIMIT $2");
    let mut query = sqlx::query_as::<_, (String, String)>(&sql)
        .bind(micros(&now))
        .bind(limit);
    for lane in skipped {
        if let Some(uid) = &lane.uid {
            query = query.bind(uid.clone());
        }
        query = query.bind(lane.endpoint.clone());
    }
    let found = query.fetch_all(database.pool()).await?;
    found
        .into_iter()
        .map(|(uid, doc)| Ok((uid, serde_json::from_str(&doc)?)))
        .collect()
}

/// Whether any delivery of the user to `endpoint` succeeded after `since`: an endpoint is failing continuously
/// only when none did.
pub async fn endpoint_delivered_since(
    database: &Database,
    uid: &str,
    endpoint: &Endpoint,
    since: DateTime<Utc>,
) -> Result<bool, ProjectionError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM webhook_deliveries WHERE uid = $1 AND endpoint = $2 AND delivered_at > $3 LIMIT 1",
    )
    .bind(uid)
    .bind(endpoint_key(endpoint))
    .bind(micros(&since))
    .fetch_optional(database.pool())
    .await?;
    Ok(found.is_some())
}

/// The deliveries to `endpoint` (an app's, across its users), newest first.
pub async fn list_endpoint_deliveries(
    database: &Database,
    endpoint: &Endpoint,
    limit: i64,
    offset: i64,
) -> Result<Vec<DeliveryView>, ProjectionError> {
    let docs: Vec<(String,)> = sqlx::query_as(
        "SELECT doc FROM webhook_deliveries WHERE endpoint = $1
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(endpoint_key(endpoint))
    .bind(limit)
    .bind(offset)
    .fetch_all(database.pool())
    .await?;
    Ok(rows(docs)?.into_iter().map(|row| row.view).collect())
}

/// One delivery to `endpoint`, with the user it is about; `None` when it does not exist or went elsewhere.
pub async fn endpoint_delivery(
    database: &Database,
    endpoint: &Endpoint,
    id: &str,
) -> Result<Option<(String, DeliveryRow)>, ProjectionError> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT uid, doc FROM webhook_deliveries WHERE id = $1 AND endpoint = $2")
            .bind(id)
            .bind(endpoint_key(endpoint))
            .fetch_optional(database.pool())
            .await?;
    found
        .map(|(uid, doc)| Ok((uid, serde_json::from_str(&doc)?)))
        .transpose()
}

/// Whether any delivery to `endpoint`, for any user, succeeded after `since`: an app's endpoint is failing
/// continuously only when none did.
pub async fn delivered_to_endpoint_since(
    database: &Database,
    endpoint: &Endpoint,
    since: DateTime<Utc>,
) -> Result<bool, ProjectionError> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT id FROM webhook_deliveries WHERE endpoint = $1 AND delivered_at > $2 LIMIT 1",
    )
    .bind(endpoint_key(endpoint))
    .bind(micros(&since))
    .fetch_optional(database.pool())
    .await?;
    Ok(found.is_some())
}

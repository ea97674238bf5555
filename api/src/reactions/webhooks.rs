//! Schedules the user's developer webhooks (spec §5.4) from the events that cause them: a processed, not
//! discarded conversation → `memory_created` (the full conversation); live transcript segments →
//! `realtime_transcript` (`{"segments": [...], "session_id": uid}`); a daily summary written → `day_summary`.
//! Each becomes a delivery whose idempotency key is derived from the event and the endpoint, so handling an
//! event again (at least once) schedules nothing new; the delivery worker (`deliveries`) sends them.
//!
//! A chunk of live audio kept in the spool (`AudioChunkRecorded`) → `audio_bytes`: the chunk as
//! `application/octet-stream` at `<url>?sample_rate=&uid=`; the worker reads its bytes from the spool when it sends.

use std::sync::Arc;
use std::time::Duration;

use omi_commands::reactions::{ReactFuture, Reaction, ReactionError};
use omi_commands::{CommandBus, Metadata};
use omi_domain::conversation::ConversationEvent;
use omi_domain::daily_summary::DailySummaryEvent;
use omi_domain::developer_webhook::WebhookType;
use omi_domain::webhook_delivery::{Delivery, Endpoint, EndpointKind};
use omi_projections::webhooks::developer_webhooks;
use omi_projections::{conversations, daily_summaries, Projector};
use omi_store::{Database, RecordedEvent, StoredEvent};
use serde_json::{json, Value};

use super::{event_id, settle};
use crate::app::webhooks::audio::{audio_url, recorded_chunk, AUDIO_CONTENT_TYPE};
use crate::app::webhooks::schedule::{schedule, with_uid};

/// How long a payload waits for the read model it is read from.
const CATCH_UP: Duration = Duration::from_secs(30);

/// The reaction that schedules developer webhooks.
pub struct DeveloperWebhookScheduling {
    database: Database,
    commands: CommandBus,
    projector: Arc<Projector>,
}

impl DeveloperWebhookScheduling {
    pub fn new(database: Database, commands: CommandBus, projector: Arc<Projector>) -> Self {
        Self {
            database,
            commands,
            projector,
        }
    }

    async fn handle(&self, event: &RecordedEvent) -> Result<(), ReactionError> {
        let uid = event.metadata.uid.as_str();
        let Some(wtype) = webhook_of(&event.event) else {
            return Ok(());
        };
        if uid.is_empty() {
            return Ok(());
        }
        let endpoint = developer_webhooks(&self.database, uid)
            .await
            .map_err(|e| ReactionError(e.to_string()))?
            .endpoint(wtype);
        let Some(secret) = endpoint.secret.clone().filter(|_| endpoint.is_enabled()) else {
            return Ok(());
        };
        let (body, content_type, url) = match recorded_chunk(&event.event) {
            Some((chunk_id, sample_rate)) => (
                chunk_id.to_string(),
                AUDIO_CONTENT_TYPE,
                audio_url(endpoint.audio_batches().0, uid, sample_rate),
            ),
            None => match self.body(wtype, uid, event).await? {
                Some(body) => (
                    body.to_string(),
                    "application/json",
                    with_uid(&endpoint.url, uid),
                ),
                None => return Ok(()),
            },
        };
        let cause = event_id(event);
        let delivery = Delivery {
            uid: uid.to_string(),
            endpoint: Endpoint {
                kind: EndpointKind::Developer,
                id: wtype.as_str().to_string(),
            },
            url,
            secret,
            payload_kind: wtype.as_str().to_string(),
            content_type: content_type.into(),
            body,
            causing_event: cause.clone(),
        };
        let metadata = Metadata::caused_by(uid, cause, &event.metadata.correlation_id);
        settle(schedule(&self.commands, delivery, &metadata, chrono::Utc::now()).await)?;
        Ok(())
    }

    /// The body of the delivery `event` causes; `None` when what it is about is gone.
    async fn body(
        &self,
        wtype: WebhookType,
        uid: &str,
        event: &RecordedEvent,
    ) -> Result<Option<Value>, ReactionError> {
        let failed = |e: omi_projections::ProjectionError| ReactionError(e.to_string());
        match (&event.event, wtype) {
            (
                StoredEvent::Conversation(ConversationEvent::SegmentsAppended { segments, .. }),
                _,
            ) => Ok(Some(json!({"segments": segments, "session_id": uid}))),
            (_, WebhookType::MemoryCreated) => {
                self.caught_up(event).await?;
                let view = conversations::get(&self.database, uid, &event.aggregate_id)
                    .await
                    .map_err(failed)?;
                Ok(view.map(|view| json!(view)))
            }
            (_, WebhookType::DaySummary) => {
                self.caught_up(event).await?;
                let view = daily_summaries::get(&self.database, uid, &event.aggregate_id)
                    .await
                    .map_err(failed)?;
                Ok(view.map(|summary| {
                    json!({
                        "summary": format!("{}\n\n{}", summary.headline, summary.overview),
                        "summary_json": summary,
                        "uid": uid,
                        "created_at": omi_projections::time::format(&event.recorded_at),
                    })
                }))
            }
            _ => Ok(None),
        }
    }

    async fn caught_up(&self, event: &RecordedEvent) -> Result<(), ReactionError> {
        if self.projector.wait_for(event.position, CATCH_UP).await {
            Ok(())
        } else {
            Err(ReactionError(
                "the read models have not caught up with the event yet".into(),
            ))
        }
    }
}

/// The developer webhook an event causes, if any.
fn webhook_of(event: &StoredEvent) -> Option<WebhookType> {
    match event {
        StoredEvent::Conversation(ConversationEvent::ConversationProcessed {
            discarded: false,
            ..
        }) => Some(WebhookType::MemoryCreated),
        StoredEvent::Conversation(ConversationEvent::SegmentsAppended { segments, .. })
            if !segments.is_empty() =>
        {
            Some(WebhookType::RealtimeTranscript)
        }
        StoredEvent::DailySummary(DailySummaryEvent::DailySummaryGenerated { .. }) => {
            Some(WebhookType::DaySummary)
        }
        StoredEvent::Conversation(ConversationEvent::AudioChunkRecorded { .. }) => {
            Some(WebhookType::AudioBytes)
        }
        _ => None,
    }
}

impl Reaction for DeveloperWebhookScheduling {
    fn name(&self) -> &'static str {
        "developer_webhooks"
    }

    fn reads(&self) -> &'static [&'static str] {
        &["Conversation", "DailySummary"]
    }

    fn react<'a>(&'a self, event: &'a RecordedEvent) -> ReactFuture<'a> {
        Box::pin(self.handle(event))
    }
}
